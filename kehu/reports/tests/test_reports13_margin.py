"""The director report pages' faster paths (docs/performance.md "## Director report pages with
margin (issue 13, reports13)"): each gives the same figures as the plain reading it replaced.

- funnel: the whole company's customers per stage, grouped by stage alone, equal the per-stage
  counts of the live customers (the recycle bin left out), with and without a lead source;
- funnel: the recycle-bin and merged-away customers' opportunities stay out of the whole
  company's stage changes with `is_deleted IN (1)` as with `is_deleted`;
- value ranking: the class table's counts and sums (COUNT(*) on the covering index) equal those
  added up result by result over what the user may see, the recycle bin left out, for every form
  of the scope;
- share of wallet: the customer ids sent to PostgreSQL as one array in its text form select
  the same rows as a list;
- What it takes' rows and the funnel's group rows, now written in Python, are what the old
  templates (kept below) render, in English and Chinese.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from conftest import make_customer
from kehu.customers.models import CategorySpend, Customer
from kehu.ranking import selectors
from kehu.ranking.models import EvaluationResult, EvaluationRun
from kehu.planning.periods import parse_period
from kehu.reports.filters import ReportFilter
from kehu.reports.selectors.funnel import _gone_customers, customer_scope, funnel_report
from kehu.reports.selectors.wallet import InIds
from kehu.reports.tests.test_funnel import Q2, world  # noqa: F401 — the fixture
from kehu.reports.tests.test_what_it_takes import world as wit_world  # noqa: F401 — the fixture, by this name

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["admin", "director", "manager_a", "rep_a"])
@pytest.mark.parametrize("source", ["", "referral"])
def test_each_role_counts_customers_per_stage_as_the_plain_grouping(world, who, source):
    """admin sees the whole company: grouped by stage alone (unless a source is chosen); the
    others keep the grouping by owner — all equal the plain count of the scope per stage."""
    make_customer(None, "池一", "P1", stage=Customer.Stage.PROSPECT, lead_source="referral")  # the pool
    gone = make_customer(world["rep_a"], "删一", "X1", stage=Customer.Stage.PROSPECT, lead_source="referral")
    Customer.objects.filter(pk=gone.pk).update(is_deleted=True)
    flt = ReportFilter(reader=world[who], period=parse_period(Q2), today=date(2026, 6, 15), lead_source=source)
    expected = dict(customer_scope(flt).order_by().values_list("stage").annotate(n=Count("id")))
    assert not customer_scope(flt).filter(pk=gone.pk).exists()
    now = {r.key: r.now for r in funnel_report(flt).lifecycle}
    assert {k: v for k, v in now.items() if v} == expected
    if who == "admin" and not source:
        assert expected == dict(Customer.objects.filter(is_deleted=False).values_list("stage").annotate(n=Count("id")))


def test_system_gone_customers_are_the_recycle_bin_and_the_merged(world):
    a = make_customer(world["rep_a"], "删二", "X2")
    b = make_customer(world["rep_a"], "并三", "X3")
    Customer.objects.filter(pk=a.pk).update(is_deleted=True)
    Customer.objects.filter(pk=b.pk).update(merged_into=world["c1"])
    deleted, merged = (set(qs.values_list("pk", flat=True)) for qs in _gone_customers())
    assert deleted == set(Customer.objects.filter(is_deleted=True).values_list("pk", flat=True)) == {a.pk}
    assert merged == {b.pk}


@pytest.fixture
def run_world(cast):
    rep_a, rep_b = cast["rep_a"], cast["rep_b"]
    customers = [make_customer(rep_a, f"甲{i}", f"RA{i}") for i in range(4)] + [make_customer(rep_b, f"乙{i}", f"RB{i}") for i in range(3)]
    customers.append(make_customer(None, "池", "RP"))
    run = EvaluationRun.objects.create(model="value", as_of="2026-06-30", window_months=12, result_count=len(customers))
    classes = ["diamond", "gold", "general", "general", "gold", "general", "small", "small"]
    for i, (c, klass) in enumerate(zip(customers, classes)):
        EvaluationResult.objects.create(run=run, customer=c, position=i, rank=i + 1, klass=klass, sales=D(100 + i), profit=D(10 + i))
    Customer.objects.filter(pk=customers[1].pk).update(is_deleted=True)  # a result of the recycle bin: left out
    return run


@pytest.mark.parametrize("who", ["admin", "director", "manager_a", "rep_a", "rep_b"])
def test_each_role_class_table_counts_and_sums_the_results_it_may_see(run_world, cast, who):
    """The class table's counts and sums equal those added up here, result by result, over the
    run's results whose customer the user may open (the recycle bin left out)."""
    user = cast[who]
    table = selectors.class_table(run_world, user)
    visible = set(Customer.objects.visible_to(user).values_list("pk", flat=True))
    expected: dict[str, list] = {}
    for r in EvaluationResult.objects.filter(run=run_world):
        if r.customer_id in visible:
            n_s_p = expected.setdefault(r.klass, [0, D(0), D(0)])
            n_s_p[0] += 1
            n_s_p[1] += r.sales
            n_s_p[2] += r.profit
    assert expected, "the fixture gives every role some results"
    got = {r["klass"]: [r["count"], r["sales"], r["profit"]] for r in table["rows"] if r["count"]}
    assert got == expected
    assert table["count"] == sum(n for n, _s, _p in expected.values())
    deleted = Customer.objects.filter(is_deleted=True).values_list("pk", flat=True).get()
    assert deleted not in visible  # the recycle bin's result is not among the counted


def test_system_ids_as_one_array_select_what_a_list_selects(cast):
    customers = [make_customer(cast["rep_a"], f"钱{i}", f"W{i}") for i in range(5)]
    for c in customers:
        CategorySpend.objects.create(customer=c, category="耗材", year=2026, annual_spend=D("10.00"), currency="CNY",
                                     updated_at=timezone.now())
    wanted = [customers[0].pk, customers[2].pk, customers[4].pk]
    got = sorted(CategorySpend.objects.filter(InIds(F("customer_id"), wanted)).values_list("customer_id", flat=True))
    assert got == sorted(wanted)
    if connection.vendor == "postgresql":
        sql, params = CategorySpend.objects.filter(InIds(F("customer_id"), wanted)).query.sql_with_params()
        assert "ANY" in sql and ("{" + ",".join(map(str, wanted)) + "}") in params


# -- the rows written in Python are the rows the templates wrote -------------------------------------
# The templates as they were (templates/reports/partials/what_it_takes_row.html and
# what_it_takes_source.html, and funnel_groups.html's table body), rendered with the same rows.

OLD_WIT_SOURCE = '{% load i18n %}{% if rate.source == "team" %} <span class="badge text-bg-light" title="{% translate "No history of the rep\'s own: the team\'s rate" %}">{% translate "team\'s" %}</span>{% elif rate.source == "company" %} <span class="badge text-bg-light" title="{% translate "No history of the rep\'s or the team\'s own: the company\'s rate" %}">{% translate "company\'s" %}</span>{% endif %}\n'

OLD_WIT_ROW = '{% load i18n kehu_core %}{# One rep of What it takes (selectors/what_it_takes.py: Need). #}\n<tr data-testid="wit-rep-{{ n.rep.pk }}">\n  <td>{{ n.rep }}</td>\n  <td class="text-end" data-col="target">{{ n.target_amount|money|default:"—" }}</td>\n  <td class="text-end" data-col="won">{{ n.won|money }}</td>\n  <td class="text-end" data-col="gap">{% if n.target_amount is None %}—{% elif n.on_target %}<span class="text-success">{% translate "On target" %}</span>{% else %}{{ n.gap|money }}{% endif %}</td>\n  <td class="text-end" data-col="deal">{{ n.average_deal|money|default:"—" }}{% include "reports/partials/what_it_takes_source.html" with rate=n.deal_size %}</td>\n  <td class="text-end" data-col="deals">{% if n.deals is not None %}{{ n.deals }}{% else %}—{% endif %}</td>\n  <td class="text-end" data-col="qualified">{% if n.qualified is not None %}{{ n.qualified }}{% else %}—{% endif %}{% if n.deals is not None %}{% include "reports/partials/what_it_takes_source.html" with rate=n.win_rate %}{% endif %}</td>\n  <td class="text-end" data-col="prospects">{% if n.prospects is not None %}{{ n.prospects }}{% else %}—{% endif %}{% if n.qualified is not None %}{% include "reports/partials/what_it_takes_source.html" with rate=n.qualify_rate %}{% endif %}</td>\n  <td data-col="sentence">{% if n.target_amount is None %}{% translate "No won target for this period." %}\n    {% elif n.on_target %}{% blocktranslate with won=n.won|money target=n.target_amount|money %}On target: {{ won }} won of {{ target }}.{% endblocktranslate %}\n    {% elif n.deals is None %}{% blocktranslate with gap=n.gap|money %}{{ gap }} to go; nobody has won a deal in the last 12 months to size it by.{% endblocktranslate %}\n    {% else %}{% blocktranslate count deals=n.deals with gap=n.gap|money deal=n.average_deal|money %}{{ gap }} to go: about {{ deals }} deal of ~{{ deal }}{% plural %}{{ gap }} to go: about {{ deals }} deals of ~{{ deal }}{% endblocktranslate %}{% if n.qualified is not None %} — {% blocktranslate count qualified=n.qualified with won=n.win_rate.num of=n.win_rate.den %}{{ qualified }} qualified customer at {{ won }} won per {{ of }} qualified{% plural %}{{ qualified }} qualified customers at {{ won }} won per {{ of }} qualified{% endblocktranslate %}{% include "reports/partials/what_it_takes_source.html" with rate=n.win_rate %}{% if n.prospects is not None %} — {% blocktranslate count prospects=n.prospects with qualified=n.qualify_rate.num of=n.qualify_rate.den %}{{ prospects }} new prospect at {{ qualified }} qualified per {{ of }} prospects{% plural %}{{ prospects }} new prospects at {{ qualified }} qualified per {{ of }} prospects{% endblocktranslate %}{% include "reports/partials/what_it_takes_source.html" with rate=n.qualify_rate %}{% else %} — {% translate "no prospect history to size the prospects by" %}{% endif %}{% else %} — {% translate "no history of qualified customers to size the rest by" %}{% endif %}{% endif %}</td>\n</tr>\n'

OLD_FUNNEL_TBODY = '<tbody>{% for g in rows %}<tr><td class="text-nowrap">{{ g.label }}</td><td class="text-end">{{ g.prospects }}</td><td class="text-end">{{ g.signed }}</td>\n    <td class="text-end">{{ g.conversion|percent:"ratio"|default:"—" }}</td><td class="text-end">{{ g.won }}</td><td class="text-end">{{ g.lost }}</td>\n    <td class="text-end">{{ g.win_rate|percent:"ratio"|default:"—" }}</td><td class="text-end">{{ g.won_amount|money }}</td>\n    <td class="text-end">{{ g.deal_size|money|default:"—" }}</td><td class="text-end">{{ g.cycle_median|default_if_none:"—" }}</td></tr>\n  {% empty %}<tr><td colspan="10" class="kehu-muted">{% translate "Nothing in this period." %}</td></tr>{% endfor %}</tbody>'


def _old_wit_rows(rows) -> str:
    from django.template import Context, Engine

    engine = Engine(libraries={"i18n": "django.templatetags.i18n", "kehu_core": "kehu.core.templatetags.kehu_core"},
                    loaders=[("django.template.loaders.locmem.Loader", {
                        "reports/partials/what_it_takes_source.html": OLD_WIT_SOURCE,
                        "reports/partials/what_it_takes_row.html": OLD_WIT_ROW})])
    return engine.from_string('{% for n in rows %}{% include "reports/partials/what_it_takes_row.html" %}{% endfor %}').render(Context({"rows": rows}))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_system_what_it_takes_rows_are_the_template_s(wit_world, language):
    from django.utils import translation

    from kehu.reports.tests.test_what_it_takes import flt_for
    from kehu.reports.selectors.what_it_takes import COMPANY, OWN, TEAM, what_it_takes
    from kehu.reports.views.what_it_takes import rows_html

    rows = what_it_takes(flt_for(wit_world["admin"]))
    sources = {r.source for n in rows for r in (n.deal_size, n.win_rate, n.qualify_rate)}
    assert {OWN, TEAM, COMPANY} <= sources  # every badge drawn
    with translation.override(language):
        assert str(rows_html(rows)) == _old_wit_rows(rows)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_system_funnel_group_rows_are_the_template_s(world, director, language):
    from django.template import Context, Engine
    from django.utils import translation

    from kehu.reports.views.funnel import GroupRows

    report = funnel_report(ReportFilter(reader=world["admin"], period=parse_period(Q2), today=date(2026, 6, 15)))
    engine = Engine(libraries={"i18n": "django.templatetags.i18n", "kehu_core": "kehu.core.templatetags.kehu_core"})
    old = engine.from_string("{% load i18n kehu_core %}" + OLD_FUNNEL_TBODY)
    new = engine.from_string("{% load i18n %}<tbody>{% if rows %}{{ rows.html }}{% else %}<tr><td colspan=\"10\" class=\"kehu-muted\">"
                             "{% translate \"Nothing in this period.\" %}</td></tr>{% endif %}</tbody>")
    with translation.override(language):
        for rows in (report.by_rep, report.by_team, report.by_source, []):
            assert new.render(Context({"rows": GroupRows(rows)})) == old.render(Context({"rows": rows}))
