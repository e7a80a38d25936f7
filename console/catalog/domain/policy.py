"""Who must approve a catalog change request (maker-checker), as pure rules.

Policy (``policy_setting`` key ``approval_thresholds``; see :meth:`ApprovalPolicy.from_setting`):

* The author of a change never approves it, and neither does anyone who edited the draft
  (maker-checker: whoever made a change never approves it).
* Only holders of the ``approve_catalog`` permission (monetization lead, finance) approve.
* Normally one approval is enough.
* Two approvals, one of them from finance, when either
  - the simulated revenue change is large: the *absolute* total change of each currency,
    converted into the reporting currency with ``fx_rate`` and summed, exceeds
    ``catalog_revenue_change_minor`` (reporting-currency minor units; default 1,000,000 =
    10,000.00). A currency without an exchange rate makes the change count as large (the
    service passes ``None``), so an unconvertible change never slips through with one approval;
  - any single price decreases by more than ``catalog_price_decrease_pct`` percent (default
    10), as measured by :func:`console.catalog.domain.diff.price_decrease_pct` (the charge model
    rated at a few usage levels, the minimum charge, a removed price = 100%).
* When finance is required and not yet among the approvers, the approval that would complete
  the count must come from finance (so two leads cannot approve a large change alone).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from console.kernel.roles import Permission, Role, can

DEFAULT_REVENUE_CHANGE_MINOR = 1_000_000
DEFAULT_PRICE_DECREASE_PCT = Decimal(10)
DEFAULT_REPORTING_CURRENCY = "USD"

#: policy_setting key holding the thresholds.
SETTING_KEY = "approval_thresholds"


@dataclass(frozen=True)
class ApprovalPolicy:
    """Thresholds above which a catalog change needs two approvals, one from finance.

    Attributes:
        revenue_change_minor: absolute simulated revenue change (reporting-currency minor
            units, summed over currencies) above which two approvals are needed.
        price_decrease_pct: a price decreasing by more than this percent needs two approvals.
        reporting_currency: the currency ``revenue_change_minor`` is expressed in.
    """

    revenue_change_minor: int = DEFAULT_REVENUE_CHANGE_MINOR
    price_decrease_pct: Decimal = DEFAULT_PRICE_DECREASE_PCT
    reporting_currency: str = DEFAULT_REPORTING_CURRENCY

    @classmethod
    def from_setting(cls, value: Mapping[str, Any] | None) -> ApprovalPolicy:
        """Read the policy from the ``approval_thresholds`` setting (missing keys: defaults).

        Keys: ``catalog_revenue_change_minor`` (int), ``catalog_price_decrease_pct``
        (decimal text or int), ``reporting_currency`` (ISO code).

        Raises:
            ValueError: if a present value is not usable.
        """
        value = value or {}
        threshold = value.get("catalog_revenue_change_minor", DEFAULT_REVENUE_CHANGE_MINOR)
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise ValueError("catalog_revenue_change_minor must be a non-negative integer")
        raw_pct = value.get("catalog_price_decrease_pct", DEFAULT_PRICE_DECREASE_PCT)
        if isinstance(raw_pct, float | bool):
            raise ValueError("catalog_price_decrease_pct must be decimal text or an integer")
        try:
            pct = Decimal(str(raw_pct))
        except InvalidOperation:
            raise ValueError("catalog_price_decrease_pct is not a number") from None
        if not pct.is_finite() or pct < 0:
            raise ValueError("catalog_price_decrease_pct must be a non-negative number")
        currency = str(value.get("reporting_currency", DEFAULT_REPORTING_CURRENCY))
        return cls(threshold, pct, currency)


@dataclass(frozen=True)
class ApprovalRequirement:
    """How many approvals a change request needs and whether one must come from finance."""

    required_approvals: int
    requires_finance: bool
    reasons: tuple[str, ...] = ()

    def describe(self) -> str:
        """``1 approval`` or ``2 approvals, one from finance``."""
        if self.requires_finance:
            return f"{self.required_approvals} approvals, one from finance"
        plural = "s" if self.required_approvals != 1 else ""
        return f"{self.required_approvals} approval{plural}"


@dataclass(frozen=True)
class Vote:
    """An approval already recorded: who and with which roles at the time."""

    approver_id: int
    roles: frozenset[str]

    @property
    def is_finance(self) -> bool:
        """Whether the approver held the finance role."""
        return Role.FINANCE.value in self.roles


def requirement_for(
    policy: ApprovalPolicy,
    *,
    revenue_change_minor: int | None,
    max_price_decrease_pct: Decimal,
) -> ApprovalRequirement:
    """Decide the approvals a change request needs.

    Args:
        policy: the thresholds.
        revenue_change_minor: absolute simulated revenue change in reporting-currency minor
            units (summed over currencies); ``None`` when it could not be converted.
        max_price_decrease_pct: the largest decrease of any single price, in percent.

    Returns:
        One approval normally; two incl. finance above a threshold, with the reasons.
    """
    reasons: list[str] = []
    if revenue_change_minor is None:
        reasons.append("the revenue change could not be converted to "
                       f"{policy.reporting_currency} (missing exchange rate)")
    elif abs(revenue_change_minor) > policy.revenue_change_minor:
        reasons.append("the simulated revenue change exceeds the approval threshold")
    if max_price_decrease_pct > policy.price_decrease_pct:
        reasons.append(
            f"a price decreases by more than {policy.price_decrease_pct.normalize():f}%"
        )
    if reasons:
        return ApprovalRequirement(2, True, tuple(reasons))
    return ApprovalRequirement(1, False, ())


def approval_refusal(
    requirement: ApprovalRequirement,
    *,
    author_id: int,
    approver_id: int | None,
    approver_roles: Iterable[str],
    approvals: Sequence[Vote],
    editor_ids: Iterable[int] = (),
) -> str:
    """Why ``approver_id`` may not approve now, or ``""`` when they may.

    Args:
        requirement: what the change request needs.
        author_id: who submitted it.
        approver_id: who wants to approve (``None`` for a system actor: never allowed).
        approver_roles: the approver's current roles.
        approvals: approvals recorded so far.
        editor_ids: everyone who created or edited the draft being approved.
    """
    roles = frozenset(str(r) for r in approver_roles)
    if approver_id is None:
        return "Catalog changes are approved by a person, not by the system."
    if approver_id == author_id:
        return "You submitted this change, so someone else must approve it."
    if approver_id in set(editor_ids):
        return "You edited this draft, so someone else must approve it."
    if not can(roles, Permission.APPROVE_CATALOG):
        return "Only a monetization lead or finance can approve catalog changes."
    if any(v.approver_id == approver_id for v in approvals):
        return "You have already approved this change."
    has_finance = any(v.is_finance for v in approvals)
    completes = len(approvals) + 1 >= requirement.required_approvals
    if (requirement.requires_finance and not has_finance and completes
            and Role.FINANCE.value not in roles):
        return "This change also needs an approval from finance."
    return ""


def review_refusal(*, author_id: int, reviewer_id: int | None,
                   reviewer_roles: Iterable[str]) -> str:
    """Why a reviewer may not reject or request changes, or ``""`` when they may."""
    roles = frozenset(str(r) for r in reviewer_roles)
    if reviewer_id is None:
        return "Catalog changes are reviewed by a person, not by the system."
    if reviewer_id == author_id:
        return "You submitted this change; withdraw it instead."
    if not can(roles, Permission.APPROVE_CATALOG):
        return "Only a monetization lead or finance can review catalog changes."
    return ""


def is_satisfied(requirement: ApprovalRequirement, approvals: Sequence[Vote]) -> bool:
    """Whether the recorded approvals meet the requirement."""
    if len({v.approver_id for v in approvals}) < requirement.required_approvals:
        return False
    return not requirement.requires_finance or any(v.is_finance for v in approvals)
