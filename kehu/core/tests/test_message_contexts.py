"""One English word, two meanings, two Chinese words (issue 10, item 14).

A msgid shared by places that mean different things gets one Chinese word, right in one place and
wrong in the other (the opportunity's Title read 职务, a contact's job title). Each such place uses
a message context with its own Chinese. Each test reads the page (or the export, or the label)
in Chinese, as a user of the default language does."""

import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from kehu.activities.models import Activity
from kehu.customers.services.records import contact_create
from kehu.finance.models import Receivable
from kehu.finance.services import contract_plan_set, payment_record
from kehu.ranking import exports
from kehu.ranking import selectors as reports
from kehu.ranking.models import EvaluationRun
from kehu.sales.models import Contract
from kehu.sales.services import opportunity_create

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def zh(client):
    """login(user) in Chinese (the users' default language)."""

    def _login(user):
        assert user.language in ("", "zh-hans")
        client.force_login(user)
        return client

    return _login


def _cell_texts(html: str, testid: str) -> list[str]:
    """The header texts of the table marked data-testid=<testid>."""
    table = re.search(r'<table[^>]*data-testid="%s".*?</thead>' % re.escape(testid), html, re.S)
    assert table, f"no table {testid}"
    return [re.sub(r"<[^>]+>", "", th).strip() for th in re.findall(r"<th[^>]*>(.*?)</th>", table.group(0), re.S)]


def _receivable(customer, amount="1000.00"):
    today = timezone.localdate()
    return Receivable.objects.create(customer=customer, amount=D(amount), open_amount=D(amount), currency="CNY",
                                     issued_on=today - timedelta(days=100), due_on=today - timedelta(days=10))


def _contract(customer, owner, finance=None, code="K000221"):
    contract = Contract.objects.create(code=code, customer=customer, owner=owner, signed_on=date(2026, 1, 1), amount=D("1000.00"))
    contract_plan_set(actor=finance, contract=contract, instalments=[(1, timezone.localdate(), D("1000.00"))])
    return contract


# --- Title: the opportunity's name, not a contact's job title --------------------------------------

def test_rep_reads_the_opportunity_title_as_商机名称_not_职务(zh, rep_a, customer_a):
    opportunity_create(actor=rep_a, customer=customer_a, title="ERP 项目", amount="1000.00")
    client = zh(rep_a)
    body = client.get(reverse("sales:opportunity-list")).content.decode()
    head = body[body.index("<thead>"):body.index("</thead>")]
    assert "商机名称" in head and "职务" not in head
    form = client.get(reverse("sales:opportunity-create")).content.decode()
    assert re.search(r'<label[^>]*for="id_title"[^>]*>\s*商机名称', form), "the create form labels the title 商机名称"


def test_rep_still_reads_a_contacts_title_as_职务(zh, rep_a, customer_a):
    contact_create(actor=rep_a, customer=customer_a, data={"name": "张伟", "title": "采购经理"})
    body = zh(rep_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    head = body[body.index('id="h-contacts"'):]
    head = head[head.index("<thead>"):head.index("</thead>")]
    assert "职务" in head


# --- Signed: the contract's signing date, not the customer stage "signed customer" -----------------

def test_rep_reads_the_contract_date_column_as_签约日期_not_签约客户(zh, rep_a, customer_a, finance):
    _contract(customer_a, rep_a, finance)
    body = zh(rep_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    headers = _cell_texts(body, "panel-contracts")
    assert "签约日期" in headers and "签约客户" not in headers


# --- Run: the button runs an evaluation, it is not "an evaluation run" ----------------------------

def test_manager_reads_the_run_button_as_a_verb(zh, manager_a):
    body = zh(manager_a).get(reverse("ranking:run-create")).content.decode()
    button = re.search(r'<button[^>]*id="run-submit"[^>]*>(.*?)</button>', body, re.S).group(1).strip()
    assert button == "开始评估"


# --- Company: the aging total of the whole company, not "a company (not a person)" ---------------

def test_finance_reads_the_aging_total_as_全公司_not_企业(zh, finance, customer_a):
    _receivable(customer_a)
    body = zh(finance).get(reverse("finance:aging")).content.decode()
    heading = re.search(r'<h2 class="h6">([^<]*)</h2>\s*<div class="table-responsive"><table[^>]*data-testid="aging-company"', body)
    assert heading and heading.group(1) == "全公司"


# --- Customers: a count of customers in a column, not the menu "Customers" ------------------------

def test_finance_reads_the_customer_count_column_of_the_aging_as_客户数(zh, finance, customer_a):
    _receivable(customer_a)
    body = zh(finance).get(reverse("finance:aging")).content.decode()
    assert "客户数" in _cell_texts(body, "aging-reps")


def test_the_class_table_counts_客户数_and_sums_销售额():
    table = {"rows": [{"klass": "a", "label": "A", "count": 2, "count_pct": D("100.00"), "sales": D("10.00"),
                       "profit": D("1.00"), "profit_pct": D("100.00")}], "count": 2, "sales": D("10.00"), "profit": D("1.00")}
    with translation.override("zh-hans"):
        html = render_to_string("ranking/partials/class_table.html", {"table": table, "with_profit": True})
    headers = _cell_texts(html, "class-table")
    assert headers[1] == "客户数" and headers[3] == "销售额"


# --- Sales: the sales amount of an indicator or an export column, not the app "Sales" -------------

def test_the_sales_indicator_and_export_column_read_销售额():
    with translation.override("zh-hans"):
        assert str(reports.indicator_label("sales")) == "销售额"
        _title, header, _rows = exports.class_sheet(None, {"rows": [], "count": 0, "sales": D(0), "profit": D(0)})
        assert header[1] == "客户数" and header[3] == "销售额"


# --- Follow-ups: the list of an opportunity's follow-ups, not a count -----------------------------

def test_rep_reads_the_opportunity_follow_up_section_as_跟进记录(zh, rep_a, customer_a):
    opp = opportunity_create(actor=rep_a, customer=customer_a, title="ERP 项目", amount="1000.00")
    body = zh(rep_a).get(reverse("sales:opportunity-detail", args=[opp.pk])).content.decode()
    assert re.search(r'<h2 class="h6" id="h-activities">跟进记录</h2>', body)


def test_manager_reads_the_team_follow_up_column_as_a_count(zh, manager_a):
    body = zh(manager_a).get(reverse("activities:team")).content.decode()
    assert "跟进次数" in body


# --- Payments: a number of payments in the commission table, not the payments page ----------------

def test_finance_reads_the_commission_payment_column_as_回款笔数(zh, finance, rep_a, customer_a):
    contract = _contract(customer_a, rep_a, finance)
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("100.00"), paid_on=timezone.localdate())
    body = zh(finance).get(reverse("finance:commission")).content.decode()
    assert "回款笔数" in _cell_texts(body, "commission-reps")


# --- Results: the number of results of a run ------------------------------------------------------

def test_admin_reads_the_run_list_results_column_as_结果数(zh, admin):
    EvaluationRun.objects.create(model="pyramid", as_of=date(2026, 6, 30), result_count=3)
    body = zh(admin).get(reverse("ranking:run-list")).content.decode()
    assert "结果数" in _cell_texts(body, "runs")


# --- Email: a follow-up by e-mail, not a contact's e-mail address ---------------------------------

def test_a_follow_up_by_email_reads_邮件_and_the_address_邮箱(zh, rep_a, customer_a):
    with translation.override("zh-hans"):
        assert str(Activity.Kind.EMAIL.label) == "邮件"
    body = zh(rep_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert "邮箱" in body


# --- From/To: the class a customer moved from and to, not the people of a handover ----------------

def test_the_compare_export_names_the_classes_原类别_and_新类别():
    run = SimpleNamespace(pk=1, as_of=date(2026, 6, 30))
    with translation.override("zh-hans"):
        sheets = exports.compare_sheets(run, run, {"entered": [], "left": [], "promoted": [], "demoted": []})
    header = sheets[0][1]
    assert header[3] == "原类别" and header[4] == "新类别"


def test_handover_still_reads_交出人_and_接收人(zh, manager_a):
    body = zh(manager_a).get(reverse("customers:handover")).content.decode()
    assert "交出人" in body and "接收人" in body


# --- Name/Value: a parameter and its value, not a "value" class -----------------------------------

def test_the_parameters_sheet_reads_参数_and_取值():
    run = EvaluationRun.objects.create(model="pyramid", as_of=date(2026, 6, 30), params={"window_months": 12})
    with translation.override("zh-hans"):
        _title, header, _rows = exports.params_sheet(run)
    assert header == ["参数", "取值"]


# --- Name: a person's name, not a company's --------------------------------------------------------

def test_rep_reads_the_contacts_name_column_as_姓名(zh, rep_a, customer_a):
    contact_create(actor=rep_a, customer=customer_a, data={"name": "张伟", "title": "采购经理"})
    body = zh(rep_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    head = body[body.index('id="h-contacts"'):]
    head = head[head.index("<thead>"):head.index("</thead>")]
    assert "姓名" in head and "名称" not in head


# --- Previous/Next: the calendar moves by a day, week or month, not by a page ---------------------

def test_rep_reads_the_calendar_arrows_as_往前_and_往后(zh, rep_a):
    body = zh(rep_a).get(reverse("activities:calendar")).content.decode()
    assert re.search(r'data-testid="previous">‹ 往前</a>', body)
    assert re.search(r'data-testid="next">往后 ›</a>', body)


# --- Person: a section of a person's profile, and the user admin's fieldset, not "a person customer"

def test_rep_reads_the_personal_section_of_a_contact_form_as_个人情况(zh, rep_a, customer_a):
    body = zh(rep_a).get(reverse("customers:contact-create", args=[customer_a.pk])).content.decode()
    legends = [t.strip() for t in re.findall(r"<legend[^>]*>(.*?)</legend>", body, re.S)]
    assert "个人情况" in legends and "个人" not in legends


def test_admin_reads_the_user_fieldset_as_人员信息(zh, admin, rep_a):
    body = zh(admin).get(reverse("admin:accounts_user_change", args=[rep_a.pk])).content.decode()
    assert "人员信息" in body
