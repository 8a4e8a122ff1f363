"""Rep activity at scale (issues 12 and 13, second pass): new customers read from the partial
index customer_new_idx (merged_into IS NULL instead of a NOT IN), new customers + missed +
quotes in one UNION ALL, the filter's rep picker reused from the rows, the leaderboard's rows
joined in Python — the same numbers and HTML, the page within 15 queries for every role."""

import pytest
from django.template import engines

from kehu.reports.selectors.activity import ACTIVITY_QUERIES, leaderboard, rep_activity
from kehu.reports.tests.test_activity import URL, at, by_name, flt_for, logged, world  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db


def test_new_customers_leave_out_the_recycle_bin_and_every_merged_away_customer(world):
    from factories import CustomerFactory
    from kehu.customers.models import Customer

    rep_a, rep_b = world["rep_a"], world["rep_b"]
    kept = CustomerFactory(owner=rep_b, name="保留客户", code="K1")

    def customer(code):
        c = CustomerFactory(owner=rep_a, name=f"客户{code}", code=code)
        Customer.objects.filter(pk=c.pk).update(created_at=at(2026, 3, 12))
        return c

    merged = customer("M1")
    Customer.objects.filter(pk=merged.pk).update(merged_into=kept, is_deleted=True)  # as the merge service leaves it
    odd = customer("M2")
    Customer.objects.filter(pk=odd.pk).update(merged_into=kept)  # merged away yet not in the bin: still out
    customer("M3")  # counts
    rows = by_name(rep_activity(flt_for(world["director"])))
    assert rows["rep_a"].new_customers == 3  # N1, N2 and M3
    assert rows["rep_b"].new_customers == 1  # N5 (K1 is created today, not in March)
    assert by_name(rep_activity(flt_for(world["director"], lead_source="referral")))["rep_a"].new_customers == 1


def test_the_three_counts_of_one_query_for_each_reader(world):
    """New customers, missed and quotes (one UNION ALL) land in their own columns, for every
    reader and with a lead source."""
    expected = {"rep_a": (2, 2, 1), "rep_a2": (0, 0, 0), "rep_b": (1, 0, 0)}
    for reader, names in ((world["director"], ["rep_a", "rep_a2", "rep_b"]), (world["finance"], ["rep_a", "rep_a2", "rep_b"]),
                          (world["manager_a"], ["rep_a", "rep_a2"]), (world["rep_a"], ["rep_a"])):
        rows = by_name(rep_activity(flt_for(reader)))
        assert {n: (r.new_customers, r.missed, r.quotes) for n, r in rows.items()} == {n: expected[n] for n in names}
    rows = by_name(rep_activity(flt_for(world["director"], lead_source="referral")))
    assert (rows["rep_a"].new_customers, rows["rep_a"].missed, rows["rep_a"].quotes) == (1, 0, 0)


def test_the_selector_reads_ten_queries_at_most(world, django_assert_max_num_queries):
    assert ACTIVITY_QUERIES == 10
    for kw in ({}, {"lead_source": "referral"}):
        with django_assert_max_num_queries(ACTIVITY_QUERIES):
            rep_activity(flt_for(world["director"], **kw))


@pytest.mark.parametrize("role, most", [("director", 14), ("admin", 13), ("finance", 12), ("manager_a", 14), ("rep_a", 11)])
def test_the_page_stays_within_15_queries_for_every_role(world, login, role, most, django_assert_max_num_queries):
    """A world of 18 reps (several rows per list): the page's queries pinned per role, whatever
    the period (whole months from the summaries, a custom one with edges), the lead source, a
    team or rep chosen (+1: the filter checks it; the picker's reps are not read again) or one
    rep's missed follow-ups listed (+1)."""
    from factories import UserFactory

    for i in range(15):
        UserFactory(username=f"extra{i}", role="rep", team=world["rep_a"].team, name=f"extra{i}")
    client = login(world[role])
    client.get(URL, {"period": "2026-03"})
    for params, extra in (({"period": "2026-03"}, 0), ({"period": "2026-03", "rank": "attainment"}, 0),
                          ({"period": "custom", "from": "2026-03-05", "to": "2026-04-10"}, 0), ({"period": "2026-03", "lead_source": "referral"}, 0),
                          ({"period": "2026-03", "team": world["rep_a"].team_id}, 0 if role == "rep_a" else 1),
                          ({"period": "2026-03", "rep": world["rep_a"].pk}, 1), ({"period": "2026-03", "missed": world["rep_a"].pk}, 1)):
        assert most + extra <= 15
        with django_assert_max_num_queries(most + extra):
            response = client.get(URL, params)
        assert response.status_code == 200


def test_the_rep_picker_lists_the_same_reps_with_and_without_a_team(world, login):
    from kehu.planning.querysets import planning_users

    for reader in (world["director"], world["manager_a"]):
        client = login(reader)
        expected = list(planning_users(reader, include_inactive=True))
        assert list(client.get(URL, {"period": "2026-03"}).context["filter_reps"]) == expected
        assert list(client.get(URL, {"period": "2026-03", "team": world["rep_a"].team_id}).context["filter_reps"]) == expected
    assert list(login(world["rep_a"]).get(URL, {"period": "2026-03"}).context["filter_reps"]) == []


@pytest.mark.parametrize("measure", ["won", "revenue", "collections", "followups", "attainment"])
def test_the_leaderboard_rows_joined_in_python_are_what_the_template_wrote(world, measure):
    from kehu.accounts.models import User
    from kehu.reports.views.activity import _ranked_html

    User.objects.filter(pk=world["rep_b"].pk).update(name='B <&> "q"')  # escaped the same way
    legacy = engines["django"].from_string(
        '{% load kehu_core %}{% for r in ranked %}<tr data-testid="rank-row-{{ r.rank }}"><td>{{ r.rank }}</td><td>{{ r.rep }}</td><td class="text-end">\n'
        '        {% if rank_measure == "won" %}{{ r.won_amount|money }}{% elif rank_measure == "revenue" %}{{ r.revenue|money }}{% elif rank_measure == "collections" %}{{ r.collected|money }}{% elif rank_measure == "followups" %}{{ r.followups }}{% else %}{{ r.attained|percent:"ratio"|default:"—" }}{% endif %}\n'
        '      </td></tr>{% endfor %}')
    ranked = leaderboard(list(rep_activity(flt_for(world["director"]))["rows"]), measure)
    expected = legacy.render({"ranked": ranked, "rank_measure": measure})
    if "<" in str(User.objects.get(pk=world["rep_b"].pk)):
        assert "&lt;&amp;&gt;" in expected
    assert _ranked_html(ranked, measure) == expected


def test_the_totals_of_the_page_are_unchanged(world, login):
    """The March world on the page (today is the real day, long after March: the follow-up due on
    25 March is missed too)."""
    html = login(world["director"]).get(URL, {"period": "2026-03"}).content.decode()
    assert '<td class="text-end" data-col="new">3</td>' in html  # the totals row
    assert '<td class="text-end" data-col="missed">3</td>' in html
    assert '<td class="text-end" data-col="quotes">1</td>' in html
