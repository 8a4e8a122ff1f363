"""The value ranking page at scale (issues 12 and 13, second pass): whether the reader sees every
customer by one EXISTS and the broad/narrow form of the scope by a bounded count (not two counts
of the customers), the pager's total from the class table (no count query), the results' rows
joined in Python — the same rows, totals and HTML, a fixed number of queries per role."""

import pytest
from django.db.models import Q
from django.template import Context, engines
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.ranking import selectors
from kehu.ranking.tests.test_reports import _owned, runs  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db
URL = reverse("ranking:value")


def _codes(run):
    return list(run.results.order_by("position").values_list("customer__code", flat=True))


def test_the_all_seeing_test_is_exact_for_every_reader(runs, rep_a, rep_a2, manager_a, director, admin, finance):
    """sees everything ⇔ no customer out of sight: then the run less the recycle bin (no join)."""
    run = runs["value"]
    codes = _codes(run)
    Customer.objects.filter(code__in=codes[:5]).update(owner=rep_a)
    Customer.objects.exclude(code__in=codes[:5]).update(owner=rep_a2)  # every other customer
    deleted = ~Q(customer_id__in=Customer.objects.filter(is_deleted=True).values("id"))

    def form(user):
        if hasattr(user, "_ranking_scope_counts"):
            del user._ranking_scope_counts
        return selectors.results_scope(user, run)

    # manager_a's team (rep_a, rep_a2) owns every customer: they see everything
    assert str(form(manager_a)) == str(deleted)
    assert str(form(admin)) == str(deleted) and str(form(finance)) == str(deleted)
    assert str(form(rep_a)) != str(deleted)
    Customer.objects.filter(code=codes[7]).update(owner=None)  # the pool: everyone sees it
    assert str(form(manager_a)) == str(deleted)
    from kehu.accounts.models import User

    outsider = User.objects.create_user(username="outsider", password="x", role=User.Role.REP)
    Customer.objects.filter(code=codes[8]).update(owner=outsider)
    assert str(form(manager_a)) != str(deleted)
    Customer.objects.filter(code=codes[8]).update(is_deleted=True)  # out of sight but in the bin: nobody's
    assert str(form(manager_a)) == str(deleted)
    for user in (rep_a, rep_a2, manager_a, director, admin):
        for result_count in (run.result_count, 0, 10**9):
            run.result_count = result_count
            expected = set(Customer.objects.visible_to(user).filter(code__in=codes).values_list("code", flat=True))
            form(user)
            assert set(selectors.visible_results(run, user).values_list("customer__code", flat=True)) == expected


def test_the_pager_total_is_the_class_table_s_count(client, login, rep_a, runs, monkeypatch):
    run = runs["value"]
    codes = _owned(rep_a, _codes(run)[:12])
    login(rep_a)
    page = client.get(URL).context["page"]
    assert (page.total, page.total_capped, len(page.rows)) == (12, False, 12)
    table = client.get(URL).context["table"]
    for row in table["rows"]:
        page = client.get(URL, {"class": row["klass"]}).context["page"]
        assert page.total == row["count"] == len(page.rows)
    import kehu.core.pagination as pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    page = client.get(URL).context["page"]
    assert (page.total, page.total_capped) == (5, True)
    assert len(codes) == 12


def test_the_rows_joined_in_python_are_what_the_template_wrote(client, login, admin, runs):
    from kehu.ranking.views.reports import rows_html

    run = runs["value"]
    first = _codes(run)[0]
    Customer.objects.filter(code=first).update(name='客户 <&> "q"')  # escaped the same way
    login(admin)
    partial = engines["django"].engine.get_template("ranking/partials/results_table.html")
    for params in ({}, {"class": "A"}, {"page": "2"}):
        response = client.get(URL, params)
        page = response.context["page"]
        assert page.rows_html == rows_html(page.rows)
        ctx = {"page": page, "indicator_names": response.context["indicator_names"]}
        fast = partial.render(Context(ctx))
        page.rows_html = ""
        slow = partial.render(Context(ctx))
        assert fast == slow
    assert "客户 &lt;&amp;&gt; &quot;q&quot;" in client.get(URL).content.decode()


@pytest.mark.parametrize("who, most", [("admin", 9), ("finance", 9), ("manager_a", 12), ("rep_a", 10)])
def test_page_queries_are_pinned_for_every_role(client, login, runs, rep_a, who, most, request, django_assert_max_num_queries):
    """Several results per list: the page's queries per role (was 10 / 13 / 11 for the director,
    a manager and a rep at full scale), the same with a class or a page chosen."""
    user = request.getfixturevalue(who)
    _owned(rep_a, _codes(runs["value"])[:20])
    login(user)
    client.get(URL)
    for params in ({}, {"class": "A"}, {"page": "2"}):
        with django_assert_max_num_queries(most):
            assert client.get(URL, params).status_code == 200
