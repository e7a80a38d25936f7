"""The audit log: filters, server-side pages, CSV export and a chain check."""

from datetime import UTC, datetime

import reflex as rx

import console.audit as svc
from console.audit import AuditFilter, AuditRow
from console.kernel.roles import Permission
from pages.session import SessionState, requires


def _day(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


class AuditState(SessionState):
    """Filters and one page of audit events."""

    action: str = ""
    object_type: str = ""
    object_id: str = ""
    actor: str = ""
    since: str = ""
    until: str = ""
    page: int = 0
    pages: int = 1
    total: int = 0
    rows: list[AuditRow] = []
    verdict: str = ""
    error: str = ""

    def _filter(self) -> AuditFilter:
        return AuditFilter(self.action.strip(), self.object_type.strip(), self.object_id.strip(),
                           self.actor.strip(), _day(self.since), _day(self.until))

    def _fetch(self) -> None:
        rows, total = svc.audit_page(self._filter(), self.page)
        self.rows, self.total = rows, total
        self.pages = max(1, -(-total // 50))

    @requires(Permission.VIEW_AUDIT, quiet=True)
    def load(self):
        """First page, newest first."""
        self.page = 0
        self._fetch()

    @requires(Permission.VIEW_AUDIT)
    def apply_filters(self, form_data: dict):
        """Apply the filter form (dates as YYYY-MM-DD)."""
        values = {k: str(form_data.get(k, "")).strip()[:100] for k in
                  ("action", "object_type", "object_id", "actor", "since", "until")}
        bad = [k for k in ("since", "until") if values[k] and _day(values[k]) is None]
        if bad:
            self.error = f"Dates must look like 2026-01-31 ({', '.join(bad)})."
            return
        self.error = ""
        for k, v in values.items():
            setattr(self, k, v)
        self.page = 0
        self._fetch()

    @requires(Permission.VIEW_AUDIT)
    def next_page(self):
        """Older events."""
        if self.page + 1 < self.pages:
            self.page += 1
            self._fetch()

    @requires(Permission.VIEW_AUDIT)
    def prev_page(self):
        """Newer events."""
        if self.page > 0:
            self.page -= 1
            self._fetch()

    @requires(Permission.VIEW_AUDIT)
    def export(self):
        """Download the filtered log as CSV (with hashes)."""
        return rx.download(data=svc.audit_csv(self._filter()), filename="audit-log.csv",
                           mime_type="text/csv")

    @requires(Permission.VIEW_AUDIT)
    def verify(self):
        """Re-check the whole hash chain."""
        self.verdict = svc.verify_stored_chain()
