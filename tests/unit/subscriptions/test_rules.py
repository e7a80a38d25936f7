"""The subscription state machine, periods, entitlement changes and the approval rule."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.subscriptions.domain import (
    ChangeKind,
    Grant,
    SubscriptionState,
    allowed_kinds,
    check_seats,
    effective_refusal,
    entitlement_change,
    event_kind,
    needs_approval,
    next_period,
    period_containing,
    refusal,
)

ACTIVE = SubscriptionState("active", False, date(2026, 1, 15), date(2026, 3, 31))
ENDING = SubscriptionState("active", True, date(2026, 1, 15), date(2026, 3, 31))
CANCELED = SubscriptionState("canceled", False, date(2026, 1, 15), date(2026, 3, 31))


@pytest.mark.parametrize(("kind", "state", "ok"), [
    (ChangeKind.NEW, None, True),
    (ChangeKind.PLAN, ACTIVE, True),
    (ChangeKind.SEATS, ENDING, False),
    (ChangeKind.CANCEL_AT_PERIOD_END, ACTIVE, True),
    (ChangeKind.CANCEL_AT_PERIOD_END, ENDING, False),
    (ChangeKind.UNDO_CANCEL, ENDING, True),
    (ChangeKind.UNDO_CANCEL, ACTIVE, False),
    (ChangeKind.CANCEL_NOW, ENDING, True),
    (ChangeKind.REACTIVATE, CANCELED, True),
    (ChangeKind.REACTIVATE, ACTIVE, False),
    (ChangeKind.PLAN, CANCELED, False),
])
def test_state_machine(kind, state, ok) -> None:
    assert (refusal(kind, state) == "") is ok


def test_allowed_kinds_follow_the_state() -> None:
    assert allowed_kinds(CANCELED) == [ChangeKind.REACTIVATE]
    assert ChangeKind.UNDO_CANCEL in allowed_kinds(ENDING)
    assert ChangeKind.UNDO_CANCEL not in allowed_kinds(ACTIVE)


@pytest.mark.parametrize(("day", "interval", "started", "expected"), [
    (date(2026, 3, 10), "month", date(2025, 1, 20), (date(2026, 3, 1), date(2026, 3, 31))),
    (date(2026, 3, 10), "month", date(2026, 3, 5), (date(2026, 3, 5), date(2026, 3, 31))),
    (date(2026, 3, 10), "year", date(2025, 6, 1), (date(2025, 6, 1), date(2026, 5, 31))),
    (date(2028, 2, 29), "year", date(2024, 2, 29), (date(2028, 2, 29), date(2029, 2, 27))),
])
def test_periods(day, interval, started, expected) -> None:
    assert period_containing(day, interval=interval, started_on=started) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
       st.sampled_from(["month", "year"]))
def test_renewals_chain_without_gaps(started: date, interval: str) -> None:
    _start, end = period_containing(started, interval=interval, started_on=started)
    for _ in range(3):
        nxt_start, nxt_end = next_period(end, interval=interval, started_on=started)
        assert (nxt_start - end).days == 1 and nxt_end >= nxt_start
        _start, end = nxt_start, nxt_end


def test_entitlement_change() -> None:
    before = {"seats": Grant("seats", "Seats", True, 10), "sso": Grant("sso", "SSO", False)}
    after = {"seats": Grant("seats", "Seats", True, 50), "sso": Grant("sso", "SSO", True),
             "api": Grant("api", "API calls", True)}
    change = entitlement_change(before, after)
    assert change.gained == ("API calls", "SSO")
    assert change.changed == ("Seats: 10 → 50",) and change.lost == ()
    assert entitlement_change(after, {}).lost == ("API calls", "Seats: 50", "SSO")


@pytest.mark.parametrize(("delta", "threshold", "needed"), [
    (100_00, 1000_00, False), (1000_00, 1000_00, False), (1000_01, 1000_00, True),
    (-5000_00, 1000_00, True), (None, 1000_00, True)])
def test_approval_rule(delta, threshold, needed) -> None:
    assert needs_approval(mrr_change_reporting_minor=delta, threshold_minor=threshold) is needed


def test_event_kinds_and_seats_and_days() -> None:
    assert event_kind(ChangeKind.PLAN, mrr_before=100, mrr_after=50) == "downgrade"
    assert event_kind(ChangeKind.PLAN, mrr_before=100, mrr_after=150) == "upgrade"
    assert check_seats(" 12 ") == 12
    for bad in ("0", "-1", "1.5", "abc", "100001"):
        with pytest.raises(ValueError):
            check_seats(bad)
    today, first = date(2026, 3, 25), date(2026, 3, 1)
    assert effective_refusal(date(2026, 3, 26), today=today, earliest=first)
    assert effective_refusal(date(2026, 2, 28), today=today, earliest=first)
    assert effective_refusal(date(2026, 3, 1), today=today, earliest=first) == ""
