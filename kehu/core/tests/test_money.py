"""Money: Decimal only, half-up to the cent, integer cents in storage, exact sums in SQL."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum, Value

from conftest import make_customer
from kehu.core.fields import MoneyField, UnitPriceField
from kehu.customers.models import Customer
from kehu.core.money import MoneyError, format_money, from_minor, quantize_cents, to_decimal, to_minor


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2.675", "2.68"),      # a float would give 2.67 (2.675 is 2.67499999... in binary)
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("-2.675", "-2.68"),    # half away from zero, as a cashier rounds
        ("2.665", "2.67"),      # not banker's rounding
        (Decimal("1.005"), "1.01"),
        (12, "12.00"),
        ("1,234.565", "1234.57"),
        ("¥ 99.5", "99.50"),
        ("￥1,000", "1000.00"),
    ],
)
def test_quantize_cents_rounds_half_up(given, expected):
    assert quantize_cents(given) == Decimal(expected)
    assert str(quantize_cents(given)) == expected


@pytest.mark.parametrize("bad", [0.1, 2.675, float("nan"), True, None, "abc", "", "NaN", "Infinity", [1]])
def test_money_refuses_floats_and_non_amounts(bad):
    with pytest.raises(MoneyError):
        to_decimal(bad)


def test_minor_units_round_trip():
    assert to_minor("12.345") == 1235
    assert to_minor("-0.005") == -1
    assert from_minor(1235) == Decimal("12.35")
    assert from_minor(-1) == Decimal("-0.01")
    assert from_minor(to_minor("98765432109876.54")) == Decimal("98765432109876.54")


def test_format_money():
    assert format_money(Decimal("1234567.8")) == "¥1,234,567.80"
    assert format_money(Decimal("5"), "USD") == "$5.00"
    assert format_money(None) == ""


def test_money_field_round_trips_through_the_database(rep_a):
    customer = make_customer(rep_a, "甲公司", "M00001", credit_limit=Decimal("98765432109876.54"))
    customer.refresh_from_db()
    assert customer.credit_limit == Decimal("98765432109876.54")
    assert isinstance(customer.credit_limit, Decimal)

    customer.credit_limit = "1,000.005"
    customer.save(update_fields=["credit_limit"])
    customer.refresh_from_db()
    assert customer.credit_limit == Decimal("1000.01")


def test_money_field_stores_integer_cents(rep_a):
    customer = make_customer(rep_a, "甲公司", "M00001", credit_limit=Decimal("12.34"))
    table = customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT credit_limit FROM {table} WHERE id = %s", [customer.pk])
        raw = cursor.fetchone()[0]
    assert raw == 1234
    assert isinstance(raw, int)


def test_money_field_sum_is_exact(rep_a):
    # 0.10 + 0.20 + ... : each of these is inexact as a binary float; their sum must not drift.
    amounts = [Decimal("0.10"), Decimal("0.20"), Decimal("0.30")] * 100 + [Decimal("0.01")] * 7
    for i, amount in enumerate(amounts):
        make_customer(rep_a, f"客户{i}", f"S{i:05d}", credit_limit=amount)
    make_customer(rep_a, "无额度", "SNONE")  # NULL adds nothing
    total = Customer.objects.aggregate(total=Sum("credit_limit"))["total"]
    assert total == Decimal("60.07")
    assert isinstance(total, Decimal)
    assert str(total) == "60.07"


def test_money_field_refuses_a_float(rep_a):
    field = MoneyField()
    with pytest.raises(ValidationError):
        field.get_prep_value(0.1)
    with pytest.raises(ValidationError):
        make_customer(rep_a, "浮点", "F00001", credit_limit=0.1)


def test_money_field_form_field_keeps_two_decimals():
    form_field = MoneyField().formfield()
    assert form_field.decimal_places == 2
    assert form_field.clean("12.30") == Decimal("12.30")
    with pytest.raises(ValidationError):
        form_field.clean("12.305")


def test_unit_price_field_keeps_four_decimals():
    field = UnitPriceField()
    assert field.get_prep_value(Decimal("12.34565")) == 123457
    assert field.get_prep_value("0.00005") == 1
    assert field.from_db_value(123457, None, None) == Decimal("12.3457")
    assert str(field.from_db_value(10000, None, None)) == "1.0000"
    assert field.to_python("3") == Decimal("3.0000")
    assert field.get_prep_value(None) is None
    with pytest.raises(ValidationError):
        field.get_prep_value(0.1)
    assert field.formfield().decimal_places == 4


def test_unit_price_and_money_round_trip_through_sql(db):
    from kehu.accounts.models import User

    User.objects.create(username="u")
    row = User.objects.annotate(
        price=Value(Decimal("12.34565"), output_field=UnitPriceField()),
        amount=Value("1,234.565", output_field=MoneyField()),
    ).values("price", "amount").get()
    assert row == {"price": Decimal("12.3457"), "amount": Decimal("1234.57")}


# --- one display format (issue 10 #15) -----------------------------------------------------------

from django.template import Context, Template  # noqa: E402
from django.utils import translation  # noqa: E402

from kehu.core.money import format_percent, format_score, format_unit_price  # noqa: E402


@pytest.mark.parametrize(("value", "currency", "expected"), [
    (Decimal("113000"), "CNY", "¥113,000.00"),
    (Decimal("-1234.5"), "CNY", "-¥1,234.50"),       # the sign before the symbol
    (Decimal("0.005"), "CNY", "¥0.01"),              # half-up to the cent
    (Decimal("99999999999999.99"), "USD", "$99,999,999,999,999.99"),
    (Decimal("5"), "EUR", "€5.00"),
    (Decimal("5"), "HKD", "HK$5.00"),
    (Decimal("5"), "JPY", "JP¥5.00"),               # not ¥: in a Chinese page ¥ is the yuan
    (Decimal("5"), "GBP", "GBP 5.00"),              # a currency without a symbol: its code
    (Decimal("5"), "", "¥5.00"),                    # no currency: the default
    ("1234.5", "CNY", "¥1,234.50"),
    (7, "CNY", "¥7.00"),
])
def test_format_money_puts_the_symbol_and_thousands_separators(value, currency, expected):
    assert format_money(value, currency) == expected


@pytest.mark.parametrize(("value", "kwargs", "expected"), [
    (Decimal("0.3145"), {"ratio": True}, "31.45%"),
    (Decimal("0.31456"), {"ratio": True}, "31.46%"),
    (Decimal("1"), {"ratio": True}, "100.00%"),
    (Decimal("-0.05"), {"ratio": True}, "-5.00%"),
    (Decimal("12.5"), {}, "12.5%"),                 # a percentage keeps its own decimals...
    (Decimal("10.00"), {}, "10.00%"),
    (Decimal("12345.678"), {}, "12,345.68%"),       # ...up to two
    (Decimal("1E+2"), {}, "100%"),
    (40, {}, "40%"),                                # a whole percentage (a probability) stays whole
    (None, {}, ""),
])
def test_format_percent(value, kwargs, expected):
    assert format_percent(value, **kwargs) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("73.4512"), "73.5"),
    (Decimal("73.45"), "73.5"),                     # half-up
    (Decimal("3"), "3.0"),
    (Decimal("1234.56"), "1,234.6"),
    (12, "12.0"),
    (None, ""),
])
def test_format_score_has_one_decimal(value, expected):
    assert format_score(value) == expected


def _render(text, **context):
    return Template("{% load kehu_core %}" + text).render(Context(context))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_money_percent_and_score_filters_read_the_same_in_both_languages(language):
    with translation.override(language):
        assert _render("{{ v|money:c }}", v=Decimal("113000"), c="CNY") == "¥113,000.00"
        assert _render("{{ v|money }}", v=Decimal("1.5")) == "¥1.50"
        assert _render("{{ v|money:c }}", v=Decimal("1.5"), c="USD") == "$1.50"
        assert _render("{{ v|money }}", v=None) == ""
        assert _render('{{ v|percent:"ratio" }}', v=Decimal("0.3145")) == "31.45%"
        assert _render("{{ v|percent }}", v=Decimal("31.45")) == "31.45%"
        assert _render("{{ v|percent }}", v=None) == ""
        assert _render("{{ v|score }}", v=Decimal("1234.5678")) == "1,234.6"


def test_money_filter_shows_a_non_amount_as_it_is():
    assert _render("{{ v|money }}", v="n/a") == "n/a"
    assert _render("{{ v|percent }}", v="n/a") == "n/a"


def test_customer_tags_money_is_the_core_filter():
    from kehu.core.templatetags import kehu_core
    from kehu.customers.templatetags import customer_tags

    assert customer_tags.money is kehu_core.money
    assert Template("{% load customer_tags %}{{ v|money:'USD' }}").render(Context({"v": Decimal("2")})) == "$2.00"


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("12.5"), "¥12.50"),
    (Decimal("0.1234"), "¥0.1234"),
    (Decimal("1200"), "¥1,200.00"),
    (Decimal("1234.5670"), "¥1,234.567"),
    (Decimal("-3.25"), "-¥3.25"),
    (None, ""),
])
def test_a_unit_price_keeps_its_own_decimals(value, expected):
    assert format_unit_price(value, "CNY") == expected
    assert _render("{{ v|price:'CNY' }}", v=value) == expected
