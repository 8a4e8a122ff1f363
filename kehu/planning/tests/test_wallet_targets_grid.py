"""The targets grid made fast (issues 12 and 13, second pass): the month cells and the members'
sums built by the view instead of the template, the spread form's weight inputs rendered once,
the months from the cached month cents. Pinned against the template markup they replace, in
Chinese and English, editable or not, with bad cells marked, and the page's query count per role.
Run on SQLite and on PostgreSQL."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from factories import UserFactory
from kehu.planning.breakdown import breakdown
from kehu.planning.models import Target
from kehu.planning.selectors.targets import _months_of
from kehu.planning.services.targets import target_set
from kehu.planning.views.targets import _cells

pytestmark = pytest.mark.django_db

GRID = reverse("planning:targets")

# The cells as templates/planning/target_grid.html wrote them before the view built them.
CELLS = Template(
    '{% load i18n kehu_core %}{% for value in row.values %}<td class="text-end">{% if can_edit and row.editable %}'
    '<input class="form-control form-control-sm text-end kehu-month{% if forloop.counter in row.bad %} is-invalid{% endif %}" '
    'style="min-width:7rem;max-width:8.5rem" form="target-grid-form" name="m-{{ row.key }}-{{ forloop.counter }}" value="{{ value }}" '
    'inputmode="decimal" aria-label="{{ forloop.counter }}" data-month>{% else %}{{ value|money|default:"—" }}{% endif %}</td>{% endfor %}'
)
MEMBERS = Template('{% load kehu_core %}{% for amount in row.members_months %}<td class="text-end text-nowrap">{{ amount|money }}</td>{% endfor %}')
WEIGHTS = Template(
    '{% load i18n %}<div class="d-flex flex-wrap gap-1">{% for m in months %}<input class="form-control form-control-sm" style="width:3.5rem" '
    'name="w{{ m }}" placeholder="{{ m }}" aria-label="{% blocktranslate with m=m %}Weight of month {{ m }}{% endblocktranslate %}">'
    '{% endfor %}</div>'
)

ROWS = [
    {"key": "user-7", "editable": True, "values": ["100.00", "", "3.5", "<b>", *[""] * 8], "bad": {4}, "members_months": None},
    {"key": "team-2", "editable": False, "values": ["1234567.89", "", "0.00", *["10"] * 9],
     "members_months": [Decimal("1000.00"), Decimal("0.00"), *[Decimal("12.34")] * 10]},
    {"key": "company", "editable": True, "values": [""] * 12, "members_months": None},
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("can_edit", [True, False])
def test_system_cells_are_the_templates(language, can_edit):
    rows = [dict(r) for r in ROWS]
    with translation.override(language):
        _cells(rows, can_edit=can_edit)
        for row in rows:
            assert str(row["cells"]) == CELLS.render(Context({"row": row, "can_edit": can_edit}))
            assert str(row["members_cells"]) == (MEMBERS.render(Context({"row": row})) if row["members_months"] else "")
    assert 'value="&lt;b&gt;"' in str(rows[0]["cells"]) if can_edit else "<td class=\"text-end\">&lt;b&gt;</td>" in str(rows[0]["cells"])
    assert ("is-invalid" in str(rows[0]["cells"])) is can_edit


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_admin_page_has_the_weights_and_cells_once_per_row(login, login_en, cast, language):
    rep = cast["rep_a"]
    target_set(actor=cast["admin"], scope="user", user=rep, year=2026, amount="1200.00", weights=["1", "2", *[""] * 10])
    client = login_en(cast["admin"]) if language == "en" else login(cast["admin"])
    body = client.get(GRID, {"year": 2026}).content.decode()
    with translation.override(language):
        weights = WEIGHTS.render(Context({"months": list(range(1, 13))}))
    assert body.count(weights) == body.count('name="action" value="spread"') >= 2
    assert f'name="m-user-{rep.pk}-2" value="800.00"' in body and f'name="m-user-{rep.pk}-3" value="0.00"' in body


@pytest.mark.parametrize(("amount", "weights"), [
    ("1200.00", None), ("1000.00", ["1", "2", "3", *[""] * 9]), ("0.07", None), ("999999.99", ["0.5", "1.25", *["1"] * 10]),
])
def test_system_months_are_the_breakdowns(amount, weights):
    target = Target(scope="company", year=2026, amount=Decimal(amount), weights=weights)
    assert _months_of(target) == [a for _p, a in breakdown(2026, Decimal(amount), weights, weeks=False).months]
    assert sum(_months_of(target)) == Decimal(amount)
    assert _months_of(None) is None


def _reps(cast, prefix, n):
    for i in range(n):
        rep = UserFactory(username=f"{prefix}{i}", role="rep", team=cast["rep_a"].team if i % 2 else cast["rep_b"].team)
        target_set(actor=cast["admin"], scope="user", user=rep, year=2026, amount="1200")


@pytest.mark.parametrize(("role", "queries"), [("admin", 7), ("director", 8), ("manager_a", 8), ("rep_a", 6), ("finance", 6)])
def test_page_takes_a_fixed_number_of_queries_per_role(login, cast, django_assert_max_num_queries, role, queries):
    target_set(actor=cast["admin"], scope="company", year=2026, amount="9000")
    _reps(cast, "few", 2)
    client = login(cast[role])
    with django_assert_max_num_queries(queries):
        assert client.get(GRID, {"year": 2026}).status_code == 200
    _reps(cast, "many", 20)
    with django_assert_max_num_queries(queries):
        assert client.get(GRID, {"year": 2026}).status_code == 200
