"""Issue 6 "Done means" in a real browser, in English, through the real pages:

the director opens the pyramid page and sees the two pyramids (ECharts canvases, tier counts
equal to the run) for the example data; runs a new key-account evaluation as of another date
from Runs → New run and compares it with the earlier key-account run (entered / left /
promoted / demoted); rep_a's quote with a discount above the customer's value-class policy
(but within the company default) waits for approval because of that class.

Uses the Debian Chromium fixture of kehu/customers/tests/test_browser.py (skipped without
/usr/bin/chromium unless KEHU_REQUIRE_BROWSER=1).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import seed_flushed_defaults
from kehu.customers.tests.test_browser import SHOTS, _login, browser  # noqa: F401 (the Chromium fixture)

pytestmark = pytest.mark.browser

AS_OF = date(2026, 6, 30)
NEW_AS_OF = date(2025, 12, 31)
VIEWPORT = {"width": 1280, "height": 900}

# How many painted (non-transparent) pixels a chart's canvas must hold to count as drawn.
PAINTED_JS = """(el) => {
  const canvas = el.querySelector('canvas');
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) n++; }
  return n;
}"""


@pytest.fixture
def example_live(transactional_db):
    """The shipped example dataset, loaded into the database the live server reads."""
    from kehu.dataset.services import dataset_import
    from kehu.dataset.tests.conftest import EXAMPLE

    seed_flushed_defaults()
    report = dataset_import(actor=None, path=EXAMPLE)
    assert report.errors == []


def _english(*users):
    for user in users:
        user.language = "en"
        user.save(update_fields=["language"])


def _sign_in(context, base, username):
    page = context.new_page()
    _login(page, base, username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.get_attribute("html", "lang") == "en"
    return page


@pytest.mark.django_db(transaction=True)
def test_director_sees_pyramids_runs_and_compares_key_accounts_and_a_class_policy_stops_a_discount(
    browser, live_server, example_live, director, rep_a, rep_b  # noqa: F811
):
    from playwright.sync_api import expect

    from kehu.core.models import CompanySettings
    from kehu.customers.models import Customer
    from kehu.ranking.models import EvaluationRun, TierPolicy
    from kehu.ranking.policy import policy_label
    from kehu.ranking.selectors import class_label, run_payload, runs_compare
    from kehu.ranking.services import evaluation_run
    from kehu.sales.models import Product, Quote

    # ------------------------------------------------------------------ 1. data
    # The example's customers go to the cast: rep_a (team A) gets a few, rep_b (team B) the
    # rest of the owned ones; the pool stays the pool. The director manages both teams, so
    # they see every customer of the runs.
    _english(director, rep_a)
    Customer.objects.filter(owner__isnull=False).update(owner=rep_b)
    runs = {m: evaluation_run(actor=None, model=m, as_of=AS_OF) for m in ("pyramid", "value", "key_account")}
    value_class = {r["customer"]: r["class"] for r in run_payload(runs["value"])["results"]}
    # rep_a's customer for the quote: a ranked "problem" customer (not a key account, so the
    # value-class policy is the first one that applies).
    target = (
        Customer.objects.filter(code__in=[c for c, k in value_class.items() if k == "problem"], is_key_account=False, is_deleted=False)
        .order_by("code")
        .first()
    )
    assert target is not None
    mine = [target.code, *[c for c, k in sorted(value_class.items()) if k == "general"][:2]]
    Customer.objects.filter(code__in=mine).update(owner=rep_a)
    target.refresh_from_db()
    assert target.value_class == value_class[target.code] == "problem"

    summary = run_payload(runs["pyramid"])["summary"]
    total = sum(row["count"] for row in summary)
    assert total == runs["pyramid"].results.count()
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ 2. the pyramid page
    dir_ctx = browser.new_context(viewport=VIEWPORT)
    page = _sign_in(dir_ctx, base, "director")
    page.get_by_test_id("nav-ranking").click()
    page.get_by_role("link", name="Customer pyramid").click()
    page.wait_for_url(f"**{reverse('ranking:pyramid')}")
    expect(page.locator("h1")).to_have_text("Customer pyramid")
    expect(page.get_by_test_id("run-info")).to_contain_text(f"Run #{runs['pyramid'].pk} as of 2026-06-30")
    charts = page.locator(".ranking-chart")
    expect(charts).to_have_count(2)
    for kind in ("pyramid-count", "pyramid-profit"):
        chart = page.locator(f".ranking-chart[data-chart={kind}]")
        expect(chart.locator("canvas")).to_have_count(1)  # ECharts initialised and drew into its container
        page.wait_for_function(f"(el) => ({PAINTED_JS})(el) > 500", arg=chart.element_handle())
        box = chart.locator("canvas").bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    table = page.get_by_test_id("class-table")
    for row in summary:
        tier = table.get_by_test_id(f"class-{row['class']}")
        expect(tier.get_by_test_id("count")).to_have_text(str(row["count"]))
        share = (row["profit_share"] * 100).quantize(Decimal("0.01"))
        expect(tier.get_by_test_id("profit-share")).to_have_text(f"{share}%")
    expect(table.get_by_test_id("total-count")).to_have_text(str(total))
    page.screenshot(path=str(SHOTS / "ranking-pyramid.png"), full_page=True)

    # ------------------------------------------------------------------ 3. a new key-account run, compared
    page.get_by_test_id("ranking-subnav").get_by_role("link", name="Runs").click()
    page.wait_for_url(f"**{reverse('ranking:run-list')}")
    for run in runs.values():
        expect(page.get_by_test_id(f"run-{run.pk}")).to_be_visible()
    page.get_by_test_id("run-new").click()
    page.wait_for_url("**/ranking/runs/new/**")
    page.select_option("#id_model", value="key_account")
    page.fill("#id_as_of", NEW_AS_OF.isoformat())
    page.get_by_role("button", name="Run", exact=True).click()
    # The run is a background job (kehu.ranking.jobs): its page, the worker's run, then the result.
    page.wait_for_url("**/jobs/*/")
    from kehu.core.jobs import job_run
    from kehu.core.models import Job

    for pk in Job.objects.filter(state=Job.State.QUEUED).values_list("pk", flat=True):
        job_run(pk)
    new_run = EvaluationRun.objects.filter(model="key_account").exclude(pk=runs["key_account"].pk).get()
    assert new_run.as_of == NEW_AS_OF and new_run.started_by_id == director.pk
    expect(page.get_by_test_id("job-result")).to_contain_text(f"Evaluation run #{new_run.pk} (Key account, as of 2025-12-31) is done.")
    page.get_by_test_id("job-result-link").click()
    page.wait_for_url("**/ranking/runs/*/")
    assert page.url.endswith(reverse("ranking:run-detail", args=[new_run.pk]))
    expect(page.locator("h1")).to_have_text(f"Evaluation run #{new_run.pk} · Key account")
    expect(page.get_by_test_id("run-meta")).to_contain_text("2025-12-31")
    # The key-account run of 2026-06-30 is the latest: the back-dated run does not change current flags.
    assert set(Customer.objects.filter(is_key_account=True).values_list("code", flat=True)) == set(
        runs["key_account"].results.filter(klass="key").values_list("customer__code", flat=True)
    )

    diff = runs_compare(runs["key_account"], new_run)  # before: the earlier-made run; after: the new one
    changed = diff["entered"] + diff["left"] + [m["customer"] for m in diff["promoted"] + diff["demoted"]]
    assert changed, "the two key-account runs should differ on the example data"

    page.get_by_role("link", name="Compare with previous").click()
    page.wait_for_url(f"**{reverse('ranking:run-compare', args=[new_run.pk])}*")
    # "Previous" is the run of the model made just before (selectors.previous_run): the 2026-06-30
    # run, although the new one is back-dated.
    expect(page.get_by_test_id("compare-before")).to_contain_text(f"Before: run #{runs['key_account'].pk} as of 2026-06-30")
    for key in ("entered", "left", "promoted", "demoted"):
        expect(page.get_by_test_id(f"total-{key}")).to_have_text(str(len(diff[key])))
    for code in diff["entered"][:3]:
        expect(page.get_by_test_id("section-entered").get_by_test_id(f"entered-{code}")).to_contain_text(code)
    for code in diff["left"][:3]:
        expect(page.get_by_test_id("section-left").get_by_test_id(f"left-{code}")).to_contain_text(code)
    for key in ("promoted", "demoted"):
        for move in diff[key]:
            row = page.get_by_test_id("section-" + key).get_by_test_id(f"{key}-{move['customer']}")
            expect(row).to_contain_text(f"{class_label('key_account', move['from'])} → {class_label('key_account', move['to'])}")
    page.screenshot(path=str(SHOTS / "ranking-compare.png"), full_page=True)
    dir_ctx.close()

    # ------------------------------------------------------------------ 4. a class policy stops a discount
    default = CompanySettings.load().default_max_discount_pct
    assert default == Decimal("5.00")
    TierPolicy.objects.create(model="value", klass="problem", max_discount_pct=Decimal("2"))
    product = Product.objects.filter(is_active=True).order_by("code").first()
    rep_ctx = browser.new_context(viewport=VIEWPORT)
    rep = _sign_in(rep_ctx, base, "rep_a")
    rep.goto(f"{base}{reverse('customers:detail', args=[target.pk])}#tab-deals")  # the tab of the terms and the quotes
    expect(rep.get_by_test_id("customer-name")).to_have_text(target.name)
    expect(rep.get_by_test_id("ranking-value")).to_contain_text("Problem")
    expect(rep.get_by_test_id("policy-max_discount_pct")).to_contain_text("Problem (value class)")
    rep.get_by_test_id("deals-panel").get_by_role("link", name="New quote").click()
    rep.wait_for_url("**/quotes/new/**")
    rep.select_option("#id_lines-0-product", value=str(product.pk))
    rep.fill("#id_lines-0-quantity", "2")
    rep.fill("#id_lines-0-discount_pct", "3")
    rep.get_by_role("button", name="Save draft").click()
    rep.wait_for_url("**/sales/quotes/*/")
    expect(rep.get_by_test_id("quote-status")).to_have_text("Draft")
    rep.get_by_test_id("submit").click()
    expect(rep.get_by_test_id("quote-status")).to_have_text("Waiting for approval")
    label = "Problem (value class)"
    assert policy_label("value", "problem") == label
    expect(rep.locator("main")).to_contain_text(f"Above the discount policy of {label}")
    expect(rep.get_by_test_id("asked")).to_have_text("3.00%")
    expect(rep.get_by_test_id("allowed")).to_have_text("2.00%")
    expect(rep.get_by_test_id("discount-policy")).to_have_text(label)
    quote = Quote.objects.get(customer=target)
    assert quote.status == Quote.Status.PENDING
    assert quote.allowed_discount_pct == Decimal("2.00") and quote.discount_policy == "value:problem"
    assert quote.max_discount_pct == Decimal("3.00") < default  # within the company default: the class stopped it
    rep.screenshot(path=str(SHOTS / "ranking-quote-pending.png"), full_page=True)
    rep_ctx.close()


# The count funnel's layout as ECharts computed it: per piece, its name, value and the widths of
# its top and bottom edges, top to bottom.
FUNNEL_JS = """(el) => {
  const data = window.echarts.getInstanceByDom(el).getModel().getSeriesByIndex(0).getData();
  const pieces = [];
  for (let i = 0; i < data.count(); i++) {
    const p = data.getItemLayout(i).points;  // top-left, top-right, bottom-right, bottom-left
    const a = {y: p[0][1], w: Math.abs(p[1][0] - p[0][0])}, b = {y: p[3][1], w: Math.abs(p[2][0] - p[3][0])};
    const [top, bottom] = a.y <= b.y ? [a, b] : [b, a];
    pieces.push({name: data.getName(i), value: data.get('value', i), y: top.y, top: top.w, bottom: bottom.w});
  }
  return pieces.sort((x, y) => x.y - y.y);
}"""


@pytest.mark.django_db(transaction=True)
def test_director_sees_the_count_pyramid_widest_at_its_largest_tier(browser, live_server, director, rep_a):  # noqa: F811
    """Issue 10 item 22: the count pyramid drew as a diamond (the bottom tier tapered to a point).
    The chart gets the tiers best first; the tier with the most customers is drawn widest, at
    the bottom, and the pyramid narrows to the top."""
    from conftest import make_customer
    from kehu.ranking.models import EvaluationResult, EvaluationRun

    seed_flushed_defaults()
    _english(director)
    counts = {"important": 1, "major": 3, "ordinary": 5, "small": 9}
    run = EvaluationRun.objects.create(model="pyramid", as_of=AS_OF, params={}, result_count=sum(counts.values()))
    rows, n = [], 0
    for klass, count in counts.items():
        for _ in range(count):
            n += 1
            customer = make_customer(rep_a, f"客户{n:02d}有限公司", f"P{n:05d}")
            rows.append(EvaluationResult(run=run, customer=customer, position=n, rank=n, klass=klass))
    EvaluationResult.objects.bulk_create(rows)

    context = browser.new_context(viewport=VIEWPORT)
    page = _sign_in(context, live_server.url, "director")
    page.goto(live_server.url + reverse("ranking:pyramid"))
    handed = page.evaluate("JSON.parse(document.getElementById('pyramid-data').textContent)")
    assert [(r["klass"], r["count"]) for r in handed] == list(counts.items())  # best first, as the ladder
    chart = page.locator(".ranking-chart[data-chart=pyramid-count]")
    page.wait_for_function(f"(el) => ({PAINTED_JS})(el) > 500", arg=chart.element_handle())
    pieces = chart.evaluate(FUNNEL_JS)
    assert [p["name"] for p in pieces] == ["Important", "Major", "Ordinary", "Small"]
    edges = [w for p in pieces for w in (p["top"], p["bottom"])]
    assert edges == sorted(edges), f"narrow on top, wide at the bottom: {pieces}"
    assert pieces[-1]["bottom"] == max(edges) > pieces[-1]["top"]  # the largest tier is the widest
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "ranking-pyramid-shape.png"), full_page=True)
    context.close()
