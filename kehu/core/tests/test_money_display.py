"""One money format everywhere (issue 10, item 15; docs/rules.md "Money on screen").

A scan of every template for the ways an amount used to reach the page raw — `113000.00 CNY` in a
list, `113000.00` in a board header, `0.3145` for a margin: an amount printed without the `money`
(or, for a unit price, `price`) filter, a number followed by a currency code, `floatformat`, and a
number glued to a `%` sign instead of the `percent` filter."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIRS = [ROOT / "templates"] + list((ROOT / "kehu").glob("*/templates"))

# The amounts Kehu keeps (every MoneyField and UnitPriceField name: test_money_names_cover_the_models
# keeps the list honest) and the amounts its pages compute.
MONEY_NAMES = {
    "amount", "annual_spend", "applied", "cost", "credit_limit", "list_price", "on_account", "open_amount", "profit",
    "registered_capital", "revenue", "sales", "total", "total_assets", "unit_cost", "unit_price", "written_off",
    # computed
    "weighted", "collected", "commission", "earned", "owed", "received", "open", "overdue", "outstanding", "due_amount",
    "target_amount", "commit", "best_case",
}
MONEY_FILTERS = {"money", "price"}
# A score or rating is read with one decimal (the score filter).

# Expressions that print something else under a money-like name: a bound form field (its <input>),
# a form's raw value sent back in a hidden input or read by a script, or a count. "*": any template.
NOT_AMOUNTS = {
    ("templates/sales/quote_form.html", "line.unit_price"),
    ("templates/finance/order_form.html", "line.unit_price"),
    ("templates/finance/order_form.html", "line.unit_cost"),
    ("templates/finance/partials/contract_plan_fields.html", "row.amount"),
    ("templates/finance/partials/contract_plan_fields.html", "target_amount"),  # the script's running sum
    ("templates/finance/writeoff_confirm.html", "form.cleaned_data.amount"),
    ("templates/activities/team.html", "r.total"),                 # follow-ups counted
    ("templates/activities/team.html", "report.totals.total"),
    ("templates/activities/agenda.html", "s.total"),               # follow-ups in a section
    ("templates/ranking/run_compare.html", "total"),               # customers in a section
    ("templates/customers/partials/qualification_panel.html", "total"),  # items checked of all
    ("*", "page.total"),                                            # rows of a paginated list
    ("*", "coverage.total"),
    ("templates/planning/partials/forecast_line.html", "opp.amount"),  # the row's input and the script's data-amount
    ("templates/planning/target_grid.html", "row.target.amount"),      # the spread form's input
}

OUTPUT = re.compile(r"{{\s*(?P<expr>[^}]*?)\s*}}")
BLOCK = re.compile(r"{%\s*blocktrans(?:late)?(?P<opts>[^%]*)%}(?P<body>.*?){%\s*endblocktrans(?:late)?\s*%}", re.S)
WITH = re.compile(r"(\w+)=(\S+)")
AMOUNT_THEN_CODE = re.compile(r"{{\s*(?P<expr>[^}]+?)\s*}}\s*(?:<[^>]*>\s*)*{{\s*[\w.]*currency\s*}}")
GLUED_PERCENT = re.compile(r"{{\s*(?P<expr>[^}]*?)\s*}}\s*%")


def _templates():
    for base in TEMPLATE_DIRS:
        for path in sorted(base.rglob("*")):
            if path.suffix in (".html", ".txt"):
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def _line(text, pos):
    return text.count("\n", 0, pos) + 1


def _outputs(text):
    """(position, expression) of every value a template prints. Inside {% blocktranslate with
    x=expr %} the placeholder {{ x }} prints `expr`: the assignment is what is checked."""
    blanked = text
    for block in BLOCK.finditer(text):
        for name, expr in WITH.findall(block.group("opts")):
            yield block.start(), expr
        body = block.group("body")
        blanked = blanked[:block.start("body")] + re.sub(r"[^\n]", " ", body) + blanked[block.end("body"):]
    for m in OUTPUT.finditer(blanked):
        yield m.start(), m.group("expr")


def raw_outputs(where: str, text: str) -> list[str]:
    problems = []
    for pos, expr in _outputs(text):
        variable, *filters = [part.strip() for part in expr.split("|")]
        last = variable.split(".")[-1]
        filter_names = {f.split(":")[0] for f in filters}
        if last == "score" and "score" not in filter_names:
            problems.append(f"{where}:{_line(text, pos)}: {{{{ {expr} }}}} prints a score without |score (one decimal)")
        if last not in MONEY_NAMES or filter_names & MONEY_FILTERS or filter_names & {"json_script", "length"}:
            continue
        if (where, variable) in NOT_AMOUNTS or ("*", variable) in NOT_AMOUNTS:
            continue
        problems.append(f"{where}:{_line(text, pos)}: {{{{ {expr} }}}} prints an amount without |money")
    for m in AMOUNT_THEN_CODE.finditer(text):
        if m.group("expr").split("|")[0].strip().split(".")[-1] in MONEY_NAMES:
            problems.append(f"{where}:{_line(text, m.start())}: an amount followed by its currency code ({m.group(0)!r})")
    for m in re.finditer(r"floatformat", text):
        problems.append(f"{where}:{_line(text, m.start())}: floatformat (use money, percent or score)")
    for m in GLUED_PERCENT.finditer(text):
        if "percent" not in m.group("expr"):
            problems.append(f"{where}:{_line(text, m.start())}: {{{{ {m.group('expr')} }}}}% (use |percent)")
    return problems


def test_no_template_prints_a_raw_amount_or_percentage():
    problems = [p for where, text in _templates() for p in raw_outputs(where, text)]
    assert problems == [], f"{len(problems)} raw amounts or percentages:\n" + "\n".join(problems)


def test_the_scan_catches_what_it_is_for():
    sample = ('<td>{{ opp.amount }} {{ opp.currency }}</td><td>{{ column.total }}</td>'
              '<td>{{ x.margin|floatformat:2 }}</td><td>{{ quote.max_discount_pct }}%</td><td>{{ r.score|plain_number }}</td>'
              '<td>{{ o.amount|money:o.currency }} <span>{{ o.currency }}</span></td>')
    found = raw_outputs("templates/x.html", sample)
    # amount (+ followed by its code), total, floatformat, glued %, score, money followed by its code
    assert len(found) == 7, found
    assert len(raw_outputs("templates/x.html", "{% blocktranslate with amount=x.amount %}Paid {{ amount }}{% endblocktranslate %}")) == 1
    assert raw_outputs("templates/x.html", "{% blocktranslate with amount=x.amount|money:c %}Paid {{ amount }}{% endblocktranslate %}") == []
    fine = '<td>{{ opp.amount|money:opp.currency }}</td><td>{{ q.max_discount_pct|percent }}</td><td>{{ p.unit_price|price:c }}</td><td>{{ r.score|score }}</td>'
    assert raw_outputs("templates/x.html", fine) == []


def test_money_names_cover_the_models():
    from django.apps import apps

    from kehu.core.fields import MoneyField, UnitPriceField

    names = {f.name for m in apps.get_models() for f in m._meta.get_fields() if isinstance(f, (MoneyField, UnitPriceField))}
    assert names <= MONEY_NAMES, names - MONEY_NAMES


# --- the pages, read in Chinese ----------------------------------------------------------------------

import pytest  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.urls import reverse  # noqa: E402

D = Decimal


@pytest.fixture
def opp(rep_a, customer_a):
    from kehu.sales.services import opportunity_create

    return opportunity_create(actor=rep_a, customer=customer_a, title="ERP 项目", amount="113000.00")


@pytest.mark.django_db
def test_rep_reads_opportunity_amounts_with_the_symbol_and_separators(client, rep_a, opp):
    client.force_login(rep_a)
    listing = client.get(reverse("sales:opportunity-list")).content.decode()
    assert "¥113,000.00" in listing and "113000.00" not in listing and " CNY" not in listing
    board = client.get(reverse("sales:pipeline")).content.decode()
    total = re.search(r'data-testid="total">([^<]*)<', board).group(1)
    assert total.startswith("¥") and "113,000.00" in board
    assert "113000.00" not in board
    detail = client.get(reverse("sales:opportunity-detail", args=[opp.pk])).content.decode()
    amount = re.search(r'data-testid="amount">(.*?)</dd>', detail, re.S).group(1)
    assert amount.strip() == "¥113,000.00"


@pytest.mark.django_db
def test_the_product_picker_shows_list_prices_with_the_symbol(client, rep_a, customer_a):
    from kehu.sales.models import Product

    Product.objects.create(code="P1", name="Widget", list_price=D("12000.5000"), unit_cost=D("60.0000"))
    client.force_login(rep_a)
    body = client.get(reverse("sales:quote-create", args=[customer_a.pk])).content.decode()
    assert "Widget (P1) · ¥12,000.50</option>" in body and "12000.5000 CNY" not in body


@pytest.mark.django_db
def test_quote_lines_read_unit_prices_and_discounts_in_one_format(client, rep_a, customer_a):
    from kehu.sales import services as q
    from kehu.sales.models import Product

    product = Product.objects.create(code="P1", name="Widget", list_price=D("1200.0000"), unit_cost=D("60.0000"))
    quote = q.quote_create(actor=rep_a, customer=customer_a, lines=[{"product": product, "quantity": D("2"), "discount_pct": D("10")}])
    client.force_login(rep_a)
    body = client.get(reverse("sales:quote-detail", args=[quote.pk])).content.decode()
    assert "<td class=\"text-end\">¥1,200.00</td><td class=\"text-end\">10.00%</td>" in body
    assert "¥2,160.00" in body


# --- Python places that write an amount for reading: notifications, pickers, timeline -------------

from datetime import date  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from django.utils import translation  # noqa: E402


def _notification(**params):
    return SimpleNamespace(params=params, customer_id=1, customer=SimpleNamespace(name="华为技术有限公司"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_credit_hold_notification_reads_the_order_total_with_its_symbol(language):
    from kehu.finance.wiring_orders import render_order_blocked

    with translation.override(language):
        text = render_order_blocked(_notification(code="S000007", total="113000.00", currency="CNY", owner="rep_a"))
    assert "¥113,000.00" in text and "113000.00" not in text and "CNY" not in text


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_quote_approval_notification_reads_percentages(language):
    from kehu.sales.wiring_deals import render_quote_approval

    with translation.override(language):
        text = render_quote_approval(_notification(owner="rep_a", code="Q1", discount="12.50", allowed="10.00"))
    assert "12.50%" in text and "10.00%" in text and " %" not in text


def test_the_payment_picker_reads_an_open_receivable_once_with_its_symbol():
    from kehu.finance.forms import PaymentForm

    receivable = SimpleNamespace(order_id=None, pk=5, open_amount=D("113000.00"), currency="USD", due_on=date(2026, 6, 30))
    with translation.override("en"):
        label = PaymentForm._receivable_label(receivable)
    assert "$113,000.00" in label and "USD" not in label and "113000.00" not in label


@pytest.mark.django_db
def test_the_order_pickers_read_amounts_with_their_symbol(rep_a, customer_a):
    from kehu.finance.forms_orders import ContractForm, OrderForm, OrderLineForm
    from kehu.sales.models import Contract, Opportunity, OpportunityStage, Product, Quote

    quote = Quote.objects.create(code="Q1", customer=customer_a, owner=rep_a, status=Quote.Status.APPROVED, total=D("113000.00"))
    opp = Opportunity.objects.create(code="O1", customer=customer_a, owner=rep_a, title="ERP", amount=D("2000.00"), currency="USD",
                                     stage=OpportunityStage.objects.get(code="won"))
    contract = Contract.objects.create(code="K1", customer=customer_a, owner=rep_a, signed_on=date(2026, 1, 1), amount=D("5000.00"))
    product = Product.objects.create(code="P1", name="Widget", list_price=D("12000.5000"), unit_cost=D("60.0000"))
    labels = [label for _group, options in ContractForm(quotes=[quote], opportunities=[opp], customer=customer_a).fields["source"].choices[1:]
              for _value, label in options]
    labels += [label for _value, label in OrderForm(contracts=[contract]).fields["contract"].choices[1:]]
    labels += [label for _value, label in OrderLineForm(products=[product]).fields["product"].choices[1:]]
    assert [label.split(" · ")[-1] for label in labels] == ["¥113,000.00", "$2,000.00", "¥5,000.00", "¥12,000.50"]


# --- ranking: ratios as percentages, scores with one decimal -------------------------------------

@pytest.fixture
def value_run(customer_a):
    from kehu.ranking.models import EvaluationResult, EvaluationRun

    run = EvaluationRun.objects.create(model="value", as_of=date(2026, 6, 30), result_count=1)
    EvaluationResult.objects.create(
        run=run, customer=customer_a, position=1, rank=1, score=D("73.4512"), klass="diamond", sales=D("113000.00"), profit=D("35538.50"),
        indicators={"sales": "113000.00", "collection_rate": "0.9500", "on_time_share": "0.8000", "margin": "0.3145",
                    "influence": "4.0", "growth": "-0.0525", "mean_days_late": "12.3333", "open_pipeline": "5000.00"},
    )
    return run


@pytest.mark.django_db
def test_director_reads_ratios_as_percentages_and_scores_with_one_decimal(client, director, value_run, customer_a):
    client.force_login(director)
    body = client.get(reverse("ranking:value")).content.decode()
    row = re.search(r'<tr data-testid="result-%s">(.*?)</tr>' % customer_a.code, body, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    # code, customer, class, rank, score, then sales, collection rate, on-time share, margin, influence, growth, days late, pipeline
    assert cells[4:] == ["73.5", "¥113,000.00", "95.00%", "80.00%", "31.45%", "4.0", "-5.25%", "12.3", "¥5,000.00"]


@pytest.mark.django_db
def test_the_class_table_reads_shares_as_percentages(client, director, value_run):
    client.force_login(director)
    body = client.get(reverse("ranking:value")).content.decode()
    share = re.search(r'data-testid="count-share">([^<]*)<', body).group(1)
    assert share == "100.00%"


@pytest.mark.django_db
def test_the_customer_ranking_panel_reads_the_score_with_one_decimal(client, rep_a, value_run, customer_a):
    client.force_login(rep_a)
    # the ranking panel is drawn after the customer page (issue 13), from customers:panels
    page = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    panel_url = reverse("customers:panels", args=[customer_a.pk]) + "?key=ranking"
    assert f'hx-get="{panel_url}"' in page
    body = client.get(panel_url, HTTP_HX_REQUEST="true").content.decode()
    assert "73.5" in body and "73.4512" not in body
