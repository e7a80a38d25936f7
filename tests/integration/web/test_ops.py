"""Operator endpoints: /health (no database), /ready (database answers at the head revision;
503 when unreachable or one migration behind), /metrics (Prometheus text, parsed; token or
loopback only) and multiprocess metrics."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.testclient import TestClient

from console.jobs import JobSpec, run_due
from console.kernel.roles import Permission
from console.kernel.settings import settings
from console.web.ops import HttpMetrics, head_revision, ops_routes
from models.db import make_engine, reset_engine
from tests.integration.conftest import PG_URL, alembic_config

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
LOOPBACK = ("127.0.0.1", 40000)
ELSEWHERE = ("10.1.2.3", 40000)


def _client(client=LOOPBACK) -> TestClient:
    return TestClient(HttpMetrics(Starlette(routes=ops_routes())), client=client)


def _families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def _sample(families: dict, family: str, name: str, **labels) -> float:
    fam = families.get(family)
    if fam is None:
        return 0.0
    return sum(s.value for s in fam.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


@pytest.fixture
def use_url(monkeypatch):
    def point(url: str) -> None:
        monkeypatch.setenv("CONSOLE_DATABASE_URL", url)
        reset_engine()
    yield point
    reset_engine()


def test_health_answers_without_a_database(use_url) -> None:
    use_url("postgresql+psycopg://nobody@127.0.0.1:1/none")
    resp = _client().get("/health")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}


def test_ready_when_the_database_is_at_the_head_revision(engine) -> None:
    resp = _client().get("/ready")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ready", "reason": f"database at revision {head_revision()}"}
    assert head_revision() == _scripts().get_current_head()


@pytest.mark.parametrize("url", ["postgresql+psycopg://postgres@127.0.0.1:1/console",
                                 "sqlite:////nonexistent-dir/console.db"])
def test_not_ready_when_the_database_does_not_answer(use_url, url) -> None:
    use_url(url)
    resp = _client().get("/ready")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "not ready"
    assert body["reason"].startswith("the database does not answer: ")


def _behind_urls(tmp_path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'behind.db'}"]
    if PG_URL:
        eng = make_engine(PG_URL.rsplit("/", 1)[0] + "/postgres")
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("DROP DATABASE IF EXISTS console_behind"))
            c.execute(sa.text("CREATE DATABASE console_behind"))
        eng.dispose()
        urls.append(PG_URL.rsplit("/", 1)[0] + "/console_behind")
    return urls


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def test_not_ready_when_the_database_is_one_migration_behind(tmp_path, use_url) -> None:
    head = _scripts().get_current_head()
    behind = _scripts().get_revision(head).down_revision
    for url in _behind_urls(tmp_path):
        command.upgrade(alembic_config(url), behind)
        use_url(url)
        resp = _client().get("/ready")
        assert resp.status_code == 503, url
        assert resp.json()["reason"] == (f"the database schema is at revision {behind}, the "
                                         f"code needs {head}: run `python -m console migrate`")
        command.upgrade(alembic_config(url), "head")
        assert _client().get("/ready").status_code == 200, url
        reset_engine()


def test_metrics_scrape_parses_and_counts(engine) -> None:
    client = _client()
    before = _families(client.get("/metrics").text)
    for _ in range(3):
        client.get("/health")
    client.get("/no-such-page")
    run_due(jobs=(JobSpec("metric-ok", "OK", "* * * * *", lambda now: "fine"),
                  JobSpec("metric-broken", "Broken", "* * * * *", lambda now: 1 / 0)))
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    after = _families(resp.text)
    requests = ("console_http_requests", "console_http_requests_total")
    assert after["console_http_requests"].type == "counter"
    assert (_sample(after, *requests, route="/health", method="GET", status="200")
            - _sample(before, *requests, route="/health", method="GET", status="200")) == 3
    assert (_sample(after, *requests, route="other", status="404")
            - _sample(before, *requests, route="other", status="404")) == 1
    runs = ("console_job_runs", "console_job_runs_total")
    timed = ("console_job_run_seconds", "console_job_run_seconds_count")

    def grew(key, **labels) -> float:
        return _sample(after, *key, **labels) - _sample(before, *key, **labels)

    assert grew(runs, job="metric-ok", outcome="succeeded") == 1
    assert grew(runs, job="metric-broken", outcome="failed") == 1
    assert grew(timed, job="metric-ok") == 1
    for family in ("console_webhook_deliveries", "console_outbox_messages",
                   "console_usage_events_ingested", "console_event_handler_seconds",
                   "console_http_request_seconds"):
        assert family in after, family


def test_event_handlers_are_timed_by_name(engine) -> None:
    from pages.session import requires

    class FakeState:
        def _allowed(self, permission) -> bool:
            return True

        @requires(Permission.VIEW_JOBS)
        def handler(self) -> str:
            return "ran"

    def count() -> float:
        fams = _families(_client().get("/metrics").text)
        return _sample(fams, "console_event_handler_seconds",
                       "console_event_handler_seconds_count",
                       handler="test_event_handlers_are_timed_by_name.<locals>.FakeState.handler")

    start = count()
    assert FakeState().handler() == "ran"
    assert count() == start + 1


def test_metrics_need_the_token_or_a_loopback_client(engine, monkeypatch) -> None:
    resp = _client(ELSEWHERE).get("/metrics")
    assert resp.status_code == 403 and "loopback" in resp.json()["error"]
    assert _client(("::1", 4000)).get("/metrics").status_code == 200
    monkeypatch.setenv("CONSOLE_METRICS_TOKEN", "s3cret-token-for-scrapes")
    settings.cache_clear()
    try:
        for headers in ({}, {"authorization": "Bearer wrong"},
                        {"authorization": "Basic s3cret-token-for-scrapes"}):
            for client in (LOOPBACK, ELSEWHERE):
                resp = _client(client).get("/metrics", headers=headers)
                assert resp.status_code == 401, (headers, client)
        ok = _client(ELSEWHERE).get("/metrics",
                                    headers={"authorization": "Bearer s3cret-token-for-scrapes"})
        assert ok.status_code == 200 and "console_http_requests" in ok.text
    finally:
        settings.cache_clear()


WRITER = """
import sys
from console.kernel.metrics import JOB_RUNS
JOB_RUNS.labels(job="shared", outcome="succeeded").inc(int(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()
"""
SCRAPER = """
from console.kernel.metrics import exposition
print(exposition()[0].decode())
"""


def test_multiprocess_mode_adds_up_every_process(tmp_path) -> None:
    mp = tmp_path / "prom"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(mp)}
    mp.mkdir()
    (mp / "counter_999999.db").write_bytes(b"")  # a process long gone
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(n)], cwd=ROOT, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for n in (2, 5)]
    try:
        for w in writers:
            assert w.stdout.readline().strip() == "ready"
        assert not (mp / "counter_999999.db").exists()
        out = subprocess.run([sys.executable, "-c", SCRAPER], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True).stdout
        fams = _families(out)
        assert _sample(fams, "console_job_runs", "console_job_runs_total", job="shared") == 7
    finally:
        for w in writers:
            w.communicate("\n", timeout=30)
    subprocess.run([sys.executable, "-c", "import console.kernel.metrics"], cwd=ROOT, env=env,
                   check=True)
    assert sorted(p.name for p in mp.glob("*.db")) == []


def test_stored_usage_events_are_counted_once_committed(engine) -> None:
    from datetime import date

    from console.billing.usecases.usage_import import ingest
    from console.billing.usecases.usage_records import read_batch
    from console.kernel.actor import Actor
    from models.db import unit_of_work
    from tests.integration import billing_fixtures as bf

    with unit_of_work(engine) as s:
        cat = bf.simple_catalog(s)
        bf.subscription(s, bf.customer(s, "METRIC"), cat["version"], started_on=date(2026, 1, 1))
    key = ("console_usage_events_ingested", "console_usage_events_ingested_total")
    before = _families(_client().get("/metrics").text)
    batch = [{"idempotency_key": f"m-{i}", "customer": "METRIC", "meter": "calls", "quantity": "1",
              "timestamp": "2026-03-03T10:00:00+00:00"} for i in range(4)]
    with pytest.raises(RuntimeError), unit_of_work(engine) as s:  # rolled back: not counted
        ingest(s, read_batch(batch), source="api", actor=Actor.system("test"))
        raise RuntimeError("roll back")
    with unit_of_work(engine) as s:
        ingest(s, read_batch(batch), source="api", actor=Actor.system("test"))
    after = _families(_client().get("/metrics").text)
    assert _sample(after, *key, source="api") - _sample(before, *key, source="api") == 4
