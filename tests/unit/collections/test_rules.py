"""Collections rules: aging buckets, the dunning schedule and messages, promises, write-offs."""

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.collections.domain import (
    AGING_BUCKETS,
    DEFAULT_SCHEDULE,
    CollectionsError,
    DunningConfigError,
    StepKind,
    after_attempt,
    aging_bucket,
    bucket_thresholds,
    cancel_after_days,
    cancel_due,
    check_promise,
    check_write_off_decider,
    days_past_due,
    max_attempts,
    parse_schedule,
    retry_at,
    schedule_or_default,
)
from console.collections.domain.dunning import canceled_notice, recovered_notice, reminder
from console.kpis.domain import aging_bucket_expr

AS_OF = date(2026, 11, 20)
T1 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("due", "bucket"), [
    (date(2026, 12, 20), "current"),
    (AS_OF, "current"),
    (AS_OF - timedelta(days=1), "1-30"),
    (AS_OF - timedelta(days=30), "1-30"),
    (AS_OF - timedelta(days=31), "31-60"),
    (AS_OF - timedelta(days=60), "31-60"),
    (AS_OF - timedelta(days=61), "61-90"),
    (AS_OF - timedelta(days=90), "61-90"),
    (AS_OF - timedelta(days=91), "90+"),
    (date(2020, 1, 1), "90+"),
])
def test_aging_buckets(due, bucket) -> None:
    assert aging_bucket(due, AS_OF) == bucket


def _bucket_by_thresholds(due: date, as_of: date) -> str:
    for bucket, earliest in bucket_thresholds(as_of):
        if due >= earliest:
            return bucket
    return "90+"


@given(st.integers(min_value=-400, max_value=400))
def test_thresholds_and_kpi_expression_agree_with_the_bucket(offset) -> None:
    due = AS_OF - timedelta(days=offset)
    expected = aging_bucket(due, AS_OF)
    assert expected in AGING_BUCKETS
    assert days_past_due(due, AS_OF) == offset
    assert _bucket_by_thresholds(due, AS_OF) == expected
    frame = pl.DataFrame({"due_date": [due]})
    assert frame.select(aging_bucket_expr(AS_OF))["aging_bucket"][0] == expected


@pytest.mark.parametrize(("value", "schedule"), [
    ([1, 3, 5, 7], (1, 3, 5, 7)),
    ({"days": [2, 4]}, (2, 4)),
    ((1,), (1,)),
])
def test_parse_schedule(value, schedule) -> None:
    assert parse_schedule(value) == schedule


@pytest.mark.parametrize("value", [[], [0, 1], [3, 2], [1, 1], ["1"], "1,3", None, [1.5],
                                   [True], list(range(1, 14))])
def test_broken_schedules(value) -> None:
    with pytest.raises(DunningConfigError):
        parse_schedule(value)
    assert schedule_or_default(value) == DEFAULT_SCHEDULE


def test_retry_schedule_walk() -> None:
    schedule = (1, 3, 5, 7)
    assert max_attempts(schedule) == 5
    assert retry_at(T1, 1, schedule) == T1
    assert [retry_at(T1, n, schedule) for n in (2, 3, 4, 5)] == [
        T1 + timedelta(days=d) for d in schedule]
    assert retry_at(T1, 6, schedule) is None
    steps = [after_attempt(attempt_no=n, succeeded=False, first_attempt_at=T1,
                           schedule=schedule) for n in range(1, 6)]
    assert [s.kind for s in steps] == [StepKind.RETRY] * 4 + [StepKind.EXHAUSTED]
    assert [s.next_attempt_no for s in steps[:4]] == [2, 3, 4, 5]
    assert steps[0].next_at == T1 + timedelta(days=1)
    assert after_attempt(attempt_no=3, succeeded=True, first_attempt_at=T1,
                         schedule=schedule).kind == StepKind.PAID


@pytest.mark.parametrize(("value", "days"), [
    ({"cancel_after_days": 3}, 3), ({"cancel_after_days": 0}, 0), ({}, 14),
    ({"cancel_after_days": -1}, 14), ({"cancel_after_days": "5"}, 14), (None, 14),
    ({"cancel_after_days": True}, 14)])
def test_cancel_after_days(value, days) -> None:
    assert cancel_after_days(value) == days
    assert cancel_due(T1, days) == T1 + timedelta(days=days)


def test_messages() -> None:
    first = reminder(invoice_number="INV-2026-000001", attempt_no=1,
                     failure_code="insufficient_funds", amount_text="$10.00",
                     next_at=T1 + timedelta(days=1))
    assert first.kind == "dunning_reminder"
    assert "2026-11-02" in first.body and "insufficient funds" in first.body
    final = reminder(invoice_number="INV-2026-000001", attempt_no=5, failure_code="expired_card",
                     amount_text="$10.00", next_at=None)
    assert final.kind == "dunning_final" and "past due" in final.body
    assert canceled_notice(invoice_number="X", amount_text="$1").kind == "dunning_canceled"
    back = recovered_notice(invoice_number="X", amount_text="$1", reactivated=True)
    assert back.kind == "payment_received" and "active again" in back.body


def test_promise_to_pay() -> None:
    check_promise(promised_on=AS_OF, amount_minor=100, open_minor=100, today=AS_OF)
    for kwargs, message in (
            ({"promised_on": None, "amount_minor": 1}, "date"),
            ({"promised_on": AS_OF - timedelta(days=1), "amount_minor": 1}, "past"),
            ({"promised_on": AS_OF, "amount_minor": 0}, "positive"),
            ({"promised_on": AS_OF, "amount_minor": 101}, "more than the open")):
        with pytest.raises(CollectionsError, match=message):
            check_promise(open_minor=100, today=AS_OF, **kwargs)


def test_write_off_maker_checker() -> None:
    check_write_off_decider(requested_by=1, decider=2)
    with pytest.raises(CollectionsError, match="another finance user"):
        check_write_off_decider(requested_by=1, decider=1)
    with pytest.raises(CollectionsError, match="people"):
        check_write_off_decider(requested_by=1, decider=None)
