"""The ranking report pages (pyramid, value classes, key accounts) and their XLSX exports:
figures equal the run, rows and sums are scoped to the customers the user may see."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.ranking.services import evaluation_run

AS_OF = date(2026, 6, 30)


@pytest.fixture
def runs(example_loaded):
    return {m: evaluation_run(actor=None, model=m, as_of=AS_OF) for m in ("pyramid", "value", "key_account")}


def _owned(rep, codes, other=None):
    """`codes` owned by `rep`, every other customer by `other` (a rep of another team; made
    when not given) so that nobody else's customers sit in the pool everyone sees."""
    if other is None:
        from kehu.accounts.models import User

        other = User.objects.create_user(username="someone_else", password="x", role=User.Role.REP)
    Customer.objects.exclude(code__in=codes).update(owner=other)
    Customer.objects.filter(code__in=codes).update(owner=rep)
    return codes


def _xlsx(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


# ---------------------------------------------------------------------------- pyramid


def test_pyramid_page_equals_the_run_summary_for_admin(client, login, admin, runs, expected):
    login(admin)
    response = client.get(reverse("ranking:pyramid"))
    assert response.status_code == 200
    html = response.content.decode()
    summary = expected("pyramid")["summary"]
    total = sum(row["count"] for row in summary)
    table = response.context["table"]
    assert table["count"] == total == 39
    for got, want in zip(table["rows"], summary, strict=True):
        assert got["klass"] == want["class"]
        assert got["count"] == want["count"]
        assert got["profit_share"] == want["profit_share"]
        assert got["count_pct"] == (Decimal(want["count"]) * 100 / total).quantize(Decimal("0.01"))
        row_html = html.split(f'data-testid="class-{want["class"]}"')[1].split("</tr>")[0]
        assert f">{want['count']}<" in row_html
        assert f"{(want['profit_share'] * 100).quantize(Decimal('0.01'))}%" in row_html
    assert 'data-testid="scope-note"' not in html
    assert f"Run #{runs['pyramid'].pk} as of 2026-06-30" in html
    # chart data goes to JS as decimal strings
    assert '"profit_pct": "29.76"' in html
    assert 'data-testid="run-new"' in html  # admin may run


def test_pyramid_sales_and_profit_equal_the_sums_of_the_results(client, login, admin, runs):
    login(admin)
    table = client.get(reverse("ranking:pyramid")).context["table"]
    run = runs["pyramid"]
    for row in table["rows"]:
        members = run.results.filter(klass=row["klass"])
        assert row["sales"] == sum((r.sales for r in members), Decimal(0))
        assert row["profit"] == sum((r.profit for r in members), Decimal(0))


def test_rep_sees_only_their_customers_in_the_pyramid(client, login, rep_a, runs):
    run = runs["pyramid"]
    results = list(run.results.select_related("customer").order_by("position"))
    mine = [results[0].customer.code, results[1].customer.code, results[-1].customer.code]  # important, major, small
    _owned(rep_a, mine)
    login(rep_a)
    response = client.get(reverse("ranking:pyramid"))
    html = response.content.decode()
    table = response.context["table"]
    assert table["count"] == 3
    counts = {r["klass"]: r["count"] for r in table["rows"]}
    assert counts == {"important": 1, "major": 1, "ordinary": 0, "small": 1}
    mine_profit = sum((r.profit for r in results if r.customer.code in mine), Decimal(0))
    assert table["profit"] == mine_profit
    assert "Covers the 3 customers you can see; tiers come from the company-wide run" in html
    assert 'data-testid="run-new"' not in html  # a rep may not run


def test_pyramid_run_parameter_picks_an_older_run_and_other_models_are_refused(client, login, admin, runs):
    older = evaluation_run(actor=None, model="pyramid", as_of=date(2025, 12, 31))
    login(admin)
    assert client.get(reverse("ranking:pyramid")).context["run"] == runs["pyramid"]
    assert client.get(reverse("ranking:pyramid"), {"run": older.pk}).context["run"] == older
    # a run of another model is not a pyramid: said, and the latest shown
    response = client.get(reverse("ranking:pyramid"), {"run": runs["value"].pk})
    assert response.status_code == 200 and response.context["run"] == runs["pyramid"]
    assert "is not a run of this model" in response.content.decode()


def test_empty_state_offers_a_run_only_to_those_who_may(client, login, director, rep_a, db):
    login(director)
    html = client.get(reverse("ranking:pyramid")).content.decode()
    assert 'data-testid="empty"' in html and "Run the first evaluation" in html
    login(rep_a)
    html = client.get(reverse("ranking:pyramid")).content.decode()
    assert 'data-testid="empty"' in html and "Run the first evaluation" not in html


# ---------------------------------------------------------------------------- value


def test_value_page_classes_in_ladder_order_and_filter(client, login, admin, runs, expected):
    login(admin)
    response = client.get(reverse("ranking:value"))
    assert response.status_code == 200
    table = response.context["table"]
    assert [r["klass"] for r in table["rows"]] == [c.value for c in Customer.ValueClass]
    want = {}
    for r in expected("value")["results"]:
        want[r["class"]] = want.get(r["class"], 0) + 1
    assert {r["klass"]: r["count"] for r in table["rows"]} == {k: want.get(k, 0) for k in Customer.ValueClass.values}
    response = client.get(reverse("ranking:value"), {"class": "diamond"})
    codes = [row["customer"].code for row in response.context["page"].rows]
    assert codes == [r["customer"] for r in expected("value")["results"] if r["class"] == "diamond"]
    html = response.content.decode()
    assert "Diamond" in html and f'href="{reverse("customers:detail", args=[response.context["page"].rows[0]["customer"].pk])}"' in html


def test_value_list_is_scoped_for_a_rep(client, login, rep_a, runs):
    codes = _owned(rep_a, list(runs["value"].results.values_list("customer__code", flat=True)[:4]))
    login(rep_a)
    response = client.get(reverse("ranking:value"))
    assert sorted(row["customer"].code for row in response.context["page"].rows) == sorted(codes)
    assert response.context["table"]["count"] == 4


# ---------------------------------------------------------------------------- key accounts


def test_key_accounts_page_for_a_director_and_a_rep_of_another_team(client, login, director, rep_a, rep_b, runs, expected):
    Customer.objects.update(owner=rep_b)  # all customers in team b, which the director manages
    keys = [r["customer"] for r in expected("key_account")["results"] if r["class"] == "key"]
    login(director)
    response = client.get(reverse("ranking:key-accounts"))
    assert response.status_code == 200
    assert [row["customer"].code for row in response.context["page"].rows] == keys
    assert response.context["threshold"] == runs["key_account"].params["threshold"]
    assert [str(label) for label, _w in response.context["weights"]][:2] == ["Contract volume", "Price level"]
    assert len(response.context["weights"]) == 8
    assert 'data-testid="run-new"' in response.content.decode()
    login(rep_a)
    response = client.get(reverse("ranking:key-accounts"))
    assert response.context["page"].rows == [] and response.context["table"]["count"] == 0
    assert "Covers the 0 customers you can see" in response.content.decode()


def test_key_accounts_admin_list_and_all(client, login, admin, runs, expected):
    login(admin)
    response = client.get(reverse("ranking:key-accounts"))
    keys = [r["customer"] for r in expected("key_account")["results"] if r["class"] == "key"]
    assert [row["customer"].code for row in response.context["page"].rows] == keys
    html = response.content.decode()
    assert "Contract volume" in html and "Reputation" in html and "Threshold" in html
    response = client.get(reverse("ranking:key-accounts"), {"all": "1"})
    assert response.context["page"].total == 39


# ---------------------------------------------------------------------------- exports


def test_pyramid_export_has_the_classes_and_exact_numbers(client, login, admin, runs, expected):
    login(admin)
    book = _xlsx(client.get(reverse("ranking:pyramid-export")))
    classes = list(book["Classes"].iter_rows(values_only=True))
    assert classes[0][0] == "Class"
    assert [row[1] for row in classes[1:5]] == [r["count"] for r in expected("pyramid")["summary"]]
    results = list(book["Results"].iter_rows(values_only=True))
    assert len(results) == 1 + 39
    first = expected("pyramid")["results"][0]
    assert results[1][0] == first["customer"]
    assert Decimal(str(results[1][5])) == Decimal(first["indicators"]["sales"])


def test_exports_contain_only_the_scoped_rows(client, login, rep_a, runs):
    codes = _owned(rep_a, list(runs["value"].results.values_list("customer__code", flat=True)[:3]))
    login(rep_a)
    for name in ("ranking:pyramid-export", "ranking:value-export"):
        book = _xlsx(client.get(reverse(name)))
        got = [row[0] for row in list(book["Results"].iter_rows(values_only=True))[1:]]
        assert set(got) <= set(codes)
    book = _xlsx(client.get(reverse("ranking:value-export")))
    assert sorted(row[0] for row in list(book["Results"].iter_rows(values_only=True))[1:]) == sorted(codes)
    book = _xlsx(client.get(reverse("ranking:key-accounts-export"), {"all": "1"}))
    got = [row[0] for row in list(book["Results"].iter_rows(values_only=True))[1:]]
    assert set(got) <= set(codes) and got


# ---------------------------------------------------------------------------- query counts


@pytest.mark.parametrize("name", ["ranking:pyramid", "ranking:value", "ranking:key-accounts"])
def test_report_query_counts_are_bounded(client, login, admin, rep_a, runs, name, django_assert_max_num_queries):
    _owned(rep_a, list(runs["value"].results.values_list("customer__code", flat=True)[:10]))
    for user in (admin, rep_a):
        login(user)
        client.get(reverse(name))  # warm the session/settings rows
        # + 2 for a scoped user: how many customers they see, and how many there are (which
        # form of the scope the database runs fastest, selectors.results_scope)
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name), {"all": "1"}).status_code == 200


def test_every_form_of_the_scope_lists_the_same_rows(runs, rep_a, rep_a2, manager_a, director, admin):
    """results_scope picks the fastest SQL for a narrow, a broad or an all-seeing scope; all must
    list exactly the customers of `Customer.objects.visible_to(user)` in the run."""
    from kehu.ranking import selectors

    run = runs["value"]
    codes = list(run.results.order_by("position").values_list("customer__code", flat=True))
    Customer.objects.filter(code__in=codes[:3]).update(owner=rep_a)
    Customer.objects.filter(code__in=codes[3:30]).update(owner=rep_a2)
    Customer.objects.filter(code__in=codes[30:33]).update(owner=None)  # the pool: everyone sees it
    Customer.objects.filter(code=codes[33]).update(is_deleted=True)  # nobody does
    for user in (rep_a, rep_a2, manager_a, director, admin):
        expected = set(Customer.objects.visible_to(user).filter(code__in=codes).values_list("code", flat=True))
        for result_count in (run.result_count, 0, 10**9):  # forces the join form, then the IN form
            run.result_count = result_count
            if hasattr(user, "_ranking_scope_counts"):
                del user._ranking_scope_counts
            got = set(selectors.visible_results(run, user).values_list("customer__code", flat=True))
            assert got == expected, (user.username, result_count)
