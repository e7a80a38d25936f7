"""Job schedules: cron in UTC read by APScheduler's CronTrigger, in plain words, due slots."""

from datetime import UTC, datetime

import pytest

from console.jobs.domain import latest_fire, next_fire, parse_schedule, schedule_words
from console.jobs.registry import JOBS, JobSpec, job
from console.kernel.errors import FieldError, NotFound

NOW = datetime(2026, 12, 3, 16, 5, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("expr", "words", "latest", "upcoming"), [
    ("* * * * *", "every minute", "2026-12-03 16:05", "2026-12-03 16:06"),
    ("*/5 * * * *", "every 5 minutes", "2026-12-03 16:05", "2026-12-03 16:10"),
    ("0 * * * *", "every hour, on the hour", "2026-12-03 16:00", "2026-12-03 17:00"),
    ("5 * * * *", "every hour at 5 minutes past", "2026-12-03 16:05", "2026-12-03 17:05"),
    ("0 2 * * *", "every day at 02:00 UTC", "2026-12-03 02:00", "2026-12-04 02:00"),
    ("30 1 * * *", "every day at 01:30 UTC", "2026-12-03 01:30", "2026-12-04 01:30"),
    ("0 */6 * * *", "every 6 hours, on the hour", "2026-12-03 12:00", "2026-12-03 18:00"),
    ("0 6 * * mon", "every Monday at 06:00 UTC", "2026-11-30 06:00", "2026-12-07 06:00"),
    ("0 6 * * mon-fri", "every weekday (Monday to Friday) at 06:00 UTC", "2026-12-03 06:00",
     "2026-12-04 06:00"),
    ("30 3 1 * *", "on day 1 of every month at 03:30 UTC", "2026-12-01 03:30",
     "2027-01-01 03:30"),
    ("5 4 * 2 *", "on the cron schedule '5 4 * 2 *' (UTC)", "2026-02-28 04:05",
     "2027-02-01 04:05"),
])
def test_schedules_in_words_and_slots(expr, words, latest, upcoming) -> None:
    trigger = parse_schedule(expr)
    assert schedule_words(expr) == words
    assert latest_fire(trigger, NOW) == at(latest)
    assert next_fire(trigger, NOW) == at(upcoming)


def test_a_fire_time_equal_to_now_is_due_and_next_is_after_it() -> None:
    trigger = parse_schedule("0 2 * * *")
    assert latest_fire(trigger, at("2026-12-03 02:00")) == at("2026-12-03 02:00")
    assert next_fire(trigger, at("2026-12-03 02:00")) == at("2026-12-04 02:00")


@pytest.mark.parametrize(("expr", "reason"), [
    ("", "five fields"),
    ("every day", "five fields"),
    ("* * * *", "five fields"),
    ("61 * * * *", "not a valid cron expression"),
    ("0 25 * * *", "not a valid cron expression"),
    ("0 6 * * 1", "weekdays as names"),
    ("0 6 * * 1-5", "weekdays as names"),
    ("0 0 31 2 *", "never fires"),
])
def test_schedules_that_cannot_be_read_say_why(expr, reason) -> None:
    with pytest.raises(FieldError) as err:
        parse_schedule(expr)
    assert err.value.field == "schedule"
    assert reason in str(err.value)


def test_the_registry_has_unique_names_and_readable_schedules() -> None:
    names = [j.name for j in JOBS]
    assert len(names) == len(set(names))
    assert {"dunning", "experiments-due", "plan-migrations", "deliver-webhooks",
            "deliver-messages"} <= set(names)
    for spec in JOBS:
        assert isinstance(spec, JobSpec) and callable(spec.run)
        parse_schedule(spec.schedule)
    assert schedule_words(job("dunning").schedule) == "every day at 02:00 UTC"
    assert schedule_words(job("deliver-webhooks").schedule) == "every minute"
    assert schedule_words(job("deliver-messages").schedule) == "every 5 minutes"


def test_an_unknown_job_is_refused_plainly() -> None:
    with pytest.raises(NotFound, match="no job called 'nope'"):
        job("nope")
