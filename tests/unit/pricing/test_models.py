"""Table-driven tests of every charge model at its range boundaries (hand-computed values)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.pricing import (
    CHARGE_MODELS,
    PricingValidationError,
    RangeCharge,
    breakdown,
    rate,
    sample_prices,
)

D = Decimal


def _ranges(*rows: tuple[object, object, str, str], price_key: str = "per_unit_amount") -> list:
    return [
        {"from_value": f, "to_value": t, price_key: price, "flat_amount": flat}
        for f, t, price, flat in rows
    ]


# Lago integer ranges: 0-10 holds 10 units, 11-20 the next 10, 21- the rest.
GRADUATED_INT = {
    "graduated_ranges": _ranges(
        (0, 10, "1", "5"),
        (11, 20, "0.5", "2"),
        (21, None, "0.1", "0"),
    )
}
# Adjacent decimal ranges: (0, 0.1], (0.1, 1], (1, inf).
GRADUATED_DEC = {
    "graduated_ranges": _ranges(
        ("0", "0.1", "10", "1"),
        ("0.1", "1", "5", "0.5"),
        ("1", None, "2", "0"),
    )
}
VOLUME_INT = {
    "volume_ranges": _ranges(
        (0, 10, "2", "1"),
        (11, 20, "1.5", "2"),
        (21, None, "1", "3"),
    )
}
VOLUME_DEC = {
    "volume_ranges": _ranges(
        ("0", "0.1", "10", "0"),
        ("0.1", "1", "8", "0.5"),
        ("1", None, "6", "1"),
    )
}
# Lago's documented graduated-percentage example.
GRAD_PCT_INT = {
    "graduated_percentage_ranges": _ranges(
        (0, 1000, "1", "200"),
        (1001, 10000, "2", "300"),
        (10001, None, "3", "400"),
        price_key="rate",
    )
}
GRAD_PCT_DEC = {
    "graduated_percentage_ranges": _ranges(
        ("0", "0.5", "10", "0"),
        ("0.5", None, "5", "1"),
        price_key="rate",
    )
}


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ("0", "5"),  # first range entered with 0 units: flat 5
        ("1", "6"),  # 1*1 + 5
        ("10", "15"),  # boundary: 10*1 + 5; range 2 not entered
        ("10.5", "17.25"),  # 15 + 0.5*0.5 + flat 2
        ("11", "17.5"),  # 15 + 1*0.5 + 2
        ("15", "19.5"),  # 15 + 5*0.5 + 2
        ("20", "22"),  # 15 + 10*0.5 + 2
        ("20.25", "22.025"),  # 22 + 0.25*0.1 (flat 0)
        ("21", "22.1"),  # 22 + 1*0.1
        ("100", "30"),  # 22 + 80*0.1 (open last range)
    ],
)
def test_graduated_integer_ranges(units: str, expected: str) -> None:
    assert rate("graduated", GRADUATED_INT, D(units)) == D(expected)


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ("0", "1"),  # flat 1
        ("0.05", "1.5"),  # 0.05*10 + 1
        ("0.1", "2"),  # boundary: 0.1*10 + 1
        ("0.5", "4.5"),  # 2 + 0.4*5 + 0.5
        ("1", "7"),  # 2 + 0.9*5 + 0.5
        ("1.5", "8"),  # 7 + 0.5*2
        ("10", "25"),  # 7 + 9*2
    ],
)
def test_graduated_decimal_adjacent_ranges(units: str, expected: str) -> None:
    assert rate("graduated", GRADUATED_DEC, D(units)) == D(expected)


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ("0", "1"),  # first range: 0*2 + flat 1
        ("1", "3"),  # 1*2 + 1
        ("10", "21"),  # boundary stays in 0-10: 10*2 + 1
        ("10.5", "17.75"),  # past the boundary -> 11-20: 10.5*1.5 + 2
        ("11", "18.5"),  # 11*1.5 + 2
        ("20", "32"),  # 20*1.5 + 2
        ("20.5", "23.5"),  # -> 21-: 20.5*1 + 3
        ("100", "103"),  # open last range: 100*1 + 3
    ],
)
def test_volume_integer_ranges(units: str, expected: str) -> None:
    assert rate("volume", VOLUME_INT, D(units)) == D(expected)


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ("0", "0"),  # first range: 0*10 + flat 0
        ("0.1", "1"),  # boundary stays in first: 0.1*10
        ("0.5", "4.5"),  # 0.5*8 + 0.5
        ("1", "8.5"),  # boundary: 1*8 + 0.5
        ("1.01", "7.06"),  # 1.01*6 + 1
    ],
)
def test_volume_decimal_adjacent_ranges(units: str, expected: str) -> None:
    assert rate("volume", VOLUME_DEC, D(units)) == D(expected)


@pytest.mark.parametrize(
    ("amount", "units", "expected"),
    [
        ("2", "0", "0"),  # 0*2
        ("2", "2.5", "5"),  # 2.5*2
        ("0.0015", "1", "0.0015"),  # sub-cent price stays unrounded
        ("0.0015", "1000", "1.5"),  # 1000*0.0015
    ],
)
def test_standard(amount: str, units: str, expected: str) -> None:
    assert rate("standard", {"amount": amount}, D(units)) == D(expected)


PACKAGE = {"amount": "5", "package_size": 10, "free_units": 5}


@pytest.mark.parametrize(
    ("properties", "units", "expected"),
    [
        (PACKAGE, "0", "0"),  # nothing used
        (PACKAGE, "5", "0"),  # all free
        (PACKAGE, "5.5", "5"),  # ceil(0.5/10)=1 package
        (PACKAGE, "6", "5"),  # ceil(1/10)=1
        (PACKAGE, "15", "5"),  # ceil(10/10)=1 (exact boundary)
        (PACKAGE, "15.5", "10"),  # ceil(10.5/10)=2
        (PACKAGE, "25", "10"),  # ceil(20/10)=2
        (PACKAGE, "26", "15"),  # ceil(21/10)=3
        ({"amount": "1", "package_size": "100"}, "1", "1"),  # no free units: ceil(1/100)=1
        ({"amount": "1", "package_size": "100"}, "100", "1"),  # ceil(100/100)=1
        ({"amount": "1", "package_size": "100"}, "101", "2"),  # ceil(101/100)=2
        ({"amount": "3", "package_size": "0.5"}, "1.2", "9"),  # ceil(1.2/0.5)=3 -> 3*3
    ],
)
def test_package(properties: dict, units: str, expected: str) -> None:
    assert rate("package", properties, D(units)) == D(expected)


@pytest.mark.parametrize(
    ("properties", "events", "expected"),
    [
        ({"rate": "1.5"}, [], "0"),  # zero units: nothing
        ({"rate": "1.5"}, ["100"], "1.5"),  # 100*1.5%
        ({"rate": "1.5", "fixed_amount": "0.2"}, ["100"], "1.7"),  # 1.5 + 0.2
        ({"rate": "2", "fixed_amount": "0.1"}, ["100", "200"], "6.2"),  # (2+0.1)+(4+0.1)
        ({"rate": "2", "fixed_amount": "0.1"}, ["0", "0"], "0"),  # events of 0 total: nothing
        # first 2 events free: only 300 -> 6 + 0.1
        (
            {"rate": "2", "fixed_amount": "0.1", "free_units_per_events": 2},
            ["100", "200", "300"],
            "6.1",
        ),
        # first 250 free: 100 free (150 left); 200 -> 50 charged 1 + 0.1; 300 -> 6 + 0.1
        (
            {"rate": "2", "fixed_amount": "0.1", "free_units_per_total_aggregation": "250"},
            ["100", "200", "300"],
            "7.2",
        ),
        # first 300 free: 200 uses up the free amount exactly -> 0% + fixed 0.1; 300 -> 6.1
        (
            {"rate": "2", "fixed_amount": "0.1", "free_units_per_total_aggregation": "300"},
            ["100", "200", "300"],
            "6.2",
        ),
        # free amount larger than the total: nothing
        ({"rate": "2", "free_units_per_total_aggregation": "1000"}, ["100"], "0"),
        # both: first 2 events or 500, events run out first: 100*2%+0.1 + 500*2%+0.1
        (
            {
                "rate": "2",
                "fixed_amount": "0.1",
                "free_units_per_events": 2,
                "free_units_per_total_aggregation": "500",
            },
            ["100", "100", "100", "500"],
            "12.2",
        ),
        # both: first 3 events or 150, amount runs out first: 50*2%+0.1 + 100*2%+0.1
        (
            {
                "rate": "2",
                "fixed_amount": "0.1",
                "free_units_per_events": 3,
                "free_units_per_total_aggregation": "150",
            },
            ["100", "100", "100"],
            "3.2",
        ),
        # clamp each event: 0.1 -> min 0.5; 1 stays; 10 -> max 3
        (
            {"rate": "1", "per_transaction_min_amount": "0.5", "per_transaction_max_amount": "3"},
            ["10", "100", "1000"],
            "4.5",
        ),
        # a free event is not raised to the minimum: 0 + (0.1 -> 0.5)
        (
            {"rate": "1", "free_units_per_events": 1, "per_transaction_min_amount": "0.5"},
            ["10", "10"],
            "0.5",
        ),
        # min applies to rate + fixed: 10*1% + 0.2 = 0.3 -> 0.5
        (
            {"rate": "1", "fixed_amount": "0.2", "per_transaction_min_amount": "0.5"},
            ["10"],
            "0.5",
        ),
    ],
)
def test_percentage(properties: dict, events: list[str], expected: str) -> None:
    values = [D(e) for e in events]
    total = sum(values, D(0))
    assert rate("percentage", properties, total, event_units=values) == D(expected)


def test_percentage_without_event_units_is_one_event() -> None:
    props = {"rate": "2", "fixed_amount": "0.1"}
    # one event of 300: 300*2% + 0.1
    assert rate("percentage", props, D(300)) == D("6.1")
    # no units, no event: no fixed fee
    assert rate("percentage", props, D(0)) == D(0)


@pytest.mark.parametrize(
    ("properties", "units", "expected"),
    [
        (GRAD_PCT_INT, "0", "200"),  # first range's flat 200
        (GRAD_PCT_INT, "500", "205"),  # 500*1% + 200
        (GRAD_PCT_INT, "1000", "210"),  # boundary: 1000*1% + 200
        (GRAD_PCT_INT, "1050", "511"),  # 210 + 50*2% + 300
        (GRAD_PCT_INT, "10000", "690"),  # 210 + 9000*2% + 300
        (GRAD_PCT_INT, "10000.5", "1090.015"),  # 690 + 0.5*3% + 400
        (GRAD_PCT_INT, "20000", "1390"),  # 690 + 10000*3% + 400
        (GRAD_PCT_DEC, "0.5", "0.05"),  # boundary: 0.5*10%
        (GRAD_PCT_DEC, "0.75", "1.0625"),  # 0.05 + 0.25*5% + 1
    ],
)
def test_graduated_percentage(properties: dict, units: str, expected: str) -> None:
    assert rate("graduated_percentage", properties, D(units)) == D(expected)


def test_results_are_unrounded_decimals() -> None:
    # 3 * 0.3333 = 0.9999: not rounded to the cent
    result = rate("standard", {"amount": "0.3333"}, D(3))
    assert isinstance(result, Decimal)
    assert result == D("0.9999")


def test_long_products_are_not_rounded_to_28_digits() -> None:
    # 19 digits * 14 digits = 33 significant digits; the default context keeps only 28
    got = rate("standard", {"amount": "0.00012345678901"}, D("123456789012345.6789"))
    assert got == D("15241578752.949246765142508889")


def test_int_units_are_accepted() -> None:
    assert rate("standard", {"amount": "2"}, 3) == D(6)  # type: ignore[arg-type]


VALID = {
    "standard": {"amount": "1"},
    "graduated": GRADUATED_INT,
    "volume": VOLUME_INT,
    "package": PACKAGE,
    "percentage": {"rate": "1"},
    "graduated_percentage": GRAD_PCT_INT,
}


def test_every_model_has_a_valid_example() -> None:
    assert set(VALID) == set(CHARGE_MODELS)


@pytest.mark.parametrize("model", CHARGE_MODELS)
@pytest.mark.parametrize("units", [1.5, "3", None, True])
def test_non_decimal_units_are_refused(model: str, units: object) -> None:
    with pytest.raises(TypeError):
        rate(model, VALID[model], units)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        breakdown(model, VALID[model], units, currency="USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("model", CHARGE_MODELS)
def test_every_model_returns_a_decimal(model: str) -> None:
    assert isinstance(rate(model, VALID[model], D("12.5")), Decimal)


@pytest.mark.parametrize("units", [D(-1), D("NaN"), D("Infinity")])
def test_negative_or_non_finite_units_are_refused(units: Decimal) -> None:
    with pytest.raises(PricingValidationError) as error:
        rate("standard", {"amount": "1"}, units)
    assert error.value.field == "units"


def test_float_event_units_are_refused() -> None:
    with pytest.raises(TypeError):
        rate("percentage", {"rate": "1"}, D(1), event_units=[1.0])  # type: ignore[list-item]


def test_event_units_must_add_up_to_units() -> None:
    with pytest.raises(PricingValidationError) as error:
        rate("percentage", {"rate": "1"}, D(10), event_units=[D(4), D(5)])
    assert error.value.field == "event_units"


def test_negative_event_is_refused() -> None:
    with pytest.raises(PricingValidationError) as error:
        rate("percentage", {"rate": "1"}, D(1), event_units=[D(2), D(-1)])
    assert error.value.field == "event_units[1]"


def test_rate_refuses_bad_properties() -> None:
    with pytest.raises(PricingValidationError) as error:
        rate("standard", {"amount": "ten"}, D(1))
    assert str(error.value) == "amount: 'ten' is not a number"


# ---- breakdown labels ---------------------------------------------------------------------

TIERS_5 = {
    "graduated_ranges": _ranges(
        (0, 10, "1", "0"),
        (11, 20, "5", "0"),
        (21, None, "0.0015", "2.5"),
    )
}


def test_graduated_breakdown_labels() -> None:
    rows = breakdown("graduated", TIERS_5, D(25), currency="USD")
    assert [row.label for row in rows] == [
        "units 0-10 at 1.00 = 10.00",
        "units 11-20 at 5.00 = 50.00",
        # 5*0.0015 + 2.5 = 2.5075 -> 2.51 for display
        "units 21-25 at 0.0015 + flat 2.50 = 2.51",
    ]
    assert rows[2] == RangeCharge(
        label="units 21-25 at 0.0015 + flat 2.50 = 2.51",
        units=D(5),
        unit_amount=D("0.0015"),
        flat_amount=D("2.5"),
        amount=D("2.5075"),
    )


def test_graduated_breakdown_partial_and_fractional_labels() -> None:
    labels = [row.label for row in breakdown("graduated", TIERS_5, D("10.5"), currency="USD")]
    assert labels == ["units 0-10 at 1.00 = 10.00", "units 10-10.5 at 5.00 = 2.50"]
    labels = [row.label for row in breakdown("graduated", TIERS_5, D(0), currency="USD")]
    assert labels == ["units 0 at 1.00 = 0.00"]


def test_breakdown_formats_to_currency_exponent() -> None:
    jpy = breakdown("standard", {"amount": "12"}, D("2.50"), currency="JPY")
    assert jpy[0].label == "units 2.5 at 12 = 30"
    kwd = breakdown("standard", {"amount": "1.2345"}, D(3), currency="KWD")
    assert kwd[0].label == "units 3 at 1.2345 = 3.704"  # 3.7035 half-up


def test_volume_breakdown_label() -> None:
    rows = breakdown("volume", VOLUME_INT, D("10.5"), currency="USD")
    assert [row.label for row in rows] == ["units 10.5 (range 11-20) at 1.50 + flat 2.00 = 17.75"]
    rows = breakdown("volume", VOLUME_INT, D(30), currency="USD")
    assert rows[0].label == "units 30 (range 21+) at 1.00 + flat 3.00 = 33.00"


def test_package_breakdown_label() -> None:
    rows = breakdown("package", PACKAGE, D(25), currency="USD")
    assert rows == [
        RangeCharge(
            label="units 25 - 5 free = 2 packages of 10 at 5.00 = 10.00",
            units=D(2),
            unit_amount=D(5),
            flat_amount=D(0),
            amount=D(10),
        )
    ]


def test_percentage_breakdown_rows() -> None:
    props = {
        "rate": "2",
        "fixed_amount": "0.1",
        "free_units_per_total_aggregation": "250",
        "per_transaction_max_amount": "5",
    }
    events = [D(100), D(200), D(300)]
    rows = breakdown("percentage", props, D(600), event_units=events, currency="USD")
    assert [row.label for row in rows] == [
        "free 250 over 1 event = 0.00",
        "2% of 350 = 7.00",
        "2 events at 0.10 fixed = 0.20",
        # 300*2% + 0.1 = 6.1 is capped at 5
        "per-transaction min/max adjustment = -1.10",
    ]
    assert sum(row.amount for row in rows) == rate("percentage", props, D(600), event_units=events)


def test_graduated_percentage_breakdown_labels() -> None:
    rows = breakdown("graduated_percentage", GRAD_PCT_INT, D(1050), currency="USD")
    assert [row.label for row in rows] == [
        "units 0-1000 at 1% + flat 200.00 = 210.00",
        "units 1001-1050 at 2% + flat 300.00 = 301.00",
    ]


def test_breakdown_refuses_unknown_currency() -> None:
    with pytest.raises(ValueError, match="unknown currency"):
        breakdown("standard", {"amount": "1"}, D(1), currency="XXX")


def test_sample_prices_round_once_per_level() -> None:
    levels = [D(0), D("10.5"), D(100)]
    # 0 -> 1.00; 10.5*1.5+2 = 17.75; 100*1+3 = 103
    assert sample_prices("volume", VOLUME_INT, levels, "USD") == [
        (D(0), 100),
        (D("10.5"), 1775),
        (D(100), 10300),
    ]
    # 0.0015 * 3 = 0.0045 -> 0 cents; * 3333 = 4.9995 -> 500 cents (half-up)
    assert sample_prices("standard", {"amount": "0.0015"}, [D(3), D(3333)], "USD") == [
        (D(3), 0),
        (D(3333), 500),
    ]
