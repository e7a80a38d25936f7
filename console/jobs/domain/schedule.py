"""Job schedules (pure): cron expressions in UTC, read by APScheduler's CronTrigger.

Only the cron arithmetic comes from APScheduler; which slot is due and who runs it is ours
(``job_run``). Weekdays must be written as names (``mon-fri``): classic cron counts Sunday as
0, APScheduler's CronTrigger counts Monday as 0, and a number would silently mean another day.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from console.kernel.errors import FieldError

#: How far back the latest fire time is looked for (widening until one is found).
_WINDOWS = (timedelta(minutes=2), timedelta(hours=2), timedelta(days=2), timedelta(days=33),
            timedelta(days=367), timedelta(days=366 * 8 + 2))
_TINY = timedelta(microseconds=1)
_DAYS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
         "fri": "Friday", "sat": "Saturday", "sun": "Sunday"}


def parse_schedule(expr: str) -> CronTrigger:
    """A five-field cron expression (minute hour day month weekday, in UTC) as a trigger.

    Raises:
        FieldError: on ``schedule`` with a plain reason, for anything that is not such an
            expression (nothing is changed by the caller).
    """
    text = " ".join(str(expr or "").split())
    fields = text.split(" ") if text else []
    if len(fields) != 5:
        raise FieldError("schedule", "write five fields: minute hour day-of-month month "
                                     "day-of-week (e.g. '0 2 * * *' for every day at 02:00 UTC)")
    if re.search(r"\d", fields[4]):
        raise FieldError("schedule", "write weekdays as names (mon, tue, ... sun, e.g. "
                                     "'mon-fri'), not numbers")
    try:
        trigger = CronTrigger.from_crontab(text, timezone=UTC)
    except ValueError as exc:
        raise FieldError("schedule", f"not a valid cron expression ({exc})") from None
    if trigger.get_next_fire_time(None, datetime(2000, 1, 1, tzinfo=UTC)) is None:
        raise FieldError("schedule", "this schedule never fires")
    return trigger


def normalize(expr: str) -> str:
    """The expression as stored: single spaces, lower case (after :func:`parse_schedule`)."""
    return " ".join(str(expr or "").lower().split())


def latest_fire(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The latest fire time at or before ``now`` (None when it never fired in 8 years)."""
    for window in _WINDOWS:
        t = trigger.get_next_fire_time(None, now - window)
        found = None
        while t is not None and t <= now:
            found = t
            t = trigger.get_next_fire_time(t, t + _TINY)
        if found is not None:
            return found.astimezone(UTC)
    return None


def next_fire(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The first fire time strictly after ``now``."""
    t = trigger.get_next_fire_time(None, now + _TINY)
    return t.astimezone(UTC) if t is not None else None


def _hhmm(hour: str, minute: str) -> str:
    return f"{int(hour):02d}:{int(minute):02d}"


def schedule_words(expr: str) -> str:
    """The schedule in plain words: ``0 2 * * *`` -> ``every day at 02:00 UTC``.

    Common shapes get a sentence; anything else reads ``on the cron schedule '...' (UTC)``.
    """
    f = normalize(expr).split(" ")
    if len(f) != 5:
        return f"on the cron schedule '{expr}' (UTC)"
    minute, hour, dom, month, dow = f
    num = re.compile(r"^\d+$")
    step = re.compile(r"^\*/(\d+)$")
    if (dom, month, dow) == ("*", "*", "*"):
        if (minute, hour) == ("*", "*"):
            return "every minute"
        if step.match(minute) and hour == "*":
            return f"every {int(step.match(minute).group(1))} minutes"
        if num.match(minute) and hour == "*":
            return ("every hour, on the hour" if int(minute) == 0
                    else f"every hour at {int(minute)} minutes past")
        if num.match(minute) and step.match(hour):
            every = f"every {int(step.match(hour).group(1))} hours"
            return (f"{every}, on the hour" if int(minute) == 0
                    else f"{every} at {int(minute)} minutes past")
        if num.match(minute) and num.match(hour):
            return f"every day at {_hhmm(hour, minute)} UTC"
    if num.match(minute) and num.match(hour) and month == "*":
        at = f"at {_hhmm(hour, minute)} UTC"
        if dom == "*" and dow in _DAYS:
            return f"every {_DAYS[dow]} {at}"
        if dom == "*" and dow == "mon-fri":
            return f"every weekday (Monday to Friday) {at}"
        if dow == "*" and num.match(dom):
            return f"on day {int(dom)} of every month {at}"
    return f"on the cron schedule '{normalize(expr)}' (UTC)"
