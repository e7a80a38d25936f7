"""Usage ingestion on real databases: files, HTTP batches, duplicates, rejection, daily sums."""

from __future__ import annotations

import json
import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration import billing_fixtures as bf

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx vs httpx2
    from starlette.testclient import TestClient

from console.audit import verify
from console.billing.queries import usage_aggregates, usage_imports
from console.billing.usecases import usage_import
from console.kernel.actor import Actor
from console.kernel.errors import NotAllowed
from console.web.usage_api import TOKEN_ENV, build_usage_app
from models import UsageDaily, UsageEvent, UsageImport
from models.db import read_session, unit_of_work
from models.types import micro_to_quantity

pytestmark = pytest.mark.integration
CLI = Actor.system("system:cli")


@pytest.fixture
def setup(engine: sa.Engine) -> dict[str, int]:
    with unit_of_work(engine) as s:
        a = bf.customer(s, "ACME")
        b = bf.customer(s, "GLOBEX")
        calls = bf.meter(s, "api_calls")
        bf.meter(s, "storage_gb", aggregation="max")
        return {"acme": a.id, "globex": b.id, "calls": calls.id}


def _count(engine: sa.Engine, model: type = UsageEvent) -> int:
    with read_session(engine) as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def _daily_matches_events(engine: sa.Engine) -> None:
    """usage_daily holds exactly the per-day sum, max and count of usage_event."""
    with read_session(engine) as s:
        events = s.execute(sa.select(UsageEvent.customer_id, UsageEvent.meter_id,
                                     UsageEvent.occurred_at, UsageEvent.quantity_micro)).all()
        daily = {(d.customer_id, d.meter_id, d.day): (d.quantity_micro, d.max_micro, d.events)
                 for d in s.execute(sa.select(UsageDaily)).scalars()}
    expected: dict[tuple[int, int, date], tuple[int, int, int]] = {}
    for cid, mid, at, q in events:
        key = (cid, mid, at.date())
        total, biggest, n = expected.get(key, (0, 0, 0))
        expected[key] = (total + q, max(biggest, q), n + 1)
    assert daily == expected


CSV_OK = """customer_code,event_type,quantity,timestamp,idempotency_key,properties
ACME,api_calls,10,2026-03-01T10:00:00+00:00,k1,
ACME,api_calls,2.5,2026-03-01T23:30:00-02:00,k2,"{""region"": ""eu""}"
GLOBEX,storage_gb,7.000001,2026-03-02T00:00:00Z,k3,
ACME,api_calls,10,2026-03-01T10:00:00+00:00,k1,
"""


def test_csv_import_counts_duplicates_and_fills_daily(engine, setup, tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(CSV_OK)
    report = usage_import.import_usage_file(engine, path, actor=CLI)
    assert report.accepted, report.summary()
    assert (report.received, report.inserted, report.duplicates, report.rejected) == (4, 3, 1, 0)
    # Import again: everything is a duplicate now, nothing new is stored.
    again = usage_import.import_usage_file(engine, path, actor=CLI)
    assert (again.inserted, again.duplicates) == (0, 4)
    assert _count(engine) == 3
    with read_session(engine) as s:
        rows = {r.idempotency_key: r for r in s.execute(sa.select(UsageEvent)).scalars()}
        imp = s.get(UsageImport, report.import_id)
        assert (imp.status, imp.received, imp.inserted, imp.duplicates) == ("accepted", 4, 3, 1)
        # -02:00 at 23:30 is 01:30 UTC on the next day; quantities are exact millionths.
        assert rows["k2"].occurred_at.isoformat() == "2026-03-02T01:30:00+00:00"
        assert rows["k2"].properties == {"region": "eu"}
        assert rows["k3"].quantity_micro == 7_000_001
    _daily_matches_events(engine)
    with read_session(engine) as s:
        day2 = s.execute(sa.select(UsageDaily).where(UsageDaily.customer_id == setup["acme"],
                                                     UsageDaily.day == date(2026, 3, 2))
                         ).scalar_one()
        assert (day2.quantity_micro, day2.events) == (2_500_000, 1)


def test_bad_row_rejects_whole_batch_with_line_and_reason(engine, setup, tmp_path) -> None:
    text = (
        "customer_code,event_type,quantity,timestamp,idempotency_key\n"
        "ACME,api_calls,1,2026-03-01T10:00:00+00:00,a1\n"
        "NOPE,api_calls,1,2026-03-01T10:00:00+00:00,a2\n"
        "ACME,bogus,1,2026-03-01T10:00:00+00:00,a3\n"
        "ACME,api_calls,1.1234567,2026-03-01T10:00:00+00:00,a4\n"
        "ACME,api_calls,1,2026-03-01T10:00:00,a5\n"
        "ACME,api_calls,1,2026-03-01T10:00:00+00:00,\n"
        "ACME,api_calls,-3,2026-03-01T10:00:00+00:00,a7\n"
    )
    path = tmp_path / "bad.csv"
    path.write_text(text)
    report = usage_import.import_usage_file(engine, path, actor=CLI)
    assert report.status == "rejected"
    assert report.inserted == 0 and report.rejected == 6
    reasons = {e.line: e.reason for e in report.errors}
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "unknown customer" in reasons[3]
    assert "unknown meter" in reasons[4]
    assert "more than 6 decimals" in reasons[5]
    assert "offset is required" in reasons[6]
    assert "missing idempotency key" in reasons[7]
    assert "must not be negative" in reasons[8]
    assert _count(engine) == 0 and _count(engine, UsageDaily) == 0
    with read_session(engine) as s:
        imp = s.get(UsageImport, report.import_id)
        assert imp.status == "rejected" and imp.rejected == 6 and imp.inserted == 0
        assert {e["line"] for e in imp.errors} == {3, 4, 5, 6, 7, 8}


def test_jsonl_import_reads_numbers_exactly(engine, setup, tmp_path) -> None:
    lines = [
        {"customer_code": "ACME", "event_type": "api_calls", "quantity": 0.1,
         "timestamp": "2026-03-05T12:00:00+01:00", "idempotency_key": "j1",
         "properties": {"endpoint": "/v1/a"}},
        {"customer": "ACME", "meter": "api_calls", "quantity": "0.2",
         "occurred_at": "2026-03-05T12:00:01+01:00", "key": "j2"},
        {"customer_code": "ACME", "event_type": "api_calls", "quantity": 3,
         "timestamp": "2026-03-05T12:00:02+01:00", "idempotency_key": "j1"},
    ]
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in lines) + "\n\n")
    report = usage_import.import_usage_file(engine, path, actor=CLI)
    assert (report.status, report.inserted, report.duplicates) == ("accepted", 2, 1)
    with read_session(engine) as s:
        total = s.execute(sa.select(sa.func.sum(UsageEvent.quantity_micro))).scalar_one()
    assert micro_to_quantity(int(total)) == Decimal("0.3")
    _daily_matches_events(engine)

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"customer_code": "ACME"}\nnot json\n[1]\n')
    rejected = usage_import.import_usage_file(engine, bad, actor=CLI)
    assert rejected.status == "rejected"
    assert [e.line for e in rejected.errors] == [1, 2, 3]
    assert "not valid JSON" in rejected.errors[1].reason


def test_people_need_the_import_permission(engine, setup) -> None:
    with unit_of_work(engine) as s:
        users = bf.staff(s)
    batch = [{"customer_code": "ACME", "event_type": "api_calls", "quantity": "1",
              "timestamp": "2026-03-01T00:00:00Z", "idempotency_key": "p1"}]
    with pytest.raises(NotAllowed):
        usage_import.ingest_batch(engine, batch, actor=Actor(users["support"], "support"))
    report = usage_import.ingest_batch(engine, batch, actor=Actor(users["finance"], "finance"))
    assert report.inserted == 1


def test_http_batch_with_bearer_token(engine, setup, monkeypatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "s3cret-token-for-tests")
    client = TestClient(build_usage_app())
    events = [
        {"customer_code": "ACME", "event_type": "api_calls", "quantity": "5",
         "timestamp": "2026-03-10T08:00:00Z", "idempotency_key": "h1"},
        {"customer_code": "GLOBEX", "event_type": "api_calls", "quantity": 1.5,
         "timestamp": "2026-03-10T09:00:00+05:30", "idempotency_key": "h2"},
        {"customer_code": "ACME", "event_type": "api_calls", "quantity": "5",
         "timestamp": "2026-03-10T08:00:00Z", "idempotency_key": "h1"},
    ]
    assert client.post("/api/usage/events", json=events).status_code == 401
    assert client.post("/api/usage/events", json=events,
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    auth = {"Authorization": "Bearer s3cret-token-for-tests"}
    resp = client.post("/api/usage/events", json=events, headers=auth)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["status"], body["inserted"], body["duplicates"]) == ("accepted", 2, 1)
    resp = client.post("/api/usage/events", json={"events": events}, headers=auth)
    assert resp.json()["inserted"] == 0 and resp.json()["duplicates"] == 3

    bad = [*events[:2], {"customer_code": "ACME", "event_type": "api_calls", "quantity": "x",
                         "timestamp": "2026-03-10T08:00:00Z", "idempotency_key": "h9"}]
    resp = client.post("/api/usage/events", json=bad, headers=auth)
    assert resp.status_code == 422
    assert resp.json()["errors"] == [{"line": 3, "reason": "bad quantity 'x': not a number"}]
    assert _count(engine) == 2
    assert client.post("/api/usage/events", content=b"{", headers=auth).status_code == 400
    _daily_matches_events(engine)

    monkeypatch.setenv(TOKEN_ENV, "")
    assert client.post("/api/usage/events", json=events, headers=auth).status_code == 503
    with read_session(engine) as s:
        assert verify(s)[1] is None


def test_aggregation_per_type(engine, setup) -> None:
    with unit_of_work(engine) as s:
        bf.meter(s, "seats_used", aggregation="latest")
        bf.meter(s, "active_users", aggregation="unique_count", field_name="user")
        bf.meter(s, "requests", aggregation="count")
        bf.usage(s, [
            ("ACME", "api_calls", "1.5", "2026-03-01T00:00:00+00:00"),
            ("ACME", "api_calls", "2.25", "2026-03-31T23:59:59+00:00"),
            ("ACME", "api_calls", "100", "2026-04-01T00:00:00+00:00"),  # next period
            ("ACME", "api_calls", "100", "2026-02-28T23:59:59+00:00"),  # previous period
            ("ACME", "storage_gb", "3", "2026-03-02T00:00:00+00:00"),
            ("ACME", "storage_gb", "9.5", "2026-03-03T00:00:00+00:00"),
            ("ACME", "storage_gb", "4", "2026-03-04T00:00:00+00:00"),
            ("ACME", "seats_used", "5", "2026-03-02T00:00:00+00:00"),
            ("ACME", "seats_used", "7", "2026-03-20T00:00:00+00:00"),
            ("ACME", "seats_used", "6", "2026-03-10T00:00:00+00:00"),
            ("ACME", "active_users", "1", "2026-03-02T00:00:00+00:00", {"user": "u1"}),
            ("ACME", "active_users", "1", "2026-03-03T00:00:00+00:00", {"user": "u2"}),
            ("ACME", "active_users", "1", "2026-03-04T00:00:00+00:00", {"user": "u1"}),
            ("GLOBEX", "active_users", "1", "2026-03-04T00:00:00+00:00", {"user": "u1"}),
            ("ACME", "requests", "9", "2026-03-05T00:00:00+00:00"),
            ("ACME", "requests", "9", "2026-03-06T00:00:00+00:00"),
        ])
    with read_session(engine) as s:
        agg = usage_aggregates.aggregate_usage(s, period_start=date(2026, 3, 1),
                                        period_end=date(2026, 3, 31))
        meters = {m.code: m.id for m in s.execute(sa.select(bf.Meter)).scalars()}
    acme, globex = setup["acme"], setup["globex"]

    def units(cid: int, code: str) -> Decimal:
        return agg[(cid, meters[code])].units

    assert units(acme, "api_calls") == Decimal("3.75")
    assert agg[(acme, meters["api_calls"])].events == 2
    assert units(acme, "storage_gb") == Decimal("9.5")
    assert units(acme, "seats_used") == Decimal(7)
    assert units(acme, "active_users") == Decimal(2)
    assert units(globex, "active_users") == Decimal(1)
    assert units(acme, "requests") == Decimal(2)
    first = agg[(acme, meters["api_calls"])]
    assert first.first_at.isoformat() == "2026-03-01T00:00:00+00:00"
    assert first.last_at.isoformat() == "2026-03-31T23:59:59+00:00"
    _daily_matches_events(engine)


def test_polars_aggregation_matches_sql(engine, setup) -> None:
    from bench.usage import aggregate_usage_polars, connectorx_uri

    with unit_of_work(engine) as s:
        bf.meter(s, "seats_used", aggregation="latest")
        bf.meter(s, "active_users", aggregation="unique_count", field_name="user")
        bf.meter(s, "requests", aggregation="count")
        bf.usage(s, [
            ("ACME", "api_calls", "1.5", "2026-03-01T00:00:00+00:00"),
            ("ACME", "api_calls", "2.25", "2026-03-31T23:59:59+00:00"),
            ("ACME", "api_calls", "100", "2026-04-01T00:00:00+00:00"),
            ("GLOBEX", "storage_gb", "3", "2026-03-02T00:00:00+00:00"),
            ("GLOBEX", "storage_gb", "9.5", "2026-03-03T00:00:00+00:00"),
            ("ACME", "seats_used", "5", "2026-03-02T00:00:00+00:00"),
            ("ACME", "seats_used", "7", "2026-03-20T00:00:00+00:00"),
            ("ACME", "seats_used", "6", "2026-03-10T00:00:00+00:00"),
            ("ACME", "active_users", "1", "2026-03-02T00:00:00+00:00", {"user": "u1"}),
            ("ACME", "active_users", "1", "2026-03-03T00:00:00+00:00", {"user": "u2"}),
            ("ACME", "active_users", "1", "2026-03-04T00:00:00+00:00", {"user": "u1"}),
            ("ACME", "active_users", "1", "2026-03-05T00:00:00+00:00"),
            ("ACME", "requests", "9", "2026-03-05T00:00:00+00:00"),
            ("ACME", "requests", "9", "2026-03-06T00:00:00+00:00"),
        ])
    with read_session(engine) as s:
        sql = usage_aggregates.aggregate_usage(s, period_start=date(2026, 3, 1),
                                        period_end=date(2026, 3, 31))
    frame = aggregate_usage_polars(engine, period_start=date(2026, 3, 1),
                                   period_end=date(2026, 3, 31))
    got = {(r["customer_id"], r["meter_id"]): (r["units_micro"], r["events"])
           for r in frame.iter_rows(named=True)}
    expected = {k: (int(v.units * 1_000_000), v.events) for k, v in sql.items()}
    assert got == expected and len(got) == 5
    assert connectorx_uri("postgresql+psycopg://u:p@h:5432/db") == "postgresql://u:p@h:5432/db"
    assert connectorx_uri("sqlite:///rel/x.db").startswith("sqlite:///")


def test_page_upload_records_the_file_name(engine, setup) -> None:
    with unit_of_work(engine) as s:
        users = bf.staff(s)
    report = usage_import.import_usage_upload("march.csv", CSV_OK.encode(),
                                           user_id=users["finance"])
    assert (report.inserted, report.duplicates, report.filename) == (3, 1, "march.csv")
    with pytest.raises(NotAllowed):
        usage_import.import_usage_upload("march.csv", CSV_OK.encode(), user_id=users["viewer"])
    rows = usage_imports.recent_imports_view()
    assert rows[0].filename == "march.csv" and rows[0].source == "upload"
