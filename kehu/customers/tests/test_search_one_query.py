"""The search pages' reads folded into one query (issue 13, second pass: every search page
within 20 ms): the header's badges (kehu.core.context_processors.HeaderBadges), the customer
list's drop-downs, row tags and header counts (selectors.list_page_extras), the list's total
from a window count — each exactly what the separate queries read, on a small hand-made world."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from conftest import make_customer
from kehu.activities import notifications
from kehu.activities.models import Notification
from kehu.core.context_processors import HeaderBadges
from kehu.core.pagination import paginate
from kehu.customers import selectors
from kehu.customers.models import Customer, Tag
from kehu.sales.models import Quote
from kehu.sales.selectors import quote_approval_queue

LIST = reverse("customers:list")


def _note(user, customer, key):
    return notifications.notify(user=user, kind="followup_due", fact_key=key, customer=customer,
                                params={"summary": key, "due_on": timezone.localdate().isoformat()}, url="")


@pytest.fixture
def world(cast):
    """Notifications (read, unread, about a customer the reader no longer sees), pending quotes of
    two teams (one submitted by the manager), tagged customers in three provinces."""
    rep_a, rep_b, manager = cast["rep_a"], cast["rep_b"], cast["manager_a"]
    for i in range(3):
        _note(rep_a, cast["customer_a"], f"a{i}")
    read = _note(rep_a, cast["customer_a"], "read")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    _note(rep_a, cast["customer_b"], "not-mine")  # about rep_b's customer: rep_a does not see it
    _note(manager, cast["customer_a"], "m")
    _note(cast["director"], cast["customer_b"], "d")
    for i, (owner, customer) in enumerate([(rep_a, cast["customer_a"]), (rep_a, cast["customer_a"]), (rep_b, cast["customer_b"])]):
        Quote.objects.create(code=f"QT{i}", customer=customer, owner=owner, status=Quote.Status.PENDING,
                             submitted_at=timezone.now() - timedelta(hours=i))
    Quote.objects.create(code="QT9", customer=cast["customer_a"], owner=rep_a, status=Quote.Status.PENDING, submitted_by=manager)
    tags = [Tag.objects.create(name=name) for name in ("重点", "老客户", "A级")]
    for i in range(7):
        c = make_customer((rep_a, rep_b, None)[i % 3], f"一查{i}", f"YQ{i:03d}", province=("上海", "北京", "广东")[i % 3],
                          industry=("C", "F", "")[i % 3])
        c.tags.set(tags[: i % 4])
    return cast


# (unread, approvals): rep_a's three unread about their customer (not the read one, not the one
# about rep_b's customer); the manager's quotes of team_a but the one they submitted; the
# director manages both teams; an admin decides every pending quote.
EXPECTED_BADGES = {"admin": (0, 4), "director": (1, 4), "manager_a": (1, 2), "rep_a": (3, 0), "rep_b": (0, 0), "finance": (0, 0)}


def _old_counts(user):
    unread = Notification.objects.for_user(user).unread().order_by()[:100].count()
    approvals = quote_approval_queue(user=user).order_by()[:100].count() if (user.is_manager or user.is_admin_role) else 0
    return unread, approvals


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "director", "manager_a", "rep_a", "rep_b", "finance"])
def test_the_badges_are_the_counts_they_were(world, who, django_assert_num_queries):
    user = world[who]
    want = _old_counts(user)
    assert want == EXPECTED_BADGES[who]
    badges = HeaderBadges(user)
    with django_assert_num_queries(1):  # both counts (a manager's team was read above, once per user)
        assert (badges.count("unread"), badges.count("approvals")) == want
    # the page's one query (kehu.core.union) reads the same numbers
    from kehu.core.union import read_union

    badges = HeaderBadges(user)
    badges.provide(read_union(badges.union_parts(start=10)))
    with django_assert_num_queries(0):
        assert (badges.count("unread"), badges.count("approvals")) == want


@pytest.mark.django_db
def test_the_navigation_reads_the_badges_in_one_query(world, django_assert_num_queries):
    manager = world["manager_a"]
    request = RequestFactory().get("/")
    request.user = manager
    template = Template("{% load deals_panel %}{% pending_approvals_count as n %}{{ n }}/{{ notification_badge.count }}")
    from kehu.activities.context_processors import notifications as processor

    with django_assert_num_queries(2):  # the manager's team (the scope), then both counts
        html = template.render(Context({"request": request, **processor(request)}))
    assert html == "{1}/{0}".format(*_old_counts(manager)) and _old_counts(manager)[1] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "director", "manager_a", "rep_a", "finance"])
def test_list_extras_are_the_choices_and_the_tags(world, who, django_assert_num_queries):
    user = world[who]
    rows = list(selectors.customer_list(user=user, params={}).prefetch_related(None))
    want = selectors.filter_choices(user=user)
    selectors.attach_tag_names(rows)
    want_tags = {c.pk: c.tag_names for c in rows}
    badges = HeaderBadges(user)
    with django_assert_num_queries(1):  # (a manager's team was read above, once per user)
        got = selectors.list_page_extras(user=user, rows=rows, badges=badges)
    assert [(u.pk, str(u)) for u in got["owners"]] == [(u.pk, str(u)) for u in want["owners"]]
    assert (got["provinces"], got["industries"], got["tags"]) == (want["provinces"], want["industries"], want["tags"])
    assert {"上海", "北京", "广东"} <= set(got["provinces"])
    assert {c.pk: c.tag_names for c in rows} == want_tags
    assert any(len(names) == 3 for names in want_tags.values())
    assert (badges.count("unread"), badges.count("approvals")) == _old_counts(user)


@pytest.mark.django_db
def test_a_search_list_carries_its_total(world, django_assert_num_queries):
    """A search matching fewer than search.BROAD: the total is a window count on the rows — the
    same as the count query, on every page; past the last page the count query answers."""
    rep = world["rep_a"]
    for i in range(60):
        make_customer(rep, f"窗口客户{i:02d}", f"WC{i:03d}")
    for number, page_size, want_rows in ((1, 25, 25), (2, 25, 25), (3, 25, 10), (9, 25, 0)):
        params = {"q": "窗口客户", "page": str(number)}
        qs = selectors.customer_list(user=rep, params=params, count_few=True)
        page = paginate(qs, params=params, page_size=page_size, total_attr=selectors.LIST_TOTAL)
        assert len(page.rows) == want_rows and page.total == 60, number
        plain = paginate(selectors.customer_list(user=rep, params=params), params=params, page_size=page_size)
        assert [c.pk for c in page.rows] == [c.pk for c in plain.rows] and plain.total == 60
    with django_assert_num_queries(2):  # the ids, the rows with their total
        paginate(selectors.customer_list(user=rep, params={"q": "窗口客户"}, count_few=True).prefetch_related(None), params={},
                 page_size=25, total_attr=selectors.LIST_TOTAL)
    # no search: no window (the unsearched list walks its index and counts up to its cap)
    assert selectors.LIST_TOTAL not in selectors.customer_list(user=rep, params={}, count_few=True).query.annotations


@pytest.mark.django_db
@pytest.mark.parametrize("who, full, htmx", [("director", 6, 6), ("manager_a", 6, 6), ("rep_a", 5, 5), ("admin", 5, 5)])
def test_list_search_query_counts_exactly(world, login, who, full, htmx, django_assert_num_queries):
    """Session, user, (a manager's team), the ids, the rows with their total, then one query: the
    drop-downs, the rows' tags, the header's badges (the htmx table: the rows' tags alone)."""
    client = login(world[who])
    with django_assert_num_queries(full):
        response = client.get(LIST, {"q": "一查"})
    assert response.status_code == 200
    with django_assert_num_queries(htmx):
        assert client.get(LIST, {"q": "一查"}, HTTP_HX_REQUEST="true").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["director", "manager_a", "rep_a", "admin", "finance"])
def test_top_bar_search_query_counts_exactly(world, login, who, django_assert_num_queries):
    """Session, user, (a manager's team), (PostgreSQL: the customers' ids), then ONE query: every
    kind and, on the page, the header's badges."""
    from django.db import connection

    client = login(world[who])
    expected = 3 + (who in ("director", "manager_a")) + (connection.vendor == "postgresql")
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        with django_assert_num_queries(expected):
            assert client.get(reverse("reports:search"), {"q": "YQ0"}, **headers).status_code == 200
    assert Customer.objects.filter(code__startswith="YQ0").count() == 7
