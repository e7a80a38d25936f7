"""The tick for real: embedded in a process (as the web app runs it), ``python -m console
worker`` in the foreground stopping cleanly on SIGTERM, and ``jobs run-due --now`` on a
small demo company (twice changes nothing; the audit chain holds)."""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from console import jobs
from console.audit import verify_stored_chain
from console.cli import main
from console.demo import seed_demo
from console.identity import ensure_demo_users
from console.kernel.settings import settings
from models import AuditEvent, JobRun
from models.db import read_session, unit_of_work

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
NAMES = {j.name for j in jobs.JOBS}


def _job_names(engine) -> set[str]:
    with read_session(engine) as s:
        return set(s.execute(sa.select(JobRun.job).where(JobRun.status != "running"))
                   .scalars())


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_the_embedded_tick_runs_due_jobs_and_stops(engine, monkeypatch) -> None:
    monkeypatch.setenv("CONSOLE_SCHEDULER_TICK_SECONDS", "1")
    settings.cache_clear()
    try:
        scheduler = jobs.start_embedded(first_in=0.1)
        assert scheduler is not None
        try:
            assert _wait_for(lambda: _job_names(engine) == NAMES, 30), _job_names(engine)
        finally:
            jobs.stop_embedded(scheduler)
        assert not scheduler.running
        monkeypatch.setenv("CONSOLE_SCHEDULER", "off")
        settings.cache_clear()
        assert jobs.start_embedded() is None
    finally:
        settings.cache_clear()


def test_the_worker_ticks_in_the_foreground_and_stops_on_sigterm(engine, db_url) -> None:
    env = {**os.environ, "CONSOLE_DATABASE_URL": db_url, "CONSOLE_SCHEDULER_TICK_SECONDS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "console", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert _wait_for(lambda: _job_names(engine) == NAMES, 60), _job_names(engine)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "SIGTERM received" in out and "stopped" in out


def _audit_count(engine) -> int:
    with read_session(engine) as s:
        return s.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()


def test_run_due_on_a_demo_company_twice_changes_nothing_the_second_time(engine, capsys
                                                                         ) -> None:
    with unit_of_work(engine) as s:
        actors = ensure_demo_users(s)
    seed_demo(engine, customers=40, months=3, seed=5, as_of=date(2026, 11, 20), actors=actors)
    assert main(["jobs", "run-due", "--now", "2027-01-20"]) == 0
    first = capsys.readouterr().out
    for name in NAMES:
        assert f"{name:<18} succeeded" in first, first
    assert "dunning at 2027-01-20 23:59 UTC" in first
    audits = _audit_count(engine)
    assert main(["jobs", "run-due", "--now", "2027-01-20"]) == 0
    second = capsys.readouterr().out
    assert second.count("already ran") == len(NAMES), second
    assert _audit_count(engine) == audits
    assert verify_stored_chain().startswith("OK")
    assert main(["jobs", "list"]) == 0
    listing = capsys.readouterr().out
    assert "every day at 02:00 UTC" in listing and "next: " in listing


def test_run_due_refuses_a_clock_it_cannot_read(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["jobs", "run-due", "--now", "next tuesday"])
    assert "is not a day like 2027-01-20" in capsys.readouterr().err
