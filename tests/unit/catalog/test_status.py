"""Lifecycles of plan versions and change requests."""

import itertools

import pytest

from console.catalog.domain.status import (
    CHANGE_REQUEST_TRANSITIONS,
    VERSION_TRANSITIONS,
    ChangeRequestStatus,
    TransitionError,
    VersionStatus,
    can_transition_change_request,
    can_transition_version,
    change_request_label,
    check_change_request_transition,
    check_version_transition,
    is_editable,
    version_label,
)

V = VersionStatus
C = ChangeRequestStatus

VERSION_ALLOWED = {
    (V.DRAFT, V.PENDING_APPROVAL), (V.DRAFT, V.RETIRED),
    (V.PENDING_APPROVAL, V.DRAFT), (V.PENDING_APPROVAL, V.APPROVED),
    (V.APPROVED, V.DRAFT), (V.APPROVED, V.PUBLISHED),
    (V.PUBLISHED, V.RETIRED),
}
CR_ALLOWED = {
    (C.PENDING, C.APPROVED), (C.PENDING, C.REJECTED), (C.PENDING, C.CHANGES_REQUESTED),
    (C.PENDING, C.WITHDRAWN), (C.APPROVED, C.PUBLISHED), (C.APPROVED, C.WITHDRAWN),
}


def test_tables_cover_every_status():
    assert set(VERSION_TRANSITIONS) == set(V)
    assert set(CHANGE_REQUEST_TRANSITIONS) == set(C)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(V, V)))
def test_version_transitions(current, target):
    allowed = (current, target) in VERSION_ALLOWED
    assert can_transition_version(current, target) is allowed
    if allowed:
        assert check_version_transition(current, target) == target
    else:
        with pytest.raises(TransitionError):
            check_version_transition(current, target)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(C, C)))
def test_change_request_transitions(current, target):
    allowed = (current, target) in CR_ALLOWED
    assert can_transition_change_request(current, target) is allowed
    if not allowed:
        with pytest.raises(TransitionError):
            check_change_request_transition(current, target)


def test_published_is_immutable_and_messages_are_readable():
    assert is_editable("draft") and not is_editable("published")
    assert not is_editable("pending_approval")
    with pytest.raises(TransitionError, match="published cannot become draft"):
        check_version_transition("published", "draft")
    assert not can_transition_version("nonsense", "draft")
    assert version_label("pending_approval") == "Pending approval"
    assert change_request_label("changes_requested") == "Changes requested"
    assert version_label("odd") == "odd"
