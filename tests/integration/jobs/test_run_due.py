"""Running due jobs on SQLite and PostgreSQL: each slot once, failures recorded without
stopping the others, missed slots coalesced, crashed claims taken over after their lease,
racing workers, manual runs and schedule changes."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from console import jobs
from console.jobs import JobSpec
from console.kernel.actor import Actor
from console.kernel.errors import Conflict, FieldError, NotAllowed
from models import AuditEvent, JobRun, JobSchedule
from models.db import read_session, unit_of_work
from models.types import utcnow
from tests.integration.jobs.fixtures import people

pytestmark = pytest.mark.integration
D1 = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


class Calls:
    """Records the clock each job was run with (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, list[datetime]] = {}

    def job(self, name: str, *, fail: bool = False, sleep: float = 0.0):
        def run(now: datetime) -> str:
            with self.lock:
                self.seen.setdefault(name, []).append(now)
            if sleep:
                time.sleep(sleep)
            if fail:
                raise RuntimeError("the payment provider answered 503")
            return f"{name} did its work"
        return run


def _runs(engine, job: str | None = None) -> list[JobRun]:
    with read_session(engine) as s:
        stmt = sa.select(JobRun).order_by(JobRun.id)
        if job:
            stmt = stmt.where(JobRun.job == job)
        return list(s.execute(stmt).scalars())


def test_each_due_slot_runs_once(engine) -> None:
    calls = Calls()
    specs = (JobSpec("daily", "Daily", "0 2 * * *", calls.job("daily")),
             JobSpec("minutely", "Every minute", "* * * * *", calls.job("minutely")))
    first = jobs.run_due(D1, jobs=specs)
    assert [(r.job, r.outcome, r.slot) for r in first] == [
        ("daily", "succeeded", datetime(2027, 1, 10, 2, 0, tzinfo=UTC)),
        ("minutely", "succeeded", datetime(2027, 1, 10, 12, 0, tzinfo=UTC))]
    assert first[0].summary == "daily did its work"
    again = jobs.run_due(D1 + timedelta(seconds=30), jobs=specs)
    assert [r.outcome for r in again] == ["already ran", "already ran"]
    assert calls.seen == {"daily": [D1], "minutely": [D1]}
    later = jobs.run_due(D1 + timedelta(minutes=1), jobs=specs)
    assert [r.outcome for r in later] == ["already ran", "succeeded"]
    rows = _runs(engine)
    assert [(r.job, r.status, r.trigger) for r in rows] == [
        ("daily", "succeeded", "schedule"), ("minutely", "succeeded", "schedule"),
        ("minutely", "succeeded", "schedule")]
    assert all(r.finished_at and r.duration_ms is not None and r.worker for r in rows)


def test_a_failing_job_records_its_error_and_the_others_still_run(engine) -> None:
    calls = Calls()
    specs = (JobSpec("first", "First", "0 * * * *", calls.job("first")),
             JobSpec("broken", "Broken", "0 * * * *", calls.job("broken", fail=True)),
             JobSpec("last", "Last", "0 * * * *", calls.job("last")))
    results = jobs.run_due(D1, jobs=specs)
    assert [r.outcome for r in results] == ["succeeded", "failed", "succeeded"]
    assert results[1].error == "RuntimeError: the payment provider answered 503"
    [broken] = _runs(engine, "broken")
    assert broken.status == "failed" and broken.error == results[1].error
    with read_session(engine) as s:
        rows = {r.name: r for r in jobs.job_rows(s, now=D1, jobs=specs)}
    assert rows["broken"].last_outcome == "Failed" and rows["broken"].last_tone == "red"
    assert rows["broken"].last_detail == "RuntimeError: the payment provider answered 503"
    assert rows["first"].last_outcome == "Succeeded"
    assert rows["first"].next_run == "2027-01-10 13:00 UTC"
    # A failed slot is not retried by the next pass; the next slot runs.
    assert [r.outcome for r in jobs.run_due(D1 + timedelta(minutes=5), jobs=specs)] == [
        "already ran"] * 3
    assert jobs.run_due(D1 + timedelta(hours=1), jobs=specs)[1].outcome == "failed"


def test_missed_slots_coalesce_into_one_catch_up_run(engine) -> None:
    calls = Calls()
    specs = (JobSpec("daily", "Daily", "0 2 * * *", calls.job("daily")),)
    jobs.run_due(D1, jobs=specs)
    five_days_later = D1 + timedelta(days=5)
    [result] = jobs.run_due(five_days_later, jobs=specs)
    assert result.outcome == "succeeded"
    assert result.slot == datetime(2027, 1, 15, 2, 0, tzinfo=UTC)
    assert calls.seen["daily"] == [D1, five_days_later]
    assert len(_runs(engine)) == 2
    # Time never runs backwards: an earlier clock finds the later run.
    assert jobs.run_due(D1 + timedelta(days=2), jobs=specs)[0].outcome == "already ran"


def test_a_manual_run_covers_the_slots_before_it(engine) -> None:
    calls = Calls()
    specs = (JobSpec("daily", "Daily", "0 2 * * *", calls.job("daily")),)
    manual = jobs.run_job("daily", actor=Actor.system("system:cli"), jobs=specs)
    assert manual.outcome == "succeeded"
    [row] = _runs(engine)
    assert row.trigger == "manual" and row.requested_by is None
    assert jobs.run_due(jobs=specs)[0].outcome == "already ran"


def test_a_crashed_claim_is_taken_over_after_its_lease(engine) -> None:
    calls = Calls()
    specs = (JobSpec("daily", "Daily", "0 2 * * *", calls.job("daily")),)
    slot = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)
    with unit_of_work(engine) as s:
        s.add(JobRun(job="daily", slot=slot, status="running", worker="crashed:1",
                     started_at=utcnow() - timedelta(minutes=5)))
    [fresh] = jobs.run_due(D1, jobs=specs)
    assert fresh.outcome == "running elsewhere" and "daily" not in calls.seen
    with unit_of_work(engine) as s:
        s.execute(sa.update(JobRun).values(started_at=utcnow() - timedelta(hours=2)))
    [taken] = jobs.run_due(D1, jobs=specs, worker="rescuer:2")
    assert taken.outcome == "succeeded"
    [row] = _runs(engine)
    assert (row.status, row.worker, row.claims) == ("succeeded", "rescuer:2", 2)


def test_racing_workers_run_each_slot_once(engine) -> None:
    calls = Calls()
    specs = tuple(JobSpec(f"job{i}", f"Job {i}", "*/5 * * * *", calls.job(f"job{i}", sleep=0.2))
                  for i in range(3))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            jobs.run_due(D1, worker=f"worker-{n}", jobs=specs)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert {name: len(v) for name, v in calls.seen.items()} == {"job0": 1, "job1": 1, "job2": 1}
    assert len(_runs(engine)) == 3


def test_running_by_hand_needs_the_permission_and_waits_for_a_running_one(engine) -> None:
    who = people(engine)
    calls = Calls()
    specs = (JobSpec("daily", "Daily work", "0 2 * * *", calls.job("daily")),)
    for key in ("finance", "viewer", "lead"):
        with pytest.raises(NotAllowed, match="run or reschedule jobs"):
            jobs.run_job("daily", actor=who[key], jobs=specs)
    assert _runs(engine) == []
    with unit_of_work(engine) as s:
        s.add(JobRun(job="daily", slot=utcnow() - timedelta(hours=1), status="running",
                     worker="other:9", started_at=utcnow()))
    with pytest.raises(Conflict, match="Daily work is running now"):
        jobs.run_job("daily", actor=who["admin"], jobs=specs)
    with unit_of_work(engine) as s:
        s.execute(sa.update(JobRun).values(status="succeeded"))
    result = jobs.run_job("daily", actor=who["admin"], jobs=specs)
    assert result.outcome == "succeeded"
    manual = _runs(engine)[-1]
    assert (manual.trigger, manual.requested_by) == ("manual", who["admin"].user_id)
    with read_session(engine) as s:
        [row] = jobs.job_rows(s, jobs=specs)
    assert row.last_by == "run by admin@platform.test"


def test_run_now_from_the_page_reports_in_plain_words(engine) -> None:
    who = people(engine)
    ok = jobs.run_now(who["admin"].user_id, "deliver-messages")
    assert ok.ok and ok.message.startswith("E-mail outbox ran in ")
    assert "nothing to send" in ok.message
    refused = jobs.run_now(who["finance"].user_id, "deliver-messages")
    assert not refused.ok and "not allowed" in refused.message
    unknown = jobs.run_now(who["admin"].user_id, "nope")
    assert not unknown.ok and "no job called" in unknown.message


def test_a_schedule_change_is_checked_audited_and_used(engine) -> None:
    who = people(engine)
    admin = who["admin"]

    def audit_count() -> int:
        with read_session(engine) as s:
            return s.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "job.schedule_changed")).scalar_one()

    for bad in ("every day", "0 6 * * 1", "61 * * * *"):
        with pytest.raises(FieldError), unit_of_work(engine) as s:
            jobs.set_schedule(s, actor=admin, name="dunning", cron=bad)
        refused = jobs.change_schedule(admin.user_id, "dunning", bad)
        assert not refused.ok and refused.message.startswith("schedule: ")
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        jobs.set_schedule(s, actor=who["finance"], name="dunning", cron="0 3 * * *")
    with read_session(engine) as s:
        assert s.execute(sa.select(JobSchedule)).first() is None
    assert audit_count() == 0

    changed = jobs.change_schedule(admin.user_id, "dunning", "  15   4 * * *  ")
    assert changed.ok and changed.message == ("Payment retries and reminders now runs every "
                                              "day at 04:15 UTC.")
    with read_session(engine) as s:
        assert jobs.effective_schedules(s)["dunning"] == "15 4 * * *"
        row = next(r for r in jobs.job_rows(s) if r.name == "dunning")
        assert row.custom and row.schedule_text == "every day at 04:15 UTC"
        event = s.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "job.schedule_changed")).scalar_one()
    assert event.before == {"schedule": "0 2 * * *"} and event.after == {"schedule": "15 4 * * *"}
    assert event.actor_id == admin.user_id

    back = jobs.change_schedule(admin.user_id, "dunning", "0 2 * * *")
    assert back.ok
    with read_session(engine) as s:
        assert s.execute(sa.select(JobSchedule.cron)).scalars().all() == ["0 2 * * *"]
        assert not next(r for r in jobs.job_rows(s) if r.name == "dunning").custom
    assert audit_count() == 2


def test_a_new_schedule_applies_from_the_change_on(engine) -> None:
    """Changing a schedule never causes a catch-up run for the time before the change."""
    who = people(engine)
    calls = Calls()
    specs = (JobSpec("dunning", "Dunning", "0 2 * * *", calls.job("dunning")),)
    now = utcnow()
    assert jobs.run_due(now, jobs=specs)[0].outcome == "succeeded"
    with unit_of_work(engine) as s:
        jobs.set_schedule(s, actor=who["admin"], name="dunning", cron="* * * * *")
        s.execute(sa.update(JobSchedule).values(updated_at=now + timedelta(minutes=10)))
    assert jobs.run_due(now + timedelta(minutes=5), jobs=specs)[0].outcome == "not due"
    later = jobs.run_due(now + timedelta(minutes=11), jobs=specs)[0]
    assert later.outcome == "succeeded" and len(calls.seen["dunning"]) == 2
