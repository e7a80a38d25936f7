"""The demo-company generator against a real database (SQLite, and PostgreSQL when configured).

The company is generated once per backend into a migrated database (the session templates of
``conftest.py``) and every test reads it; the determinism test generates it again elsewhere.
"""

from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from console.customers.usecases.ledger import mark_unchanged
from console.demo import ACTOR_ROLES, DemoSeedError, SeedReport, seed_demo
from console.identity.usecases.accounts import ensure_demo_users
from models import MrrMonthly
from models.db import make_engine, unit_of_work
from tests.integration.conftest import BACKENDS

pytestmark = pytest.mark.integration

AS_OF = date(2026, 3, 18)
CUSTOMERS = 120
MONTHS = 6
T = SQLModel.metadata.tables


def _seed(engine: sa.Engine, seed: int = 7) -> SeedReport:
    with unit_of_work(engine) as session:
        actors = ensure_demo_users(session)
    assert set(actors) >= set(ACTOR_ROLES)
    return seed_demo(engine, customers=CUSTOMERS, months=MONTHS, seed=seed, as_of=AS_OF,
                     actors=actors)


def _sqlite_copy(template: Path, path: Path) -> sa.Engine:
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}")


def _emptied(url: str) -> sa.Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' "
            "AND tablename <> 'alembic_version'")).scalars().all()
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    return engine


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[sa.Engine, SeedReport]]:
    """A migrated database holding the small demo company, with the report of its seed."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        engine = _sqlite_copy(template, tmp_path_factory.mktemp("demo") / "demo.db")
    else:
        engine = _emptied(request.getfixturevalue("pg_migrated"))
    report = _seed(engine)
    yield engine, report
    engine.dispose()


def _rows(engine: sa.Engine, table: str, order: str = "id") -> list[dict]:
    with engine.connect() as conn:
        result = conn.execute(sa.select(T[table]).order_by(sa.text(order)))
        return [dict(row._mapping) for row in result]


def _dump(engine: sa.Engine) -> dict[str, list[dict]]:
    return {
        "invoice": _rows(engine, "invoice"),
        "invoice_line": _rows(engine, "invoice_line"),
        "subscription_event": _rows(engine, "subscription_event"),
        "payment": _rows(engine, "payment"),
        "mrr_monthly": _rows(engine, "mrr_monthly", "customer_id, month"),
        "dispute": _rows(engine, "dispute"),
        "credit_note": _rows(engine, "credit_note"),
        "customer": _rows(engine, "customer"),
    }


def test_report_counts_rows(seeded) -> None:
    engine, report = seeded
    assert report.customers == CUSTOMERS
    assert report.counts["customer"] == CUSTOMERS
    assert report.elapsed_seconds > 0
    with engine.connect() as conn:
        for table in ("invoice", "invoice_line", "subscription_event", "usage_daily",
                      "usage_event", "payment", "dispute", "credit_note"):
            stored = conn.execute(sa.select(sa.func.count()).select_from(T[table])).scalar()
            assert stored == report.counts[table] > 0, table


def test_same_inputs_give_identical_rows(seeded, sqlite_template: Path,
                                         tmp_path: Path) -> None:
    engine, _ = seeded
    other = _sqlite_copy(sqlite_template, tmp_path / "again.db")
    _seed(other)
    # Same rows on a second fresh database (and across SQLite and PostgreSQL).
    assert _dump(other) == _dump(engine)
    third = _sqlite_copy(sqlite_template, tmp_path / "other-seed.db")
    _seed(third, seed=8)
    assert _dump(third)["invoice"] != _dump(engine)["invoice"]
    other.dispose()
    third.dispose()


def test_worker_processes_build_the_same_rows(seeded, sqlite_template: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import console.demo.seed as seed_module

    engine, _ = seeded
    monkeypatch.setattr(seed_module, "BATCH_CUSTOMERS", 25)
    monkeypatch.setattr(seed_module, "PARALLEL_MIN_CUSTOMERS", 1)
    monkeypatch.setattr(seed_module, "MAX_WORKERS", 2)
    other = _sqlite_copy(sqlite_template, tmp_path / "parallel.db")
    _seed(other)
    assert _dump(other) == _dump(engine)
    other.dispose()


def test_refuses_a_database_with_customers(seeded) -> None:
    engine, _ = seeded
    with pytest.raises(DemoSeedError, match="already has"):
        seed_demo(engine, customers=10, months=MONTHS, seed=7, as_of=AS_OF,
                  actors={role: 1 for role in ACTOR_ROLES})


def test_invoice_totals_are_sums_of_lines(seeded) -> None:
    engine, _ = seeded
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line in _rows(engine, "invoice_line"):
        sums[line["invoice_id"]][0] += line["amount_minor"]
        sums[line["invoice_id"]][1] += line["tax_minor"]
        assert isinstance(line["breakdown"], list)
        if line["kind"] == "usage":
            assert line["usage_from"] < line["usage_to"]
            assert line["usage_from"].tzinfo is not None
    invoices = _rows(engine, "invoice")
    for inv in invoices:
        subtotal, tax = sums[inv["id"]]
        assert inv["subtotal_minor"] == subtotal, inv["id"]
        assert inv["tax_minor"] == tax, inv["id"]
        assert inv["total_minor"] == subtotal + tax, inv["id"]
    usage_lines = [x for x in _rows(engine, "invoice_line") if x["kind"] == "usage"]
    assert usage_lines and all(x["breakdown"] for x in usage_lines)
    assert all(isinstance(row, str) for x in usage_lines for row in x["breakdown"])


def test_payments_and_credits_match_invoices(seeded) -> None:
    engine, _ = seeded
    paid: Counter[int] = Counter()
    for payment in _rows(engine, "payment"):
        assert payment["status"] == "succeeded"
        paid[payment["invoice_id"]] += payment["amount_minor"]
    credited: Counter[int] = Counter()
    notes = _rows(engine, "credit_note")
    note_lines: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line in _rows(engine, "credit_note_line"):
        note_lines[line["credit_note_id"]][0] += line["amount_minor"]
        note_lines[line["credit_note_id"]][1] += line["tax_minor"]
    for note in notes:
        assert [note["amount_minor"], note["tax_minor"]] == note_lines[note["id"]]
        assert note["total_minor"] == note["amount_minor"] + note["tax_minor"]
        if note["status"] == "issued":
            credited[note["invoice_id"]] += note["total_minor"]
            assert note["number"] and note["issued_at"] is not None
        else:
            assert note["number"] is None
        if note["approved_by"] is not None:
            assert note["approved_by"] != note["created_by"]
    assert {n["status"] for n in notes} >= {"issued", "pending_approval"}
    for inv in _rows(engine, "invoice"):
        assert inv["paid_minor"] == paid[inv["id"]], inv["id"]
        assert inv["credited_minor"] == credited[inv["id"]], inv["id"]
        assert inv["credited_minor"] <= inv["total_minor"]
        if inv["status"] == "paid":
            assert inv["paid_minor"] + inv["credited_minor"] >= inv["total_minor"]
            assert inv["paid_at"] is not None
        if inv["status"] in {"issued", "uncollectible"}:
            assert inv["paid_minor"] + inv["credited_minor"] < inv["total_minor"]
        if inv["status"] in {"draft", "in_review", "approved"}:
            assert inv["number"] is None and inv["issued_at"] is None
            assert inv["period_start"] == AS_OF.replace(day=1)
        else:
            assert inv["issued_at"].date() <= AS_OF


def test_every_status_and_flag_is_present(seeded) -> None:
    engine, _ = seeded
    invoices = _rows(engine, "invoice")
    assert {i["status"] for i in invoices} == {
        "draft", "in_review", "approved", "issued", "paid", "void", "uncollectible"}
    assert {d["status"] for d in _rows(engine, "dispute")} == {
        "open", "investigating", "awaiting_customer", "resolved_credited",
        "resolved_rejected", "withdrawn"}
    flags = Counter(f["code"] for i in invoices for f in i["flags"])
    assert {"zero_total", "change_vs_previous", "usage_spike", "first_on_version"} <= set(flags)
    held = [i for i in invoices if i["status"] == "in_review"]
    assert held and all(i["hold_reason"] for i in held)
    subs = {s["status"] for s in _rows(engine, "subscription")}
    assert subs == {"active", "past_due", "canceled", "trialing"}
    customers = {c["status"] for c in _rows(engine, "customer")}
    assert {"active", "past_due", "churned"} <= customers
    kinds = {e["kind"] for e in _rows(engine, "subscription_event")}
    assert {"new", "upgrade", "seat_change", "cancel", "lapse", "migrate"} <= kinds
    attempts = _rows(engine, "payment_attempt")
    assert {"succeeded", "failed"} <= {a["status"] for a in attempts}


def test_ledger_replays_subscription_events(seeded) -> None:
    engine, _ = seeded
    events = defaultdict(list)
    for ev in _rows(engine, "subscription_event"):
        assert ev["mrr_delta_minor"] == ev["mrr_after_minor"] - ev["mrr_before_minor"]
        events[ev["customer_id"]].append((ev["occurred_on"], ev["mrr_delta_minor"]))
    ledger = {(r["customer_id"], r["month"]): r["mrr_minor"]
              for r in _rows(engine, "mrr_monthly", "customer_id, month")}
    assert all(v > 0 for v in ledger.values())
    months = sorted({month for _, month in ledger})
    assert months[-1] == AS_OF.replace(day=1) and len(months) == MONTHS
    for customer in _rows(engine, "customer"):
        cid = customer["id"]
        for month in months:
            nxt = (month + timedelta(days=32)).replace(day=1)
            end = min(nxt - timedelta(days=1), AS_OF)
            replay = sum(delta for day, delta in events[cid] if day <= end)
            assert replay == ledger.get((cid, month), 0), (cid, month)
        assert customer["mrr_minor"] == ledger.get((cid, months[-1]), 0)


def test_ledger_marks_equal_a_full_remark(seeded) -> None:
    engine, _ = seeded
    marks = {(r["customer_id"], r["month"]): bool(r["unchanged"])
             for r in _rows(engine, "mrr_monthly", "customer_id, month")}
    assert 0 < sum(marks.values()) < len(marks)
    with engine.begin() as conn:
        conn.execute(sa.update(MrrMonthly).values(unchanged=False))
        mark_unchanged(conn)
    assert {(r["customer_id"], r["month"]): bool(r["unchanged"])
            for r in _rows(engine, "mrr_monthly", "customer_id, month")} == marks


def test_usage_events_add_up_to_daily_aggregates(seeded) -> None:
    engine, _ = seeded
    events = _rows(engine, "usage_event")
    keys = [e["idempotency_key"] for e in events]
    assert len(keys) == len(set(keys))
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for e in events:
        key = (e["customer_id"], e["meter_id"], e["occurred_at"].date())
        sums[key][0] += e["quantity_micro"]
        sums[key][1] += 1
        sums[key][2] = max(sums[key][2], e["quantity_micro"])
    daily = {(d["customer_id"], d["meter_id"], d["day"]): d for d in _rows(
        engine, "usage_daily", "customer_id, meter_id, day")}
    assert max(d for _, _, d in daily) == AS_OF
    for key, (quantity, count, top) in sums.items():
        row = daily[key]
        assert (row["quantity_micro"], row["events"], row["max_micro"]) == (quantity, count, top)
    attempts = [a["idempotency_key"] for a in _rows(engine, "payment_attempt")]
    assert len(attempts) == len(set(attempts))


def test_invoice_numbers_are_gap_free_per_year(seeded) -> None:
    engine, _ = seeded
    numbers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for inv in _rows(engine, "invoice", "issued_at, id"):
        if inv["number"]:
            series, year, n = inv["number"].split("-")
            assert series == "INV" and int(year) == inv["issued_at"].year
            numbers[(series, int(year))].append(int(n))
    for note in _rows(engine, "credit_note"):
        if note["number"]:
            series, year, n = note["number"].split("-")
            numbers[(series, int(year))].append(int(n))
    sequences = {(s["series"], s["year"]): s["last_number"]
                 for s in _rows(engine, "invoice_number_sequence", "series, year")}
    assert set(sequences) == set(numbers)
    for key, found in numbers.items():
        assert sorted(found) == list(range(1, len(found) + 1)), key
        assert sequences[key] == len(found)
    # Chronological: issued invoices are numbered in issue order.
    issued = [i for i in _rows(engine, "invoice", "issued_at, id") if i["number"]]
    for year in {i["issued_at"].year for i in issued}:
        ordered = [int(i["number"].split("-")[2]) for i in issued
                   if i["issued_at"].year == year]
        assert ordered == sorted(ordered)


def test_catalog_history_and_maker_checker(seeded) -> None:
    engine, _ = seeded
    versions = _rows(engine, "plan_version")
    assert {v["status"] for v in versions} == {
        "retired", "published", "pending_approval", "draft"}
    requests = {r["id"]: r for r in _rows(engine, "change_request")}
    assert {r["status"] for r in requests.values()} >= {"pending", "published"}
    for approval in _rows(engine, "approval"):
        if approval["subject_type"] == "change_request":
            assert approval["approver_id"] != requests[approval["subject_id"]]["author_id"]
    asks = {r["id"]: r for r in _rows(engine, "approval_request")}
    for approval in _rows(engine, "approval"):
        if approval["subject_type"] == "approval_request":
            assert approval["approver_id"] != asks[approval["subject_id"]]["requested_by"]
    runs = {r["id"]: r for r in _rows(engine, "bill_run")}
    for inv in _rows(engine, "invoice"):
        if inv["approved_by"] is not None:
            assert inv["approved_by"] != runs[inv["bill_run_id"]]["created_by"]
    prices = _rows(engine, "price")
    assert {p["charge_model"] for p in prices} >= {"standard", "graduated", "package",
                                                   "volume"}
    assert any(p["commit_minor"] for p in prices)
    enterprise = [s for s in _rows(engine, "subscription") if s["billing_interval"] == "year"]
    assert enterprise
    experiments = {e["status"] for e in _rows(engine, "experiment")}
    assert experiments == {"running", "concluded"}
    assert _rows(engine, "experiment_assignment")
    stages = _rows(engine, "rollout_stage", "position")
    assert stages[0]["status"] == "completed" and _rows(engine, "rollout_member")


def test_disputes_are_consistent(seeded) -> None:
    engine, _ = seeded
    lines = Counter()
    for line in _rows(engine, "dispute_line"):
        lines[line["dispute_id"]] += line["amount_minor"]
    timeline = defaultdict(list)
    for ev in _rows(engine, "dispute_event"):
        timeline[ev["dispute_id"]].append(ev)
    notes = {n["dispute_id"]: n for n in _rows(engine, "credit_note") if n["dispute_id"]}
    horizon = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC) + timedelta(days=1)
    for dispute in _rows(engine, "dispute"):
        assert dispute["amount_minor"] == lines[dispute["id"]] > 0
        assert dispute["opened_at"] < horizon
        events = timeline[dispute["id"]]
        assert [e["created_at"] for e in events] == sorted(e["created_at"] for e in events)
        changes = [e["to_status"] for e in events if e["kind"] == "status_change"]
        assert changes[-1] == dispute["status"]
        if dispute["status"] == "resolved_credited":
            assert notes[dispute["id"]]["status"] == "issued"
            assert dispute["credited_minor"] == notes[dispute["id"]]["total_minor"]
        if dispute["status"] in {"resolved_credited", "resolved_rejected", "withdrawn"}:
            assert dispute["resolved_at"] is not None
        else:
            assert dispute["resolved_at"] is None
    assert _rows(engine, "support_ticket")
    assert _rows(engine, "collection_note")
    assert _rows(engine, "outbox_message")
