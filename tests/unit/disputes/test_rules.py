"""Dispute rules: the status machine, reopen window, SLA due dates and countdowns, evidence
checks and disputed lines."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.disputes.domain import (
    ACTIVE,
    CLOSED,
    DEFAULT_SLA_HOURS,
    MAX_EVIDENCE_BYTES,
    REASONS,
    DisputeAction,
    DisputedLine,
    DisputeLineError,
    DisputeStatus,
    DisputeTransitionError,
    EvidenceError,
    allowed_actions,
    can_reopen,
    check_evidence,
    check_reopen,
    countdown,
    parse_amounts,
    reason_choices,
    reopen_days_from,
    response_due,
    sla_hours_for,
    sla_view,
    transition,
    validate_lines,
)
from console.kernel.errors import InvalidInput

S, A = DisputeStatus, DisputeAction
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("status", "action", "target"), [
    (S.OPEN, A.START, S.INVESTIGATING),
    (S.INVESTIGATING, A.AWAIT_CUSTOMER, S.AWAITING_CUSTOMER),
    (S.AWAITING_CUSTOMER, A.RESUME, S.INVESTIGATING),
    (S.OPEN, A.CREDIT, S.RESOLVED_CREDITED),
    (S.INVESTIGATING, A.CREDIT, S.RESOLVED_CREDITED),
    (S.AWAITING_CUSTOMER, A.CREDIT, S.RESOLVED_CREDITED),
    (S.INVESTIGATING, A.REJECT, S.RESOLVED_REJECTED),
    (S.AWAITING_CUSTOMER, A.WITHDRAW, S.WITHDRAWN),
    (S.OPEN, A.WITHDRAW, S.WITHDRAWN),
    (S.RESOLVED_CREDITED, A.REOPEN, S.INVESTIGATING),
    (S.RESOLVED_REJECTED, A.REOPEN, S.INVESTIGATING),
    (S.WITHDRAWN, A.REOPEN, S.INVESTIGATING),
])
def test_allowed_transitions(status, action, target) -> None:
    assert transition(status, action) == target


@pytest.mark.parametrize(("status", "action"), [
    (S.INVESTIGATING, A.START),
    (S.OPEN, A.AWAIT_CUSTOMER),
    (S.INVESTIGATING, A.RESUME),
    (S.RESOLVED_CREDITED, A.CREDIT),
    (S.RESOLVED_REJECTED, A.REJECT),
    (S.WITHDRAWN, A.WITHDRAW),
    (S.OPEN, A.REOPEN),
    (S.AWAITING_CUSTOMER, A.REOPEN),
])
def test_refused_transitions_say_why(status, action) -> None:
    with pytest.raises(DisputeTransitionError, match="This dispute is"):
        transition(status, action)


def test_every_status_is_active_or_closed_and_closed_ones_only_reopen() -> None:
    assert ACTIVE | CLOSED == set(DisputeStatus)
    assert not ACTIVE & CLOSED
    for status in CLOSED:
        assert allowed_actions(status) == (A.REOPEN,)
    for status in ACTIVE:
        assert {A.CREDIT, A.REJECT, A.WITHDRAW} <= set(allowed_actions(status))


def test_reopen_window() -> None:
    resolved = T0
    assert can_reopen(S.RESOLVED_REJECTED, resolved, now=T0 + timedelta(days=30))
    assert not can_reopen(S.RESOLVED_REJECTED, resolved,
                          now=T0 + timedelta(days=30, seconds=1))
    assert can_reopen(S.WITHDRAWN, resolved, now=T0 + timedelta(days=5), window_days=7)
    assert not can_reopen(S.INVESTIGATING, resolved, now=T0)
    assert not can_reopen(S.WITHDRAWN, None, now=T0)
    assert check_reopen(S.WITHDRAWN, resolved, now=T0 + timedelta(days=1)) == S.INVESTIGATING
    with pytest.raises(DisputeTransitionError, match="within 30 days"):
        check_reopen(S.RESOLVED_CREDITED, resolved, now=T0 + timedelta(days=31))
    with pytest.raises(DisputeTransitionError, match="Only resolved"):
        check_reopen(S.OPEN, resolved, now=T0)


@pytest.mark.parametrize(("reason", "policy", "hours"), [
    ("duplicate_charge", None, 24),
    ("other", {}, 120),
    ("usage_disagreement", {"usage_disagreement": 10}, 10),
    ("usage_disagreement", {"usage_disagreement": "12"}, 12),
    ("usage_disagreement", {"usage_disagreement": 0}, 72),  # broken: default
    ("usage_disagreement", {"usage_disagreement": -5}, 72),
    ("usage_disagreement", {"usage_disagreement": "soon"}, 72),
    ("usage_disagreement", {"usage_disagreement": True}, 72),
    ("usage_disagreement", {"usage_disagreement": 7.5}, 72),
    ("service_issue", {"usage_disagreement": 1}, 72),
])
def test_sla_hours_per_reason(reason, policy, hours) -> None:
    assert sla_hours_for(reason, policy) == hours


def test_response_due_and_unknown_reason() -> None:
    assert response_due(T0, "duplicate_charge") == T0 + timedelta(hours=24)
    assert response_due(T0, "price_plan_mismatch", {"price_plan_mismatch": 6}) == \
        T0 + timedelta(hours=6)
    assert set(DEFAULT_SLA_HOURS) == set(REASONS)
    with pytest.raises(ValueError, match="not a dispute reason"):
        response_due(T0, "angry")


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(hours=5, minutes=59), "due in 5 h"),
    (timedelta(minutes=45), "due in 45 min"),
    (timedelta(seconds=30), "due now"),
    (timedelta(hours=47), "due in 47 h"),
    (timedelta(hours=49), "due in 2 d"),
    (timedelta(days=3, hours=23), "due in 3 d"),
    (-timedelta(minutes=10), "overdue by 10 min"),
    (-timedelta(seconds=5), "overdue by 1 min"),
    (-timedelta(hours=3), "overdue by 3 h"),
    (-timedelta(days=2, hours=1), "overdue by 2 d"),
])
def test_countdown_texts(delta, text) -> None:
    assert countdown(T0 + delta, T0) == text


def test_sla_states() -> None:
    due = T0 + timedelta(hours=30)
    assert sla_view(due, now=T0, active=True).state == "on_track"
    assert sla_view(due, now=T0 + timedelta(hours=10), active=True).state == "due_soon"
    late = sla_view(due, now=T0 + timedelta(days=3), active=True)
    assert (late.state, late.text) == ("overdue", "overdue by 42 h")
    assert late.seconds_left < 0
    met = sla_view(due, now=T0 + timedelta(days=9), active=False,
                   resolved_at=T0 + timedelta(hours=2))
    assert (met.state, met.text) == ("met", "resolved within SLA")
    missed = sla_view(due, now=T0 + timedelta(days=9), active=False,
                      resolved_at=due + timedelta(hours=3))
    assert (missed.state, missed.text) == ("missed", "resolved 3 h late")


@given(st.integers(min_value=-10**7, max_value=10**7))
def test_countdown_direction_matches_the_sign(seconds) -> None:
    text = countdown(T0 + timedelta(seconds=seconds), T0)
    if seconds >= 60:
        assert text.startswith("due in ")
    elif seconds >= 0:
        assert text == "due now"
    else:
        assert text.startswith("overdue by ")


PDF = b"%PDF-1.7\n..."
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
JPG = b"\xff\xd8\xff\xe0" + b"\0" * 20


@pytest.mark.parametrize(("name", "content", "ctype"), [
    ("invoice.pdf", PDF, "application/pdf"),
    ("C:\\Users\\me\\shot.PNG", PNG, "image/png"),
    ("photo.jpeg", JPG, "image/jpeg"),
    ("photo.jpg", JPG, "image/jpeg"),
    ("usage.csv", b"day,calls\n2026-11-01,12\n", "text/csv"),
    ("notes.txt", "héllo".encode(), "text/plain"),
    ("mail.eml", b"From: a@b\nSubject: x\n\nbody", "message/rfc822"),
])
def test_accepted_evidence(name, content, ctype) -> None:
    checked = check_evidence(name, content)
    assert checked.content_type == ctype
    assert checked.size_bytes == len(content)
    assert "\\" not in checked.filename and "/" not in checked.filename


@pytest.mark.parametrize(("name", "content", "message"), [
    ("virus.exe", b"MZ...", "not accepted"),
    ("archive.zip", b"PK..", "not accepted"),
    ("noextension", b"abc", "not accepted"),
    ("empty.pdf", b"", "is empty"),
    ("fake.pdf", b"hello", "does not look like a PDF"),
    ("fake.png", JPG, "does not look like a PNG"),
    ("binary.csv", b"\xff\xfe\x00bad", "not a text file"),
    ("", b"abc", "no name"),
])
def test_refused_evidence(name, content, message) -> None:
    with pytest.raises(EvidenceError, match=message):
        check_evidence(name, content)


def test_evidence_size_limit() -> None:
    at_limit = b"a" * MAX_EVIDENCE_BYTES
    assert check_evidence("big.txt", at_limit).size_bytes == MAX_EVIDENCE_BYTES
    with pytest.raises(EvidenceError, match=r"10\.0 MB"):
        check_evidence("big.txt", at_limit + b"a")


LINES = [DisputedLine(1, "Platform fee", 10000), DisputedLine(2, "API calls", 2500),
         DisputedLine(3, "Prepaid credit", -500)]


def test_disputed_lines() -> None:
    assert validate_lines(LINES, {1: 10000, 2: 0}) == {1: 10000}
    assert validate_lines(LINES, {2: 1}) == {2: 1}


@pytest.mark.parametrize(("requested", "message"), [
    ({}, "at least one line"),
    ({1: 0}, "at least one line"),
    ({9: 100}, "not on this invoice"),
    ({1: 10001}, "more than the line"),
    ({1: -1}, "cannot be negative"),
    ({3: 100}, "credit line"),
    ({1: 1.5}, "whole number"),
    ({1: True}, "whole number"),
])
def test_refused_disputed_lines(requested, message) -> None:
    with pytest.raises(DisputeLineError, match=message):
        validate_lines(LINES, requested)


@pytest.mark.parametrize(("setting", "days"), [
    (None, 30), ({}, 30), ({"days": 7}, 7), ({"days": 0}, 0), ({"days": -1}, 30),
    ({"days": "7"}, 30), ({"days": 7.5}, 30), ({"days": True}, 30), ({"days": None}, 30),
])
def test_reopen_window_from_the_policy(setting, days) -> None:
    assert reopen_days_from(setting) == days


def test_reason_choices_follow_the_reasons() -> None:
    assert [value for value, _ in reason_choices()] == list(REASONS)
    assert dict(reason_choices())["duplicate_charge"] == "Duplicate charge"


def test_typed_amounts_become_minor_units() -> None:
    assert parse_amounts({1: "12.50", 2: " ", 3: "1,200"}, "USD") == {1: 1250, 3: 120000}
    assert parse_amounts({"4": "500"}, "JPY") == {4: 500}
    with pytest.raises(InvalidInput, match="not an amount in USD"):
        parse_amounts({1: "12.345"}, "USD")
    with pytest.raises(InvalidInput, match="not an amount in EUR"):
        parse_amounts({1: "ten"}, "EUR")
