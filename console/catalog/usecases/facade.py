"""The catalog API the pages call: each function opens its own transaction (or read session),
checks the user's roles on the server and returns small frozen dataclasses of preformatted
strings, never ORM objects.

The use-cases themselves take an open ``Session`` and an ``Actor`` and live in:

* :mod:`console.catalog.usecases.drafts`: drafts, rate-card rows, entitlements, preview;
* :mod:`console.catalog.usecases.review`: submit, approve, reject, request changes, withdraw,
  publish, rollback;
* :mod:`console.catalog.queries.simulation`: the revenue-impact simulation;
* :mod:`console.catalog.usecases.migration`: scheduled migrations;
* :mod:`console.catalog.usecases.io`: JSON export/import;
* :mod:`console.catalog.queries.views`: the read side;
* :mod:`bench.catalog`: the simulation benchmark.

Errors are :mod:`console.kernel.errors` exceptions whose message can be shown as is
(``FieldError`` also carries the invalid ``field`` path).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from console.catalog.domain.status import MigrationTiming, change_request_label
from console.catalog.queries import views as catalog_views
from console.catalog.queries.simulation import simulate
from console.catalog.queries.views import (
    CatalogReference,
    ChangeRequestDetail,
    ChangeRequestRow,
    DiffRow,
    EntitlementDiffRow,
    MigrationRow,
    PlanDetail,
    PlanRow,
    SimulationView,
    VersionDetail,
    diff_rows,
    simulation_view,
)
from console.catalog.usecases import drafts as catalog_drafts
from console.catalog.usecases import io as catalog_io
from console.catalog.usecases import migration as catalog_migration
from console.catalog.usecases import review as catalog_review
from console.catalog.usecases.drafts import PriceInput, SamplePrice
from console.catalog.usecases.migration import MigrationPreview, MigrationRun
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import InvalidInput
from models.db import read_session, unit_of_work

__all__ = [
    "CatalogReference", "ChangeRequestDetail", "ChangeRequestRow", "ImportPreviewView",
    "MigrationPreview", "MigrationRow", "MigrationRun", "PlanDetail", "PlanRow", "PriceInput",
    "SamplePrice", "SimulationView", "VersionDetail", "add_price_row", "approve_change",
    "ask_for_changes", "cancel_scheduled_migration", "catalog_reference", "change_request",
    "change_requests", "delete_entitlement", "delete_price", "discard", "export_json",
    "import_json", "import_preview", "migration_preview", "migrations", "plan", "plans",
    "price_preview", "price_problem", "publish_change", "reject_change", "rollback",
    "run_migrations", "run_simulation", "save_entitlement", "save_notes", "save_price",
    "schedule", "start_draft", "start_empty_draft", "submit", "version", "withdraw_change",
]


# --- reads ------------------------------------------------------------------------------------

def catalog_reference() -> CatalogReference:
    """Products, meters, features and the editor's choices."""
    with read_session() as s:
        return catalog_views.catalog_reference(s)


def plans() -> list[PlanRow]:
    """Every plan with its published and open version."""
    with read_session() as s:
        return catalog_views.plan_rows(s)


def plan(plan_id: int, *, user_id: int | None = None) -> PlanDetail:
    """A plan with its version history and what ``user_id`` may do."""
    with read_session() as s:
        return catalog_views.plan_detail(s, plan_id, user_id)


def version(version_id: int, *, user_id: int | None = None) -> VersionDetail:
    """A version's rate card, entitlements and change requests."""
    with read_session() as s:
        return catalog_views.version_detail(s, version_id, user_id)


def change_requests(*, status: str = "", plan_id: int | None = None) -> list[ChangeRequestRow]:
    """Change requests, newest first (``status="pending"`` for the review queue)."""
    with read_session() as s:
        return catalog_views.change_request_rows(s, status=status, plan_id=plan_id)


def change_request(change_request_id: int, *, user_id: int | None = None
                   ) -> ChangeRequestDetail:
    """A change request with diff, simulation, approvals and the viewer's options."""
    with read_session() as s:
        return catalog_views.change_request_detail(s, change_request_id, user_id)


def migrations(plan_id: int) -> list[MigrationRow]:
    """Migrations of a plan, newest first."""
    with read_session() as s:
        return catalog_views.migration_rows(s, plan_id)


# --- editor helpers (no database) ---------------------------------------------------------------

def price_preview(model: str, properties: Mapping[str, Any] | str, currency: str,
                  levels: Sequence[Decimal | int | str] = catalog_drafts.DEFAULT_PREVIEW_LEVELS
                  ) -> list[SamplePrice]:
    """What a sample customer would pay at a few usage levels.

    Raises:
        FieldError: for invalid properties, currency or levels.
    """
    return catalog_drafts.preview_price(model, properties, currency, levels)


def price_problem(model: str, properties: Mapping[str, Any] | str) -> str:
    """Validate-as-you-type: ``"field: message"`` or ``""``."""
    return catalog_drafts.price_problem(model, properties)


# --- drafts -------------------------------------------------------------------------------------

def _actor(session, user_id: int) -> Actor:
    return actor_for(session, user_id)


def start_draft(*, user_id: int, version_id: int) -> int:
    """Start a draft from a published version; returns the draft's id."""
    with unit_of_work() as s:
        return catalog_drafts.create_draft_from(s, version_id=version_id,
                                                actor=_actor(s, user_id)).id


def start_empty_draft(*, user_id: int, plan_id: int) -> int:
    """Start the first (empty) draft of a plan that was never published; returns its id."""
    with unit_of_work() as s:
        return catalog_drafts.create_first_draft(s, plan_id=plan_id, actor=_actor(s, user_id)).id


def add_price_row(*, user_id: int, version_id: int, price: PriceInput,
                  expected_version: int | None = None) -> int:
    """Add a row to a draft; returns its id."""
    with unit_of_work() as s:
        return catalog_drafts.add_price(s, version_id=version_id, price=price,
                                        actor=_actor(s, user_id),
                                        expected_version=expected_version).id


def save_price(*, user_id: int, price_id: int, price: PriceInput,
               expected_version: int | None = None) -> None:
    """Replace a draft row with the editor's values."""
    with unit_of_work() as s:
        catalog_drafts.update_price(s, price_id=price_id, price=price, actor=_actor(s, user_id),
                                    expected_version=expected_version)


def delete_price(*, user_id: int, price_id: int, expected_version: int | None = None) -> None:
    """Remove a draft row."""
    with unit_of_work() as s:
        catalog_drafts.remove_price(s, price_id=price_id, actor=_actor(s, user_id),
                                    expected_version=expected_version)


def _limit(text: str | int | None) -> int | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        return int(str(text).strip().replace(",", ""))
    except ValueError:
        raise InvalidInput("limit_value: enter a whole number or leave it empty.") from None


def save_entitlement(*, user_id: int, version_id: int, feature_id: int, enabled: bool,
                     limit: str | int | None = None,
                     expected_version: int | None = None) -> None:
    """Grant or change a feature on a draft (``limit`` as typed, "" for none)."""
    value = _limit(limit)
    with unit_of_work() as s:
        catalog_drafts.set_entitlement(s, version_id=version_id, feature_id=feature_id,
                                       enabled=enabled, limit_value=value,
                                       actor=_actor(s, user_id),
                                       expected_version=expected_version)


def delete_entitlement(*, user_id: int, version_id: int, feature_id: int,
                       expected_version: int | None = None) -> None:
    """Stop granting a feature on a draft."""
    with unit_of_work() as s:
        catalog_drafts.remove_entitlement(s, version_id=version_id, feature_id=feature_id,
                                          actor=_actor(s, user_id),
                                          expected_version=expected_version)


def save_notes(*, user_id: int, version_id: int, notes: str,
               expected_version: int | None = None) -> None:
    """Change a draft's notes."""
    with unit_of_work() as s:
        catalog_drafts.set_notes(s, version_id=version_id, notes=notes,
                                 actor=_actor(s, user_id), expected_version=expected_version)


def discard(*, user_id: int, version_id: int, reason: str = "") -> None:
    """Abandon a draft."""
    with unit_of_work() as s:
        catalog_drafts.discard_draft(s, version_id=version_id, actor=_actor(s, user_id),
                                     reason=reason)


# --- review -------------------------------------------------------------------------------------

def submit(*, user_id: int, version_id: int, reason: str, months: int = 3,
           progress: Callable[[int], None] | None = None) -> int:
    """Submit a draft for approval (runs the simulation: call it off the event loop).

    Returns:
        The change request id.
    """
    with unit_of_work() as s:
        return catalog_review.submit_change_request(
            s, version_id=version_id, reason=reason, actor=_actor(s, user_id), months=months,
            progress=progress).id


def approve_change(*, user_id: int, change_request_id: int, comment: str = "") -> str:
    """Approve; returns the change request's status label afterwards."""
    with unit_of_work() as s:
        cr = catalog_review.approve(s, change_request_id=change_request_id,
                                    actor=_actor(s, user_id), comment=comment)
        return change_request_label(cr.status)


def reject_change(*, user_id: int, change_request_id: int, comment: str) -> None:
    """Reject (comment required); the version returns to draft."""
    with unit_of_work() as s:
        catalog_review.reject(s, change_request_id=change_request_id, actor=_actor(s, user_id),
                              comment=comment)


def ask_for_changes(*, user_id: int, change_request_id: int, comment: str) -> None:
    """Send back to the author with a comment; the version returns to draft."""
    with unit_of_work() as s:
        catalog_review.request_changes(s, change_request_id=change_request_id,
                                       actor=_actor(s, user_id), comment=comment)


def withdraw_change(*, user_id: int, change_request_id: int, comment: str = "") -> None:
    """The author withdraws a pending or approved change request."""
    with unit_of_work() as s:
        catalog_review.withdraw(s, change_request_id=change_request_id,
                                actor=_actor(s, user_id), comment=comment)


def _date(value: date | str, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field}: enter a date as YYYY-MM-DD.") from None


def publish_change(*, user_id: int, change_request_id: int, effective_from: date | str) -> None:
    """Publish an approved change request from ``effective_from`` (a date or YYYY-MM-DD)."""
    day = _date(effective_from, "effective_from")
    with unit_of_work() as s:
        catalog_review.publish(s, change_request_id=change_request_id, effective_from=day,
                               actor=_actor(s, user_id))


def rollback(*, user_id: int, plan_id: int, reason: str, months: int = 3) -> int:
    """Propose rolling back to the previous published version; returns the change request id."""
    with unit_of_work() as s:
        return catalog_review.request_rollback(s, plan_id=plan_id, reason=reason,
                                               actor=_actor(s, user_id), months=months).id


def run_simulation(*, version_id: int, months: int,
                   progress: Callable[[int], None] | None = None) -> SimulationView:
    """Simulate a version against the published one (read-only; run it in a background task)."""
    try:
        result = simulate(version_id=version_id, months=months, progress=progress)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    view = simulation_view(result.to_json())
    assert view is not None
    return view


# --- migrations ---------------------------------------------------------------------------------

def migration_preview(*, from_version_id: int, to_version_id: int,
                      customer_filter: Mapping[str, Any] | None = None,
                      timing: str = MigrationTiming.NEXT_RENEWAL,
                      effective_date: date | str | None = None) -> MigrationPreview:
    """Who would move and the MRR change per subscription and currency."""
    day = _date(effective_date, "effective_date") if effective_date else None
    with read_session() as s:
        return catalog_migration.preview_migration(
            s, from_version_id=from_version_id, to_version_id=to_version_id,
            customer_filter=customer_filter, timing=timing, effective_date=day)


def schedule(*, user_id: int, from_version_id: int, to_version_id: int,
             customer_filter: Mapping[str, Any] | None = None,
             timing: str = MigrationTiming.NEXT_RENEWAL,
             effective_date: date | str | None = None) -> int:
    """Schedule a migration; returns its id."""
    day = _date(effective_date, "effective_date") if effective_date else None
    with unit_of_work() as s:
        return catalog_migration.schedule_migration(
            s, from_version_id=from_version_id, to_version_id=to_version_id,
            actor=_actor(s, user_id), customer_filter=customer_filter, timing=timing,
            effective_date=day).id


def cancel_scheduled_migration(*, user_id: int, migration_id: int, reason: str = "") -> None:
    """Cancel a scheduled migration."""
    with unit_of_work() as s:
        catalog_migration.cancel_migration(s, migration_id=migration_id,
                                           actor=_actor(s, user_id), reason=reason)


def run_migrations(*, today: date | None = None, user_id: int | None = None) -> MigrationRun:
    """Apply due migrations (CLI/scheduler: no user; or a user with edit permission)."""
    day = today or datetime.now(UTC).date()
    with unit_of_work() as s:
        who = _actor(s, user_id) if user_id is not None else Actor.system("system:migrations")
        return catalog_migration.run_due_migrations(s, today=day, actor=who)


# --- import / export ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportPreviewView:
    """What an import document would change (shown before the change request is opened)."""

    plan_code: str
    summary: str
    prices: list[DiffRow]
    entitlements: list[EntitlementDiffRow]
    charges: int


def export_json(version_id: int) -> str:
    """A version as Lago-compatible JSON text (for a download)."""
    with read_session() as s:
        return catalog_io.export_version_json(s, version_id=version_id)


def import_preview(text: str) -> ImportPreviewView:
    """Validate an uploaded document and show its diff against the published version."""
    with read_session() as s:
        preview = catalog_io.preview_import(s, document=text)
    prices, ents = diff_rows(preview.diff.to_json())
    return ImportPreviewView(preview.plan_code, preview.diff.summary(), prices, ents,
                             len(preview.document.prices))


def import_json(*, user_id: int, text: str, reason: str, months: int = 3) -> int:
    """Open an ``import`` change request from a document; returns its id (never publishes)."""
    with unit_of_work() as s:
        return catalog_io.import_version(s, document=text, reason=reason,
                                         actor=_actor(s, user_id), months=months).id
