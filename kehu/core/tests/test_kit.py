"""The core view kit: hooks, dates, forms, the stale-edit guard, get_visible_or_404."""

from datetime import date

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404

from kehu.core import dates
from kehu.core.errors import DomainError, StaleEdit
from kehu.core.forms import DateField, DateInput, check_not_stale, seen_load, seen_sign, seen_values, style_form
from kehu.core.hooks import DailyStep, Hook, daily_step_register, daily_steps, DAILY_STEPS
from kehu.core.views import get_visible_or_404


def test_hook_registration_is_idempotent_and_ordered():
    hook = Hook("test")

    def a():
        pass

    def b():
        pass

    hook.register(a)
    hook.register(b)
    hook.register(a)
    assert list(hook) == [a, b]
    assert a in hook
    hook.register(b, key="x")
    hook.register(a, key="x")
    assert hook.get("x") is a
    assert len(hook) == 3


def test_daily_steps_run_in_their_order():
    before = DAILY_STEPS.keys()
    try:
        daily_step_register(DailyStep("zz_late", "late", lambda *, now: 0, order=99))
        daily_step_register(DailyStep("aa_early", "early", lambda *, now: 0, order=1))
        keys = [s.key for s in daily_steps()]
        assert keys.index("aa_early") < keys.index("zz_late")
    finally:
        DAILY_STEPS.unregister("zz_late")
        DAILY_STEPS.unregister("aa_early")
    assert DAILY_STEPS.keys() == before


def test_add_months_keeps_the_month_end():
    assert dates.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert dates.add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert dates.add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert dates.months_between(date(2026, 1, 31), date(2026, 2, 1)) == 1


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "2026-13-01", "x", "", None, "1999-12-31"])
def test_a_bad_date_parameter_falls_back_to_the_default(value):
    assert dates.parse_date_param(value, date(2026, 12, 6)) == date(2026, 12, 6)


def test_a_good_date_parameter_is_read():
    assert dates.parse_date_param("2026-02-28", None) == date(2026, 2, 28)


class _DateForm(forms.Form):
    on = DateField()
    plain = forms.DateField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


@pytest.mark.parametrize("value", ["9999-12-31", "1900-01-01"])
def test_a_date_out_of_range_is_refused_with_a_message(value):
    form = _DateForm(data={"on": value, "plain": value})
    assert not form.is_valid()
    assert "on" in form.errors and "plain" in form.errors


def test_a_date_input_carries_an_iso_value_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        html = str(_DateForm(initial={"on": date(2026, 12, 6)})["on"])
    assert 'value="2026-12-06"' in html and 'type="date"' in html
    assert DateInput().format_value(date(2026, 1, 2)) == "2026-01-02"


def test_domain_error_carries_its_message():
    err = DomainError("nope")
    assert err.message == "nope" and str(err) == "nope"


def test_seen_token_round_trips_and_refuses_tampering():
    token = seen_sign({"name": "A"})
    assert seen_load(token) == {"name": "A"}
    assert seen_load(token + "x") is None
    assert seen_load("") is None


@pytest.mark.django_db
def test_rep_a_stale_save_names_what_changed(rep_a, customer_a):
    seen = seen_values(customer_a, ["name", "phone"])
    customer_a.name = "Renamed Meanwhile Ltd"
    customer_a.save(update_fields=["name"])
    with pytest.raises(StaleEdit) as info:
        check_not_stale(customer_a, seen)
    assert [c[2] for c in info.value.changes] == ["Renamed Meanwhile Ltd"]
    check_not_stale(customer_a, seen_values(customer_a, ["name", "phone"]))  # fresh: no error
    check_not_stale(customer_a, None)  # no token: nothing to compare


@pytest.mark.django_db
def test_rep_b_gets_404_from_get_visible_or_404(rep_b, customer_a):
    from kehu.customers.models import Customer

    qs = Customer.objects.visible_to(rep_b)
    for pk in (customer_a.pk, 2**70, "abc", None):
        with pytest.raises(Http404):
            get_visible_or_404(qs, pk=pk)
