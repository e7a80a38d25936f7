"""Pure rules of scheduled jobs: schedules (cron in UTC), their words, due slots."""

from console.jobs.domain.schedule import (
    latest_fire,
    next_fire,
    normalize,
    parse_schedule,
    schedule_words,
)

__all__ = ["latest_fire", "next_fire", "normalize", "parse_schedule", "schedule_words"]
