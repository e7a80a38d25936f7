"""Validation of charge-model properties: every error names the field path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.pricing import CHARGE_MODELS, PricingValidationError, rate, validate


def _range(f: object, t: object, price: object = "1", flat: object = "0") -> dict:
    return {"from_value": f, "to_value": t, "per_unit_amount": price, "flat_amount": flat}


GOOD_INT = [_range(0, 10), _range(11, 20), _range(21, None)]
GOOD_DEC = [_range("0", "0.1"), _range("0.1", "1"), _range("1", None)]


@pytest.mark.parametrize(
    ("model", "properties"),
    [
        ("standard", {"amount": "0.0015"}),
        ("standard", {"amount": 3}),
        ("standard", {"amount": Decimal("2.5"), "unknown_extra": "ignored"}),
        ("graduated", {"graduated_ranges": GOOD_INT}),
        ("graduated", {"graduated_ranges": GOOD_DEC}),
        ("graduated", {"graduated_ranges": [_range(0, None)]}),
        # flat_amount may be left out (0)
        ("graduated", {"graduated_ranges": [{"from_value": 0, "per_unit_amount": "1"}]}),
        ("volume", {"volume_ranges": GOOD_INT}),
        # integer-style +1 after a whole-number decimal to_value
        ("volume", {"volume_ranges": [_range("0", "10.0"), _range("11", None)]}),
        ("package", {"amount": "5", "package_size": 10}),
        ("package", {"amount": "5", "package_size": "10", "free_units": 3}),
        ("percentage", {"rate": "1.5"}),
        (
            "percentage",
            {
                "rate": "1.5",
                "fixed_amount": "0.2",
                "free_units_per_events": 3,
                "free_units_per_total_aggregation": "500",
                "per_transaction_min_amount": "1",
                "per_transaction_max_amount": "1",
            },
        ),
        ("percentage", {"rate": "1", "free_units_per_events": None, "fixed_amount": ""}),
        (
            "graduated_percentage",
            {
                "graduated_percentage_ranges": [
                    {"from_value": 0, "to_value": 10, "rate": "1", "flat_amount": "0"},
                    {"from_value": 11, "to_value": None, "rate": "0.5", "flat_amount": "1"},
                ]
            },
        ),
    ],
)
def test_valid_properties_pass(model: str, properties: dict) -> None:
    validate(model, properties)


@pytest.mark.parametrize(
    ("model", "properties", "field", "fragment"),
    [
        ("flat", {}, "model", "unknown charge model"),
        ("standard", ["amount"], "properties", "must be an object"),
        # missing fields
        ("standard", {}, "amount", "is required"),
        ("standard", {"amount": ""}, "amount", "is required"),
        ("package", {"package_size": 10}, "amount", "is required"),
        ("package", {"amount": "1"}, "package_size", "is required"),
        ("percentage", {"fixed_amount": "1"}, "rate", "is required"),
        ("graduated", {}, "graduated_ranges", "at least one range"),
        ("graduated", {"graduated_ranges": []}, "graduated_ranges", "at least one range"),
        ("volume", {"volume_ranges": {"from_value": 0}}, "volume_ranges", "must be a list"),
        ("volume", {"volume_ranges": ["0-10"]}, "volume_ranges[0]", "must be an object"),
        (
            "graduated",
            {"graduated_ranges": [{"to_value": None, "per_unit_amount": "1"}]},
            "graduated_ranges[0].from_value",
            "is required",
        ),
        (
            "graduated",
            {"graduated_ranges": [{"from_value": 0, "to_value": None}]},
            "graduated_ranges[0].per_unit_amount",
            "is required",
        ),
        (
            "graduated_percentage",
            {"graduated_percentage_ranges": [{"from_value": 0, "to_value": None}]},
            "graduated_percentage_ranges[0].rate",
            "is required",
        ),
        # non-numeric strings, floats and other types
        ("standard", {"amount": "ten"}, "amount", "'ten' is not a number"),
        ("standard", {"amount": "NaN"}, "amount", "not a finite number"),
        ("standard", {"amount": 1.5}, "amount", "not a float"),
        ("standard", {"amount": True}, "amount", "must be a decimal string"),
        ("percentage", {"rate": "1", "fixed_amount": "x"}, "fixed_amount", "is not a number"),
        (
            "graduated",
            {"graduated_ranges": [_range(0, 10), _range(11, None, price="1,5")]},
            "graduated_ranges[1].per_unit_amount",
            "is not a number",
        ),
        (
            "volume",
            {"volume_ranges": [_range(0, 10.0), _range(11, None)]},
            "volume_ranges[0].to_value",
            "not a float",
        ),
        # negative amounts and rates
        ("standard", {"amount": "-1"}, "amount", "must not be negative"),
        ("percentage", {"rate": "-0.5"}, "rate", "must not be negative"),
        (
            "percentage",
            {"rate": "1", "per_transaction_min_amount": "-1"},
            "per_transaction_min_amount",
            "must not be negative",
        ),
        ("package", {"amount": "1", "package_size": 1, "free_units": -1}, "free_units", "negative"),
        (
            "graduated",
            {"graduated_ranges": [_range(0, 10, flat="-2"), _range(11, None)]},
            "graduated_ranges[0].flat_amount",
            "must not be negative",
        ),
        # package_size <= 0
        ("package", {"amount": "1", "package_size": 0}, "package_size", "greater than 0"),
        ("package", {"amount": "1", "package_size": "-5"}, "package_size", "must not be negative"),
        # whole events only
        (
            "percentage",
            {"rate": "1", "free_units_per_events": "2.5"},
            "free_units_per_events",
            "whole number",
        ),
        # min > max
        (
            "percentage",
            {"rate": "1", "per_transaction_min_amount": "5", "per_transaction_max_amount": "2"},
            "per_transaction_max_amount",
            "must not be below per_transaction_min_amount",
        ),
        # first range not starting at 0
        (
            "graduated",
            {"graduated_ranges": [_range(1, 10), _range(11, None)]},
            "graduated_ranges[0].from_value",
            "must start at 0",
        ),
        # overlap
        (
            "graduated",
            {"graduated_ranges": [_range(0, 10), _range(5, None)]},
            "graduated_ranges[1].from_value",
            "ranges overlap",
        ),
        # gaps (integer and decimal)
        (
            "volume",
            {"volume_ranges": [_range(0, 10), _range(12, None)]},
            "volume_ranges[1].from_value",
            "ranges leave a gap",
        ),
        (
            "volume",
            {"volume_ranges": [_range(0, 10), _range("10.5", None)]},
            "volume_ranges[1].from_value",
            "ranges leave a gap",
        ),
        (
            "graduated",
            {"graduated_ranges": [_range("0", "0.5"), _range("1.5", None)]},
            "graduated_ranges[1].from_value",
            "ranges leave a gap",
        ),
        # last range not open-ended
        (
            "graduated",
            {"graduated_ranges": [_range(0, 10), _range(11, 20)]},
            "graduated_ranges[1].to_value",
            "last range must be open-ended",
        ),
        # an open range before the last
        (
            "volume",
            {"volume_ranges": [_range(0, None), _range(11, None)]},
            "volume_ranges[0].to_value",
            "only the last range may be open-ended",
        ),
        # to_value <= from_value
        (
            "graduated",
            {"graduated_ranges": [_range(0, 10), _range(11, 11), _range(12, None)]},
            "graduated_ranges[1].to_value",
            "must be greater than from_value",
        ),
        (
            "graduated",
            {"graduated_ranges": [_range(0, 0), _range(0, None)]},
            "graduated_ranges[0].to_value",
            "must be greater than from_value",
        ),
    ],
)
def test_invalid_properties_name_the_field(
    model: str, properties: dict, field: str, fragment: str
) -> None:
    with pytest.raises(PricingValidationError) as error:
        validate(model, properties)
    assert error.value.field == field
    assert fragment in error.value.message
    assert str(error.value) == f"{field}: {error.value.message}"


def test_error_message_reads_well() -> None:
    with pytest.raises(PricingValidationError) as error:
        validate("graduated", {"graduated_ranges": [_range(0, 10), _range(5, None)]})
    assert str(error.value) == (
        "graduated_ranges[1].from_value: ranges overlap: 5 is below the previous to_value 10"
    )


def test_validation_error_is_a_value_error() -> None:
    assert issubclass(PricingValidationError, ValueError)


@pytest.mark.parametrize("model", CHARGE_MODELS)
def test_rate_validates_too(model: str) -> None:
    with pytest.raises(PricingValidationError):
        rate(model, {"amount": "x", "rate": "x"}, Decimal(1))
