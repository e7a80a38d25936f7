"""The console's Prometheus metrics: every metric object lives here, at module level.

Areas import the object they feed (``from console.kernel.metrics import USAGE_EVENTS``) and
call ``.labels(...).inc()`` / ``.observe(...)``; ``console/web/ops.py`` serves them on
``GET /metrics``. Keep metrics module-level: creating one twice in a process raises
``Duplicated timeseries`` (Reflex's hot reload re-imports modules).

Several processes (granian workers, the job worker): set ``PROMETHEUS_MULTIPROC_DIR`` in the
environment of every process, before any of them starts. Each process writes its own files
there; :func:`registry_for_scrape` merges them. :func:`prepare_multiprocess_dir` (called at each
process start) creates the directory and removes the files of processes that are no longer
running, so a fresh start begins from an empty directory and a restarted worker's counters do
not keep counting. Labels stay few and bounded: routes are route patterns, handlers are
``Class.method`` names, jobs are registry names.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_PID_FILE = re.compile(r"_(\d+)\.db$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_multiprocess_dir() -> Path | None:
    """Create the multiprocess directory and drop the files of processes no longer running.

    Returns:
        The directory, or None when multiprocess mode is off.
    """
    raw = os.environ.get(MULTIPROC_ENV, "").strip()
    if not raw:
        return None
    path = Path(raw)
    path.mkdir(parents=True, exist_ok=True)
    for file in path.glob("*.db"):
        match = _PID_FILE.search(file.name)
        if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()
    return path


# The directory must exist before the first metric writes its file.
prepare_multiprocess_dir()

from prometheus_client import (  # noqa: E402  (after the directory exists)
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_JOB_SECONDS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600)

#: HTTP requests by route pattern, method and status code (see console/web/ops.py).
HTTP_REQUESTS = Counter("console_http_requests", "HTTP requests answered",
                        ["route", "method", "status"])
HTTP_SECONDS = Histogram("console_http_request_seconds", "Time to answer an HTTP request",
                         ["route"], buckets=_LATENCY)
#: Reflex event handlers: time inside ``pages.session.requires`` (permission check included).
EVENT_SECONDS = Histogram("console_event_handler_seconds",
                          "Time spent in a Reflex event handler", ["handler"], buckets=_LATENCY)
#: Scheduled job runs by job and outcome (succeeded | failed), and their duration.
JOB_RUNS = Counter("console_job_runs", "Scheduled job runs", ["job", "outcome"])
JOB_SECONDS = Histogram("console_job_run_seconds", "Duration of a job run", ["job"],
                        buckets=_JOB_SECONDS)
#: Webhook delivery attempts by outcome (delivered | failed | dead).
WEBHOOK_DELIVERIES = Counter("console_webhook_deliveries", "Webhook delivery attempts",
                             ["outcome"])
#: Outbox e-mails by outcome (sent | failed | dead).
MESSAGES = Counter("console_outbox_messages", "Outbox e-mails handed to the sender",
                   ["outcome"])
#: Usage events ingested, by source (api | file); the billing area increments it.
USAGE_EVENTS = Counter("console_usage_events_ingested", "Usage events stored", ["source"])


def multiprocess_mode() -> bool:
    """Whether metrics are shared between processes through ``PROMETHEUS_MULTIPROC_DIR``."""
    return bool(os.environ.get(MULTIPROC_ENV, "").strip())


def registry_for_scrape() -> CollectorRegistry:
    """The registry a scrape reads: every process's files in multiprocess mode (a fresh
    registry per scrape, never the global one), else this process's registry."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def exposition() -> tuple[bytes, str]:
    """The Prometheus text exposition of :func:`registry_for_scrape` and its content type."""
    return generate_latest(registry_for_scrape()), CONTENT_TYPE_LATEST
