"""Share of wallet made fast (issues 12 and 13, second pass): the rows ranked as plain cells and
made WalletRows only when read, last year's spend and our revenue read for the scope's customer
ids (an array parameter on PostgreSQL, a list on SQLite, the scope's subquery when too many), the
table's rows written by the view. Each pinned on the hand-made world of test_wallet.py (year 2025)
with exact numbers, against the older path where there is one, and the page's query count per
role. Run on SQLite and on PostgreSQL."""

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from conftest import make_customer
from factories import ProductFactory
from kehu.reports.filters import report_filter
from kehu.reports.selectors import wallet as selector
from kehu.reports.tests.test_wallet import URL, _order, _spend, world  # noqa: F401  (the world fixture)
from kehu.reports.views.wallet import _table_rows
from kehu.sales.summaries import category_revenue

D = Decimal

# The table's row as templates/reports/wallet.html wrote it before the view built it.
ROW_TEMPLATE = Template(
    '{% load i18n kehu_core %}{% for r in rows %}\n'
    '  <tr data-testid="row-{{ r.code }}-{{ forloop.counter }}"{% if r.is_opportunity %} class="table-warning"{% endif %}>\n'
    '    <td><a href="{% url \'customers:detail\' r.customer_id %}">{{ r.name }}</a> <span class="kehu-muted small">{{ r.code }}</span></td>\n'
    '    <td>{{ r.value_class_label }}</td>\n'
    '    <td>{{ r.category|default:"—" }}</td>\n'
    '    <td class="text-end">{{ r.ours|money:r.currency }}</td>\n'
    '    <td class="text-end">{% if r.spend is not None %}{{ r.spend|money:r.currency }}{% else %}—{% endif %}</td>\n'
    '    <td class="text-end">{% if r.share is not None %}{{ r.share|percent:"ratio" }}{% else %}—{% endif %}</td>\n'
    '    <td class="text-end">{% if r.our_growth is not None %}{{ r.our_growth|percent:"ratio" }}{% else %}—{% endif %}</td>\n'
    '    <td class="text-end">{% if r.their_growth is not None %}{{ r.their_growth|percent }}{% if r.their_growth_source == "stated" %} '
    '<span class="kehu-muted small">{% translate "stated" context "growth" %}</span>{% endif %}{% else %}—{% endif %}</td>\n'
    '    <td>{% if r.is_opportunity %}<span class="badge text-bg-warning">{% translate "Opportunity" context "wallet" %}</span>{% endif %}</td>\n'
    '  </tr>\n'
    '  {% endfor %}'
)


def _wallet(user, period="2025", threshold=selector.DEFAULT_THRESHOLD):
    request = RequestFactory().get(URL, {"period": period})
    request.user = user
    return selector.wallet_rows(flt=report_filter(request, default="year", period_kinds=("year",)), threshold=threshold)


def _dump(wallet):
    return (wallet.customers, [(t.currency, t.ours, t.spend) for t in wallet.totals], wallet.opportunity_count,
            [(r.code, r.category, r.currency, r.ours, r.ours_previous, r.spend, r.spend_previous, r.share, r.our_growth,
              r.their_growth, r.their_growth_source, r.is_opportunity) for r in wallet.rows])


@pytest.fixture
def blank(world):
    """One more line without a category (the table shows "—") for customer_a."""
    _order(world["customer_a"], date(2025, 7, 7), (ProductFactory(code="PW0", category=""), "500.00"))
    return world


def test_director_rows_are_exact_and_ranked(blank):
    wallet = _wallet(blank["director"])
    customers, totals, opportunities, rows = _dump(wallet)
    assert customers == 3 and opportunities == 1
    assert totals == [("CNY", D("26000.00"), D("360000.00"))]  # ours where a spend row exists: 8,000 + 15,000 + 0 + 3,000
    assert [(r[0], r[1], r[3], r[5], r[11]) for r in rows] == [
        ("C00001", "设备", D("8000.00"), D("100000.00"), True),   # the opportunity first: room 92,000
        ("C00003", "设备", D("0.00"), D("200000.00"), False),     # then by spend, largest first (customer_b)
        ("C00001", "耗材", D("15000.00"), D("50000.00"), False),
        ("C00004", "服务", D("3000.00"), D("10000.00"), False),
        ("C00001", "服务", D("1000.00"), None, False),            # then no spend row, by ours
        ("C00001", "", D("500.00"), None, False),
    ]
    first = rows[0]
    assert (first[4], first[6], first[7], first[8], first[9], first[10]) == (
        D("4000.00"), D("80000.00"), D("0.08"), D("1"), D("25.0"), "computed")


def test_director_rows_read_as_a_sequence(blank):
    rows = _wallet(blank["director"]).rows
    every = list(rows)
    assert len(rows) == 6 and [rows[i] for i in range(6)] == every
    assert rows[-1] is every[-1] and rows[1:3] == every[1:3] and rows[4:99] == every[4:] and rows[7:] == []
    assert rows[0] is rows[0]  # made once
    with pytest.raises(IndexError):
        rows[6]
    with pytest.raises(IndexError):
        rows[-7]


@pytest.mark.parametrize("threshold", [D(20), D("7.99"), D("8.01"), D(100)])
def test_system_listed_ids_and_the_scope_subquery_agree(blank, monkeypatch, threshold):
    """The customer ids as parameters and the scope as a subquery (a scope too large for a list)
    give the same report, for every role."""
    for role in ("director", "manager_a", "rep_a", "rep_b"):
        listed = _dump(_wallet(blank[role], threshold=threshold))
        with monkeypatch.context() as patch:
            patch.setattr(selector, "_listable", lambda alias, count: False)
            assert _dump(_wallet(blank[role], threshold=threshold)) == listed
    # 设备 (share 8 %, growing) is an opportunity under a threshold above 8 %, 耗材 (30 %, stated +10 %) above 30 %
    assert _wallet(blank["director"], threshold=threshold).opportunity_count == (threshold > 8) + (threshold > 30)


def test_system_listable_on_sqlite_stays_under_its_parameter_limit(db, monkeypatch):
    from django.db import connection

    if connection.vendor == "postgresql":
        assert selector._listable("default", 1_000_000)  # one array parameter
        return
    assert selector._listable("default", 2_000)
    assert not selector._listable("default", selector.MAX_LISTED_CUSTOMERS + 1)
    monkeypatch.setattr(selector, "MAX_LISTED_CUSTOMERS", 10)
    assert selector._listable("default", 10) and not selector._listable("default", 11)


def test_system_category_cents_are_category_revenue(blank):
    a, pool = blank["customer_a"], blank["pool_customer"]
    ids = [a.pk, pool.pk, blank["customer_a2"].pk]
    expected = category_revenue(customers=ids, periods=[(date(2025, 1, 1), date(2025, 12, 31)), (date(2024, 1, 1), date(2024, 12, 31))])
    from django.db.models import F

    got = selector._category_cents(selector.InIds(F("customer_id"), ids), 2025)
    assert got == [tuple(r) for r in expected]
    assert [r for r in got if r[0] == a.pk] == [
        (a.pk, "", "CNY", 50000, 0), (a.pk, " 耗材 ", "CNY", 1500000, 0), (a.pk, "服务", "CNY", 100000, 0), (a.pk, "设备", "CNY", 800000, 400000)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_director_table_rows_are_the_templates(blank, language):
    wallet = _wallet(blank["director"])
    with translation.override(language):
        expected = ROW_TEMPLATE.render(Context({"rows": list(wallet.rows)}))
        assert str(_table_rows(wallet.rows)) == expected
    assert 'class="table-warning"' in expected and "<td>—</td>" in expected


def test_director_page_shows_the_table_and_the_call_to_action(blank, login_en):
    response = login_en(blank["director"]).get(URL, {"period": "2025"})
    body = response.content.decode()
    assert [r.code for r in response.context["call_to_action"]] == ["C00001"]
    assert 'data-testid="opportunity-C00001"' in body and 'data-testid="row-C00001-1" class="table-warning"' in body
    assert 'data-testid="row-C00001-6"' in body


@pytest.mark.parametrize(("role", "queries"), [("director", 10), ("manager_a", 10), ("rep_a", 6)])
def test_page_takes_a_fixed_number_of_queries_per_role(blank, login, django_assert_max_num_queries, role, queries):
    client = login(blank[role])
    client.get(URL, {"period": "2025"})
    with django_assert_max_num_queries(queries):
        first = client.get(URL, {"period": "2025"})
    equipment = ProductFactory(code="PWX", category="设备")
    for i in range(12):  # many more customers of the reader's scope, two spend rows and a line each
        customer = make_customer(blank["rep_a"], f"多客户{i}", f"CY{i:04d}")
        _spend(customer, "设备", 2025, "1000.00", "3.0")
        _spend(customer, "耗材", 2025, "1000.00")
        _spend(customer, "设备", 2024, "900.00")
        _order(customer, date(2025, 2, 2), (equipment, "10.00"))
    with django_assert_max_num_queries(queries):
        more = client.get(URL, {"period": "2025"})
    assert len(more.context["wallet"].rows) == len(first.context["wallet"].rows) + 24
