"""Lifecycles of plan versions, change requests and plan migrations (pure state machines)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class VersionStatus(StrEnum):
    """Where a plan version is: draft -> pending_approval -> approved -> published -> retired."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    PUBLISHED = "published"
    RETIRED = "retired"


class ChangeRequestStatus(StrEnum):
    """Where a change request is in review."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    WITHDRAWN = "withdrawn"
    PUBLISHED = "published"


class ChangeKind(StrEnum):
    """Why a change request exists."""

    PRICE_CHANGE = "price_change"
    ROLLBACK = "rollback"
    IMPORT = "import"


class MigrationStatus(StrEnum):
    """Where a scheduled plan migration is."""

    SCHEDULED = "scheduled"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELED = "canceled"


class MigrationTiming(StrEnum):
    """When a migration moves each subscription."""

    NEXT_RENEWAL = "next_renewal"
    DATE = "date"


_V = VersionStatus
_C = ChangeRequestStatus

#: Version status -> statuses it may move to. A retired version never comes back: a rollback
#: copies it into a new draft instead (a never-published draft may be discarded: -> retired).
VERSION_TRANSITIONS: Mapping[VersionStatus, frozenset[VersionStatus]] = {
    _V.DRAFT: frozenset({_V.PENDING_APPROVAL, _V.RETIRED}),
    _V.PENDING_APPROVAL: frozenset({_V.DRAFT, _V.APPROVED}),
    _V.APPROVED: frozenset({_V.DRAFT, _V.PUBLISHED}),
    _V.PUBLISHED: frozenset({_V.RETIRED}),
    _V.RETIRED: frozenset(),
}

#: Change-request status -> statuses it may move to (rejected, withdrawn, published are final).
CHANGE_REQUEST_TRANSITIONS: Mapping[ChangeRequestStatus, frozenset[ChangeRequestStatus]] = {
    _C.PENDING: frozenset({_C.APPROVED, _C.REJECTED, _C.CHANGES_REQUESTED, _C.WITHDRAWN}),
    _C.APPROVED: frozenset({_C.PUBLISHED, _C.WITHDRAWN}),
    _C.REJECTED: frozenset(),
    _C.CHANGES_REQUESTED: frozenset(),
    _C.WITHDRAWN: frozenset(),
    _C.PUBLISHED: frozenset(),
}

#: Statuses of a version that is still being worked on; a plan has at most one such version.
OPEN_VERSION_STATUSES: frozenset[VersionStatus] = frozenset(
    {_V.DRAFT, _V.PENDING_APPROVAL, _V.APPROVED}
)

#: Subscription statuses that count as current subscribers of a plan.
CURRENT_SUBSCRIPTION_STATUSES: tuple[str, ...] = ("active", "past_due")

VERSION_LABELS: Mapping[VersionStatus, str] = {
    _V.DRAFT: "Draft",
    _V.PENDING_APPROVAL: "Pending approval",
    _V.APPROVED: "Approved",
    _V.PUBLISHED: "Published",
    _V.RETIRED: "Retired",
}

CHANGE_REQUEST_LABELS: Mapping[ChangeRequestStatus, str] = {
    _C.PENDING: "Pending",
    _C.APPROVED: "Approved",
    _C.REJECTED: "Rejected",
    _C.CHANGES_REQUESTED: "Changes requested",
    _C.WITHDRAWN: "Withdrawn",
    _C.PUBLISHED: "Published",
}


class TransitionError(ValueError):
    """A status change the lifecycle does not allow; the message is readable by a user."""

    def __init__(self, what: str, current: str, target: str) -> None:
        super().__init__(
            f"A {what} that is {str(current).replace('_', ' ')} cannot become "
            f"{str(target).replace('_', ' ')}."
        )
        self.current = current
        self.target = target


def can_transition_version(current: str, target: str) -> bool:
    """Whether a plan version may move from ``current`` to ``target``."""
    try:
        return VersionStatus(target) in VERSION_TRANSITIONS[VersionStatus(current)]
    except ValueError:
        return False


def check_version_transition(current: str, target: str) -> VersionStatus:
    """Return ``target`` as a status, or raise :class:`TransitionError`."""
    if not can_transition_version(current, target):
        raise TransitionError("plan version", current, target)
    return VersionStatus(target)


def can_transition_change_request(current: str, target: str) -> bool:
    """Whether a change request may move from ``current`` to ``target``."""
    try:
        return ChangeRequestStatus(target) in CHANGE_REQUEST_TRANSITIONS[
            ChangeRequestStatus(current)
        ]
    except ValueError:
        return False


def check_change_request_transition(current: str, target: str) -> ChangeRequestStatus:
    """Return ``target`` as a status, or raise :class:`TransitionError`."""
    if not can_transition_change_request(current, target):
        raise TransitionError("change request", current, target)
    return ChangeRequestStatus(target)


def is_editable(status: str) -> bool:
    """Whether a version with ``status`` may be edited (drafts only; published are immutable)."""
    return status == VersionStatus.DRAFT


def version_label(status: str) -> str:
    """Display label of a version status ("Pending approval"); unknown text is shown as is."""
    try:
        return VERSION_LABELS[VersionStatus(status)]
    except ValueError:
        return status


def change_request_label(status: str) -> str:
    """Display label of a change-request status."""
    try:
        return CHANGE_REQUEST_LABELS[ChangeRequestStatus(status)]
    except ValueError:
        return status
