"""The preview of a rollout's next stage: who it would move, when, and what it does to MRR
(read-only; confirming the stage is a use-case that stores this preview).

Membership of a stage of ``p`` % is
:func:`~console.experiments.domain.assignment.in_rollout_stage` over the rollout key and the
customer id (monotone: everyone in 10 % is in 50 %). Candidates are the subscriptions on the
source version that are trialing, active or past due and not yet members; grandfathered
subscriptions only when ``rollout.include_grandfathered`` is set. Lines and timing come from
the catalog's migration preview.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from console.catalog import (
    MOVABLE_STATUSES,
    MigrationLine,
    MigrationTiming,
    MigrationTotal,
    get_version,
    preview_migration,
)
from console.experiments.domain.assignment import in_rollout_stage
from console.experiments.domain.inputs import parse_date
from console.experiments.domain.lifecycle import next_stage
from console.experiments.queries.loaders import (
    get_rollout,
    require_published,
    stages_of,
    today,
)
from console.kernel.actor import actor_for
from console.kernel.errors import Conflict, InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import format_minor, format_signed_minor
from models import Rollout, RolloutMember, Subscription
from models.db import read_session

#: How many preview lines a stage keeps in its stored preview.
STORED_LINES = 200
#: Subscriptions previewed per query (keeps IN lists far below SQLite's variable limit).
CHUNK = 5000
#: Preview lines the page shows.
LINES_SHOWN = 500


@dataclass(frozen=True)
class StagePreview:
    """Who the next stage moves, when, and what it does to MRR."""

    rollout_id: int
    position: int
    percent: int
    timing: str
    effective_date: date | None
    lines: tuple[MigrationLine, ...]
    totals: tuple[MigrationTotal, ...]
    grandfathered_excluded: int
    already_members: int

    @property
    def count(self) -> int:
        """How many subscriptions the stage adds."""
        return len(self.lines)

    def to_json(self) -> dict[str, Any]:
        """The summary stored on ``rollout_stage.preview``."""
        return {
            "subscriptions": self.count,
            "mrr_delta_minor": {t.currency: t.change_minor for t in self.totals},
            "totals": [{"currency": t.currency, "subscriptions": t.subscriptions,
                        "mrr_before": t.mrr_before, "mrr_after": t.mrr_after,
                        "change": t.change} for t in self.totals],
            "grandfathered_excluded": self.grandfathered_excluded,
            "timing": self.timing,
            "effective_date": self.effective_date.isoformat() if self.effective_date else None,
            "lines": [{"subscription_id": ln.subscription_id, "customer_code": ln.customer_code,
                       "move_on": ln.move_on_text, "change": ln.change}
                      for ln in self.lines[:STORED_LINES]],
        }


def _candidates(session: Session, rollout: Rollout, percent: int) -> tuple[list[int], int, int]:
    # Subscription ids the stage adds, grandfathered ones left out, and members already in.
    members = sa.select(RolloutMember.subscription_id).where(
        RolloutMember.rollout_id == rollout.id)
    rows = session.execute(
        sa.select(Subscription.id, Subscription.customer_id, Subscription.grandfathered)
        .where(Subscription.plan_version_id == rollout.from_version_id,
               Subscription.status.in_(MOVABLE_STATUSES), Subscription.id.not_in(members))
        .order_by(Subscription.id)).all()
    inside = [r for r in rows if in_rollout_stage(rollout.key, str(r.customer_id), percent)]
    chosen = [r.id for r in inside if rollout.include_grandfathered or not r.grandfathered]
    already = session.execute(sa.select(sa.func.count()).select_from(
        members.subquery())).scalar_one()
    return chosen, len(inside) - len(chosen), int(already)


def _totals(lines: Sequence[MigrationLine]) -> tuple[MigrationTotal, ...]:
    frame = pl.DataFrame([(ln.currency, ln.mrr_before_minor, ln.mrr_after_minor) for ln in lines],
                         orient="row", schema={"currency": pl.String, "before": pl.Int64,
                                               "after": pl.Int64})
    out = []
    for cur, n, before, after in frame.group_by("currency").agg(
            n=pl.len(), before=pl.col("before").sum(), after=pl.col("after").sum()
    ).sort("currency").iter_rows():
        change = after - before
        out.append(MigrationTotal(cur, n, before, after, change, format_minor(before, cur),
                                  format_minor(after, cur), format_signed_minor(change, cur)))
    return tuple(out)


def preview_stage(session: Session, *, rollout_id: int, effective_date: date | None = None,
                  on: date | None = None) -> StagePreview:
    """Return who the next pending stage would move, when, and the MRR before/after (read-only).

    Args:
        session: an open session.
        rollout_id: the rollout.
        effective_date: the move date for timing ``date`` (default ``on``).
        on: today (default: today in UTC).

    Raises:
        Conflict: every stage is confirmed, or the target is no longer published.
        InvalidInput: a date in the past.
    """
    on = on or today()
    rollout = get_rollout(session, rollout_id)
    stage = next_stage(stages_of(session, rollout.id))
    if stage is None:
        raise Conflict("Every stage of this rollout is confirmed.")
    timing = MigrationTiming(rollout.timing)
    effective = (effective_date or on) if timing == MigrationTiming.DATE else None
    if effective is not None and effective < on:
        raise InvalidInput("The move date cannot be in the past.")
    sub_ids, excluded, already = _candidates(session, rollout, stage.percent)
    wanted = set(sub_ids)
    found: list[MigrationLine] = []
    for start in range(0, len(sub_ids), CHUNK):  # bounded IN lists (SQLite's variable limit)
        chunk = sub_ids[start:start + CHUNK]
        customers = session.execute(sa.select(Subscription.customer_id).where(
            Subscription.id.in_(chunk))).scalars().all()
        preview = preview_migration(session, from_version_id=rollout.from_version_id,
                                    to_version_id=rollout.to_version_id,
                                    customer_filter={"customer_ids": sorted(set(customers))},
                                    timing=timing.value, effective_date=effective, today=on)
        found += [ln for ln in preview.lines if ln.subscription_id in wanted]
    if not sub_ids:
        require_published(get_version(session, rollout.to_version_id), "target")
    unique = {ln.subscription_id: ln for ln in found}
    lines = tuple(sorted(unique.values(), key=lambda ln: (ln.customer_code, ln.subscription_id)))
    return StagePreview(rollout.id, stage.position, stage.percent, timing.value, effective,
                        lines, _totals(lines), excluded, already)


# --- page-facing


@dataclass(frozen=True)
class PreviewLine:
    """One subscription a stage would move (preformatted)."""

    customer_id: int
    customer_code: str
    customer_name: str
    move_on: str
    mrr_before: str
    mrr_after: str
    change: str


@dataclass(frozen=True)
class PreviewTotal:
    """The MRR change of a stage in one currency."""

    currency: str
    subscriptions: int
    mrr_before: str
    mrr_after: str
    change: str


@dataclass(frozen=True)
class PreviewView:
    """The next stage's preview as the page shows it."""

    position: int
    percent: int
    count: int
    effective: str
    lines: list[PreviewLine]
    totals: list[PreviewTotal]
    note: str


def preview(user_id: int, rollout_id: int, effective_date: str = "") -> PreviewView:
    """Return who the next stage would move and the MRR change, for the page.

    Raises:
        NotAllowed: without RUN_EXPERIMENTS.
        Conflict: every stage is confirmed, or the target is no longer published.
        InvalidInput: a bad or past move date.
    """
    day = parse_date(effective_date, what="move date")
    with read_session() as s:
        require(s, actor_for(s, user_id), Permission.RUN_EXPERIMENTS)
        p = preview_stage(s, rollout_id=rollout_id, effective_date=day)
    note = []
    if p.grandfathered_excluded:
        note.append(f"{p.grandfathered_excluded} grandfathered subscription(s) in this stage "
                    "stay where they are (the rollout does not include grandfathered ones).")
    if p.already_members:
        note.append(f"{p.already_members} subscription(s) joined in earlier stages.")
    return PreviewView(
        p.position, p.percent, p.count,
        p.effective_date.isoformat() if p.effective_date else "each customer's next renewal",
        [PreviewLine(ln.customer_id, ln.customer_code, ln.customer_name, ln.move_on_text,
                     ln.mrr_before, ln.mrr_after, ln.change) for ln in p.lines[:LINES_SHOWN]],
        [PreviewTotal(t.currency, t.subscriptions, t.mrr_before, t.mrr_after, t.change)
         for t in p.totals],
        " ".join(note))
