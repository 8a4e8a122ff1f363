"""Issue 4 end to end in a real browser: the rep's agenda shows what was planned and what was
missed; after `kehu daily` the manager's notification centre shows the missed follow-up and a
key account past its visit interval; after a handover the new rep sees the whole timeline."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kehu.activities.models import Activity
from kehu.customers.models import Customer
from kehu.customers.services import customer_handover
from kehu.customers.tests.test_browser import SHOTS, _login, browser  # noqa: F401 (the Chromium fixture)

pytestmark = pytest.mark.browser


def _english(*users):
    for user in users:
        user.language = "en"
        user.save(update_fields=["language"])


@pytest.mark.django_db(transaction=True)
def test_agenda_overdue_manager_alerts_and_timeline_after_handover(browser, live_server, cast):
    rep_a, rep_a2, manager_a, director = cast["rep_a"], cast["rep_a2"], cast["manager_a"], cast["director"]
    customer, key_account = cast["customer_a"], cast["customer_a2"]
    _english(rep_a, rep_a2, manager_a)
    now = timezone.now()
    today = timezone.localdate()
    # A visit logged earlier, with a follow-up planned for yesterday that never happened ...
    visit = Activity.objects.create(
        customer=customer, owner=rep_a, kind="visit", visit_level="business", status="done",
        at=now - timedelta(days=5), summary="首次拜访采购部",
    )
    Activity.objects.create(
        customer=customer, owner=rep_a, kind="phone", status="planned", due_on=today - timedelta(days=1),
        summary="电话确认样品", planned_by=visit,
    )
    # ... and one planned for later this month.
    Activity.objects.create(customer=customer, owner=rep_a, kind="visit", status="planned", due_on=today + timedelta(days=9), summary="拜访技术总监")
    # A key account of rep_a2's, last visited 60 days ago (interval: 30 days by default).
    Customer.objects.filter(pk=key_account.pk).update(is_key_account=True, owned_since=now - timedelta(days=200))
    Activity.objects.create(customer=key_account, owner=rep_a2, kind="visit", visit_level="leadership", status="done", at=now - timedelta(days=60), summary="年度高层拜访")

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    # The rep's agenda: the missed follow-up is overdue, the next one is coming.
    _login(page, live_server.url, "rep_a")
    page.goto(f"{live_server.url}{reverse('activities:agenda')}")
    overdue = page.inner_text("[data-testid=section-overdue]")
    assert "电话确认样品" in overdue and customer.name in overdue
    assert "拜访技术总监" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "agenda-rep.png"), full_page=True)
    page.context.clear_cookies()

    # The scheduled run raises the alerts, once.
    call_command("daily")
    call_command("daily")

    _login(page, live_server.url, "manager_a")
    assert page.inner_text("[data-testid=notification-count]").strip() not in ("", "0")
    page.goto(f"{live_server.url}{reverse('activities:notifications')}")
    centre = page.inner_text("main")
    assert customer.name in centre  # the missed follow-up of rep_a
    assert key_account.name in centre  # the key account past its visit interval
    page.screenshot(path=str(SHOTS / "notifications-manager.png"), full_page=True)
    page.context.clear_cookies()

    # The director hands rep_a's customers to rep_a2, who sees the whole timeline.
    customer_handover(actor=director, from_user=rep_a, to_user=rep_a2)
    _login(page, live_server.url, "rep_a2")
    page.goto(f"{live_server.url}{reverse('customers:detail', args=[customer.pk])}")
    timeline = page.inner_text("[data-testid=timeline]")
    assert "首次拜访采购部" in timeline
    assert "拜访技术总监" in page.inner_text("[data-testid=planned]")  # the open plan moved with the customer
    page.screenshot(path=str(SHOTS / "timeline-after-handover.png"), full_page=True)
    page.close()
