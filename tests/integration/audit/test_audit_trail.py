"""The audit trail on a real database: chained, append-only, tamper evident, filterable."""

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from console.audit import AuditFilter, export_csv, record, search, verify
from console.kernel.actor import Actor
from models import AuditEvent
from models.db import read_session, unit_of_work

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def _write(engine, n: int) -> None:
    for i in range(n):
        with unit_of_work(engine) as s:
            record(s, actor=Actor(None, f"user{i}@corp.test"), action="invoice.approve",
                   object_type="invoice", object_id=100 + i, before={"status": "draft"},
                   after={"status": "approved"}, reason=f"ok {i}")


def test_chain_verifies_and_rolled_back_changes_leave_no_event(engine) -> None:
    _write(engine, 4)
    with pytest.raises(RuntimeError), unit_of_work(engine) as s:
        record(s, actor=Actor.system(), action="invoice.void", object_type="invoice",
               object_id=1)
        raise RuntimeError("the change failed")
    with read_session(engine) as s:
        assert verify(s) == (4, None)
        assert s.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one() == 4


def test_updates_and_deletes_are_refused_by_the_database(engine) -> None:
    _write(engine, 1)
    for stmt in ("UPDATE audit_event SET reason='x'", "DELETE FROM audit_event"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as c:
            c.execute(sa.text(stmt))


def _tamper(engine, db_url: str, event_id: int) -> None:
    """What an attacker with database admin rights could do: drop the guard, edit a row."""
    with engine.begin() as c:
        if db_url.startswith("sqlite"):
            c.execute(sa.text("DROP TRIGGER audit_event_no_update"))
        else:
            c.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        c.execute(sa.text("UPDATE audit_event SET after = :a WHERE id = :i"),
                  {"a": '{"status": "void"}', "i": event_id})
        if not db_url.startswith("sqlite"):
            c.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))


def test_tampering_is_named_by_verify_audit(engine, db_url) -> None:
    _write(engine, 5)
    ok = subprocess.run([sys.executable, "-m", "console", "verify-audit"], cwd=ROOT,
                        capture_output=True, text=True, env=_env(db_url))
    assert ok.returncode == 0 and "OK: 5 audit events" in ok.stdout
    _tamper(engine, db_url, 3)
    bad = subprocess.run([sys.executable, "-m", "console", "verify-audit"], cwd=ROOT,
                         capture_output=True, text=True, env=_env(db_url))
    assert bad.returncode == 1
    assert "BROKEN at audit event 3" in bad.stdout


def _env(db_url: str) -> dict[str, str]:
    import os

    return {**os.environ, "CONSOLE_DATABASE_URL": db_url}


def test_search_filters_pages_and_csv(engine) -> None:
    _write(engine, 7)
    with unit_of_work(engine) as s:
        record(s, actor=Actor(None, "admin@corp.test"), action="user.roles", object_type="user",
               object_id=9, before={"roles": ["viewer"]}, after={"roles": ["finance"]})
    with read_session(engine) as s:
        rows, total = search(s, AuditFilter(action="invoice."), page=0, page_size=5)
        assert total == 7 and len(rows) == 5 and rows[0].object_id == "106"
        rows, total = search(s, AuditFilter(actor="admin@"), page=0)
        assert total == 1 and rows[0].after == "roles=['finance']"
        csv_text = export_csv(s, AuditFilter(object_type="user"))
    lines = csv_text.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("id,occurred_at,actor")
    assert "user.roles" in lines[1]
