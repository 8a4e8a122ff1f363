"""The review of issue 12 in a real browser (Chinese and English, each role): what was wrong on
the 工作台 and the reports, pinned. The world is test_workbench.py's (hand-made, small)."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse

from conftest import make_customer
from kehu.activities.models import Notification
from kehu.core.dates import add_months
from kehu.customers.models import Customer
from kehu.reports.tests.test_workbench import opportunity, world  # noqa: F401  (the fixture)

D = Decimal
WORKBENCH = reverse("reports:workbench")


def login_zh(client, user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def _seen(client) -> str:
    """The 工作台 as read once loaded: the page, then the anomalies htmx loads after it."""
    page = client.get(WORKBENCH).content.decode()
    return page + client.get(reverse("reports:workbench-anomalies"), HTTP_HX_REQUEST="true").content.decode()


def _last_month(world):
    return add_months(world["today"].replace(day=1), -1).strftime("%Y-%m")


def test_manager_reads_the_anomaly_of_last_month_named_by_its_month_once(world, login_en):
    """The alert is last month's: "now" (本月仅, "this month only") was wrong on the 1st of the
    next month. Each revenue anomaly shows once (its notification is not listed again), links to
    the anomalies page of that rep, and the unread notifications are counted with a link."""
    m = world["manager_a"]
    Notification.objects.create(user=m, kind=Notification.Kind.ANOMALY, fact_key=f"revenue:{world['rep_a'].pk}:{_last_month(world)}",
                                params={"rep": "rep_a", "month": _last_month(world), "revenue": "100.00", "median": "1000.00", "ratio": "0.1000"})
    html = _seen(login_en(m))
    sentence = f"rep_a: usually ~¥1,000.00 a month, {_last_month(world)} ¥100.00 (10.00% of usual)"
    assert html.count(sentence) == 1
    assert "now ¥100.00" not in html
    assert f'{reverse("reports:anomalies")}?period={_last_month(world)}&amp;rep={world["rep_a"].pk}' in html
    assert "2 unread alerts in your notifications" in html  # the test world's one and this one


def test_manager_reads_the_anomaly_in_chinese_with_its_month(world, client):
    html = _seen(login_zh(client, world["manager_a"]))
    assert f"rep_a：平时每月约 ¥1,000.00，{_last_month(world)} 为 ¥100.00（平时的 10.00%）" in html
    assert "本月仅" not in html
    assert "通知中有 1 条未读预警" in html


def test_director_reads_the_anomaly_with_its_month(world, login_en):
    html = _seen(login_en(world["admin"]))
    assert f"rep_a: usually ~¥1,000.00 a month, {_last_month(world)} ¥100.00 (10.00% of usual)" in html
    assert "now ¥100.00" not in html


def test_a_rep_ahead_of_target_reads_on_target_not_a_negative_gap(world, login_en):
    """rep_a: target 10,000 this month, won 2,500 + 20,000 = 22,500: the gap is −12,500, shown as
    "On target" (as What it takes does), not "-¥12,500.00"."""
    t = world["today"]
    opportunity("O99", world["customer_a"], world["rep_a"], "won", "20000.00", close=t, closed=t)
    html = login_en(world["manager_a"]).get(WORKBENCH).content.decode()
    row = html.split(f'data-testid="wb-att-{world["rep_a"].pk}"')[1].split("</tr>")[0]
    assert "On target" in row and "-¥" not in row and "¥22,500.00" in row


def test_director_ahead_of_the_target_reads_so(world, login_en):
    """Company month: target 20,000, won 8,500 + 20,000, commit 3,000 → gap −11,500 in green with
    the review page's sentence; the quarter (gap 31,500) stays red."""
    t = world["today"]
    opportunity("O99", world["customer_a"], world["rep_a"], "won", "20000.00", close=t, closed=t)
    html = login_en(world["admin"]).get(WORKBENCH).content.decode()
    month = html.split('data-testid="wb-review-month"')[1].split("</tr>")[0]
    assert 'text-success" data-col="gap">-¥11,500.00' in month
    quarter = html.split('data-testid="wb-review-quarter"')[1].split("</tr>")[0]
    assert 'text-danger" data-col="gap">¥31,500.00' in quarter
    assert html.count("Won + commit are ahead of the target.") == 1


def test_director_behind_the_target_reads_no_ahead_sentence(world, login_en):
    html = login_en(world["admin"]).get(WORKBENCH).content.decode()
    assert "Won + commit are ahead of the target." not in html


def test_workbench_tables_scroll_on_a_phone(world, login_en):
    html = login_en(world["manager_a"]).get(WORKBENCH).content.decode()
    assert html.count('<div class="table-responsive"><table') == html.count("<table")


def test_search_box_keeps_its_width_in_a_crowded_top_bar(world, login_en):
    """In English the director's top bar squeezed the search box to 18 px: typed Chinese came out
    reversed (the caret stayed at 0). The box keeps a minimum width
    (5rem: it still shrinks from its 12rem so that a rep's English top bar fits in 1,280 px)."""
    html = login_en(world["admin"]).get(WORKBENCH).content.decode()
    assert 'style="min-width:5rem"' in html.split('data-testid="global-search"')[1].split("</form>")[0]


def test_buying_factors_industries_read_in_english(world, login_en):
    """Customers store the GB/T 4754 Chinese name; an English reader reads the English name, on
    the page, in the chart and in the export."""
    import io

    import openpyxl

    Customer.objects.filter(pk=world["customer_a"].pk).update(industry="建筑业")
    make_customer(world["rep_a"], "建筑二号有限公司", "C00091", industry="建筑业")
    client = login_en(world["admin"])
    html = client.get(reverse("reports:factors")).content.decode()
    assert '<th scope="row" class="fw-normal">Construction</th>' in html and ">建筑业<" not in html
    assert '"Construction"' in html  # the chart's category (json_script)
    wb = openpyxl.load_workbook(io.BytesIO(client.get(reverse("reports:factors-export")).content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "Construction" in cells and "建筑业" not in cells


def test_buying_factors_industries_read_in_chinese(world, client):
    Customer.objects.filter(pk=world["customer_a"].pk).update(industry="建筑业")
    html = login_zh(client, world["admin"]).get(reverse("reports:factors")).content.decode()
    assert '<th scope="row" class="fw-normal">建筑业</th>' in html and "Construction" not in html


def test_funnel_tables_scroll_on_a_phone(world, login_en):
    html = login_en(world["admin"]).get(reverse("reports:funnel")).content.decode()
    for testid in ("funnel-lifecycle", "funnel-stages"):
        assert f'<div class="table-responsive"><table class="table table-sm" data-testid="{testid}">' in html


def test_a_bad_period_names_only_the_kinds_the_report_takes(world, login_en, client):
    """Planning's message offered a quarter to the anomalies (months only) and weeks, halves,
    quarters and months to share of wallet (years only)."""
    c = login_en(world["admin"])
    for url, value, sentence in ((reverse("reports:anomalies"), "2026-Q2", "“2026-Q2” is not a period here. This report takes months: write 2026-06."),
                                 (reverse("reports:wallet"), "2026-11", "“2026-11” is not a period here. This report takes years: write 2026.")):
        response = c.get(url, {"period": value})
        assert response.status_code == 200
        html = response.content.decode()
        assert sentence in html and "a quarter as 2026-Q2" not in html and "an ISO week" not in html
    # a report taking every kind keeps planning's full sentence
    html = c.get(reverse("reports:funnel"), {"period": "2026-13"}).content.decode()
    assert "“2026-13” is not a period. Write a year as 2026" in html
    html = login_zh(client, world["manager_a"]).get(reverse("reports:wallet"), {"period": "2026-W49"}).content.decode()
    assert "“2026-W49”不是有效的期间。本报表按年份，写作 2026。" in html


def test_wallet_chart_leaves_room_for_the_legend_above_the_axis_name(world, login_en):
    response = login_en(world["admin"]).get(reverse("reports:wallet"))
    assert response.context["chart"]["grid"]["top"] == 64


def test_what_it_takes_table_scrolls_on_a_phone_instead_of_wrapping_each_character(world, login_en):
    html = login_en(world["admin"]).get(reverse("reports:what-it-takes")).content.decode()
    assert 'data-testid="wit-table" style="min-width:56rem"' in html


def test_search_button_and_director_periods_do_not_wrap(world, login_en):
    c = login_en(world["admin"])
    assert '<button class="btn btn-primary text-nowrap">' in c.get(reverse("reports:search"), {"q": "信疗"}).content.decode()
    html = c.get(WORKBENCH).content.decode()
    assert '<tr data-testid="wb-review-month"><td class="text-nowrap">' in html
    assert '<tr data-testid="wb-coverage-month"><td class="text-nowrap">' in html


def test_activity_export_names_the_rep_as_the_page_does(world, login_en):
    """The export wrote the login ("rep2") where the page shows the name (李芳)."""
    import io

    import openpyxl

    from kehu.accounts.models import User

    User.objects.filter(pk=world["rep_a"].pk).update(name="王伟")
    User.objects.filter(pk=world["rep_a2"].pk).update(name="刘洋")
    client = login_en(world["manager_a"])
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("reports:activity-export")).content))
    activity, board = book.worksheets[0], book.worksheets[1]
    assert sorted(r[0] for r in list(activity.iter_rows(values_only=True))[1:-1]) == ["刘洋", "王伟"]
    assert sorted(r[1] for r in list(board.iter_rows(values_only=True))[1:]) == ["刘洋", "王伟"]
    assert "rep_a" not in [c for ws in (activity, board) for row in ws.iter_rows(values_only=True) for c in row]


def test_quick_add_menu_opens_under_its_button_on_a_phone_and_right_aligned_on_a_desktop(world, login_en):
    html = login_en(world["rep_a"]).get(WORKBENCH).content.decode()
    quick = html.split('data-testid="quick-create"')[1].split("</ul>")[0]
    assert 'data-bs-display="static"' in quick and 'class="dropdown-menu dropdown-menu-lg-end"' in quick


def test_funnel_group_tables_scroll_on_a_phone_instead_of_wrapping_names(world, login_en):
    html = login_en(world["admin"]).get(reverse("reports:funnel")).content.decode()
    for key in ("rep", "team"):
        assert f'data-testid="funnel-by-{key}" style="min-width:48rem"' in html
    assert '<tr><td class="text-nowrap">' in html.split('data-testid="funnel-by-rep"')[1]


def test_charts_show_the_funnel_counts_and_hide_overlapping_value_labels():
    from kehu.reports import charts

    option = charts.funnel([("Target", 3), ("Prospect", 2)])
    assert option["series"][0]["label"]["formatter"] == "{b} {c}"
    bar = charts.bar(["a"], [("x", [D("1.50")])], horizontal=True)
    assert bar["xAxis"]["axisLabel"] == {"hideOverlap": True} and bar["series"][0]["data"] == ["1.50"]
    assert charts.bar(["a"], [("x", [1])])["yAxis"]["axisLabel"] == {"hideOverlap": True}


def test_quick_period_links_do_not_break_inside_a_label(world, login_en):
    html = login_en(world["admin"]).get(reverse("reports:funnel")).content.decode()
    assert 'class="mb-2 small d-flex flex-wrap" data-testid="report-quick-periods"' in html  # links wrap between each other
    quick = html.split('data-testid="report-quick-periods"')[1].split("</div>")[0]
    assert quick.count('class="me-2 text-nowrap') == quick.count("<a ")


def test_quick_period_links_and_export_keep_the_reports_own_setting(world, login_en):
    """Switching the period reset the leaderboard's measure, the anomalies' share and the wallet's
    threshold to their defaults."""
    c = login_en(world["admin"])
    html = c.get(reverse("reports:activity"), {"rank": "revenue"}).content.decode()
    quick = html.split('data-testid="report-quick-periods"')[1].split("</div>")[0]
    assert quick.count("&amp;rank=revenue&amp;period=") == quick.count("<a ")
    assert f'{reverse("reports:activity-export")}?period=' in html and "&amp;rank=revenue\" data-testid=\"report-export\"" in html
    html = c.get(reverse("reports:anomalies"), {"share": "30"}).content.decode()
    quick = html.split('data-testid="report-quick-periods"')[1].split("</div>")[0]
    assert quick.count("&amp;share=30&amp;period=") == quick.count("<a ")
    html = c.get(reverse("reports:wallet"), {"threshold": "15"}).content.decode()
    quick = html.split('data-testid="report-quick-periods"')[1].split("</div>")[0]
    assert quick.count("&amp;threshold=15&amp;period=") == quick.count("<a ")
