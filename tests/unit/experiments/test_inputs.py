"""What a lead types into the experiment and rollout forms: texts, whole numbers, stage lists
and dates, each refused with the message the page shows."""

from datetime import date

import pytest

from console.experiments.domain.inputs import check_int, check_stages, check_text, parse_date
from console.kernel.errors import InvalidInput


def test_texts_are_trimmed_required_and_bounded():
    assert check_text("  Go  ", "A reason") == "Go"
    with pytest.raises(InvalidInput, match=r"^A reason is required\.$"):
        check_text("   ", "A reason")
    with pytest.raises(InvalidInput, match=r"^A name is longer than 200 characters\.$"):
        check_text("x" * 201, "A name")
    assert check_text("x" * 4000, "A hypothesis", limit=4000) == "x" * 4000


@pytest.mark.parametrize(("value", "message"), [
    ("ten", "The weight must be a whole number."),
    (None, "The weight must be a whole number."),
    (0, "The weight must be between 1 and 100."),
    ("101", "The weight must be between 1 and 100."),
])
def test_whole_numbers_are_checked_with_their_range(value, message):
    with pytest.raises(InvalidInput) as err:
        check_int(value, what="The weight", low=1, high=100)
    assert str(err.value) == message


def test_whole_numbers_in_range_pass_as_ints():
    assert check_int("7", what="The weight", low=1, high=100) == 7
    assert check_int(100, what="The weight", low=1, high=100) == 100


@pytest.mark.parametrize(("stages", "expected"), [
    ((1, 10, 50, 100), [1, 10, 50, 100]),
    (["5", "100"], [5, 100]),
    ((100,), [100]),
])
def test_stages_rise_from_one_to_a_hundred_percent(stages, expected):
    assert check_stages(stages) == expected


@pytest.mark.parametrize(("stages", "message"), [
    (("ten",), "whole percentages"),
    ((), "between 1 and 20 stages"),
    (tuple(range(1, 22)), "between 1 and 20 stages"),
    ((0, 50), "between 1 and 100"),
    ((10, 101), "between 1 and 100"),
    ((50, 10), "larger than the one before"),
    ((10, 10), "larger than the one before"),
])
def test_bad_stage_lists_are_refused(stages, message):
    with pytest.raises(InvalidInput, match=message):
        check_stages(stages)


def test_dates_are_iso_days_and_blank_means_none():
    assert parse_date("2026-12-01", what="start date") == date(2026, 12, 1)
    assert parse_date(" 2026-12-01 ", what="start date") == date(2026, 12, 1)
    assert parse_date("", what="start date") is None
    assert parse_date(None, what="start date") is None
    assert parse_date(date(2027, 1, 2), what="start date") == date(2027, 1, 2)
    with pytest.raises(InvalidInput, match=r"^move date: use a date like 2026-12-01\.$"):
        parse_date("1/12/2026", what="move date")
