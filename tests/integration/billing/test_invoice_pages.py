"""The invoice, bill-run and usage pages at state level: what each handler shows and writes,
for finance, a second finance user and support (read-only), on real databases."""

import asyncio
import inspect
import io
from datetime import date
from pathlib import Path

import pytest
import reflex as rx
import sqlalchemy as sa
from reflex.istate.data import RouterData

import console.app  # noqa: F401  (registers every page and state)
from console import identity
from models import AuditEvent, BillRun, CreditNote, Invoice, UsageEvent, UsageImport, User
from models.db import read_session, unit_of_work
from pages.billing.state import BillRunsState, UsageState
from pages.invoices.detail_state import InvoiceState
from pages.invoices.state import ReviewState
from pages.session import REFUSED
from tests.integration import billing_fixtures as bf

pytestmark = pytest.mark.integration
FEB = (date(2026, 2, 1), date(2026, 2, 28))
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture(autouse=True)
def _async_with_plain_states(monkeypatch):
    """Background handlers enter ``async with self`` (a StateProxy in the app); here the
    states are plain objects, so entering them is a no-op."""
    async def enter(self):
        return self

    async def leave(self, *exc):
        return None

    for cls in (ReviewState, BillRunsState, UsageState):
        monkeypatch.setattr(cls, "__aenter__", enter, raising=False)
        monkeypatch.setattr(cls, "__aexit__", leave, raising=False)


@pytest.fixture
def world(engine) -> dict:
    """Finance users, support, a viewer; three customers billed for February and March."""
    with unit_of_work(engine) as s:
        users = bf.staff(s)
        cat = bf.simple_catalog(s)
        for code, name in (("ACME", "Acme Corp"), ("GLOBEX", "Globex"), ("INITECH", "Initech")):
            c = bf.customer(s, code, name=name)
            bf.subscription(s, c, cat["version"], started_on=date(2025, 1, 1))
        bf.usage(s, [("ACME", "calls", "1500", "2026-03-03T10:00:00+00:00"),
                     ("ACME", "calls", "500", "2026-03-04T10:00:00+00:00"),
                     ("GLOBEX", "calls", "100", "2026-02-10T10:00:00+00:00")])
        bf.set_policy(s, "approval_thresholds", {"credit_note_minor": 5000})
        tokens = {key: identity.start_session(s, user=s.get(User, uid), method="test",
                                              session_hours=1)
                  for key, uid in users.items()}
    bf.bill(engine, FEB)
    run_id = bf.bill(engine, MARCH)
    with read_session(engine) as s:
        ids = {code: iid for code, iid in s.execute(sa.text(
            "SELECT c.code, i.id FROM invoice i JOIN customer c ON c.id = i.customer_id "
            "WHERE i.period_start = :d"), {"d": MARCH[0]})}
    return {"users": users, "tokens": tokens, "ids": ids, "run_id": run_id, "cat": cat}


def _state(cls, token: str | None, path: str = "/"):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    state.router = RouterData.from_router_data(
        {"headers": {"cookie": f"console_session={token}" if token else ""},
         "pathname": path, "asPath": path})
    return state


def _run(result):
    """Drain what a handler returned (generators, coroutines, async generators)."""
    if inspect.isgenerator(result):
        return list(result)
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    if inspect.isasyncgen(result):
        async def drain():
            return [item async for item in result]
        return asyncio.run(drain())
    return result


def _call(state, name: str, *args):
    return _run(getattr(type(state), name).fn(state, *args))


def _inv(engine, invoice_id: int) -> Invoice:
    with read_session(engine) as s:
        inv = s.get(Invoice, invoice_id)
        s.expunge(inv)
        return inv


def _audit_count(engine) -> int:
    with read_session(engine) as s:
        return s.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
            ~AuditEvent.action.like("session.%"))).scalar_one()


# ----------------------------------------------------------------------------- review queue


def test_queue_filters_sorts_selects_and_bulk_approves(engine, world) -> None:
    st = _state(ReviewState, world["tokens"]["finance"], "/invoices")
    _call(st, "load")
    assert st.total == 6 and {r.status for r in st.rows} == {"draft"}
    run = str(world["run_id"])
    assert next(c.value for c in st.run_choices) == run
    _call(st, "apply_filters", {"customer": "acme", "run_id": run})
    assert [(r.customer_code, r.period[:10]) for r in st.rows] == [("ACME", "2026-03-01")]
    _call(st, "apply_filters", {"customer": "", "run_id": run, "min_amount": "abc"})
    assert "Amount" in st.filter_error and st.total == 1  # bad input changes nothing
    _call(st, "apply_filters", {"run_id": run, "min_amount": "100.00", "max_amount": "115"})
    assert st.filter_error == "" and all(10000 <= r.total_minor <= 11500 for r in st.rows)
    _call(st, "apply_filters", {"run_id": run})
    assert st.total == 3
    _call(st, "sort_by", "amount")
    totals = [r.total_minor for r in st.rows]
    assert totals == sorted(totals, reverse=True)
    _call(st, "sort_by", "customer")
    assert [r.customer_name for r in st.rows] == ["Acme Corp", "Globex", "Initech"]
    _call(st, "set_tab", "all")
    assert st.total == 3
    _call(st, "clear_filters")
    assert st.total == 6
    _call(st, "apply_filters", {"run_id": run})
    _call(st, "set_tab", "queue")
    for row in st.rows[:2]:
        _call(st, "toggle", row.id)
    chosen = list(st.selected)
    # someone else changes the second one meanwhile: its approval is refused, the first goes
    second = _inv(engine, chosen[1])
    with unit_of_work(engine) as s:
        from console.billing.usecases import invoices as inv_svc
        inv_svc.hold_invoice(s, invoice_id=second.id, version=second.version, reason="check",
                             actor=bf.actor(world["users"]["finance2"], "finance2"))
    out = _call(st, "approve_selected")
    assert "1 of 2" in repr(out)
    assert [(r.invoice_id, r.ok) for r in st.results] == [(chosen[0], True), (chosen[1], False)]
    assert "changed by someone else" in st.results[1].message
    assert st.selected == [] and st.bulk_running is False
    assert _inv(engine, chosen[0]).status == "approved"
    assert _inv(engine, chosen[1]).status == "in_review"
    _call(st, "set_tab", "approved")
    assert [r.id for r in st.rows] == [chosen[0]]
    _call(st, "toggle", chosen[0])
    _call(st, "issue_selected")
    issued = _inv(engine, chosen[0])
    assert issued.status == "issued" and issued.number.startswith("INV-")


def test_queue_link_from_a_bill_run_presets_the_filter(engine, world) -> None:
    st = _state(ReviewState, world["tokens"]["viewer"],
                f"/invoices?run={world['run_id']}&status=all")
    _call(st, "load")
    assert st.run_id == str(world["run_id"]) and st.tab == "all" and st.total == 3


def test_support_reads_the_queue_but_cannot_select_or_approve(engine, world) -> None:
    st = _state(ReviewState, world["tokens"]["support"], "/invoices")
    _call(st, "load")
    assert st.total == 6
    before = _audit_count(engine)
    assert REFUSED in repr(_call(st, "toggle", st.rows[0].id))
    st.selected = [st.rows[0].id]  # even a tampered selection changes nothing
    assert REFUSED in repr(_call(st, "approve_selected"))
    assert {r.status for r in st.rows} == {"draft"}
    assert _inv(engine, st.rows[0].id).status == "draft"
    assert _audit_count(engine) == before


# ----------------------------------------------------------------------------- detail


def test_detail_shows_lines_usage_history_and_exports(engine, world) -> None:
    iid = world["ids"]["ACME"]
    st = _state(InvoiceState, world["tokens"]["viewer"], f"/invoices/{iid}")
    _call(st, "load")
    assert st.found and st.customer_code == "ACME" and st.status == "draft"
    assert {x.kind for x in st.lines} >= {"recurring", "usage"}
    assert st.usage_options and st.events_total == 2 and len(st.events) == 2
    assert st.usage_figure.data and len(st.usage_figure.data[0].x) == 2
    assert [p.period for p in st.previous] == ["2026-02-01 – 2026-02-28"]
    assert [h.action for h in st.history] == ["invoice.draft"]
    csv_event = _call(st, "download_csv")
    assert "data:text/csv" in str(csv_event)
    pdf_event = _call(st, "download_pdf")
    assert "application/pdf" in str(pdf_event)
    missing = _state(InvoiceState, world["tokens"]["viewer"], "/invoices/999999")
    _call(missing, "load")
    assert not missing.found and "No invoice" in missing.message


def test_stale_version_is_refused_with_the_message_and_changes_nothing(engine, world) -> None:
    iid = world["ids"]["GLOBEX"]
    st = _state(InvoiceState, world["tokens"]["finance"], f"/invoices/{iid}")
    _call(st, "load")
    loaded = st.version
    # finance2 holds it after the page was loaded
    other = _state(InvoiceState, world["tokens"]["finance2"], f"/invoices/{iid}")
    _call(other, "load")
    _call(other, "hold", {"reason": "usage looks wrong"})
    held = _inv(engine, iid)
    assert held.status == "in_review" and held.version == loaded + 1
    audits = _audit_count(engine)
    _call(st, "approve")
    assert "changed by someone else" in st.action_error
    assert st.version == loaded  # the page still shows what it loaded
    after = _inv(engine, iid)
    assert (after.status, after.version) == ("in_review", held.version)
    assert _audit_count(engine) == audits
    _call(st, "reload")
    assert st.status == "in_review" and st.hold_reason == "usage looks wrong"
    assert "release_hold" in st.actions and "approve" not in st.actions


def test_edit_line_then_another_reviewer_approves_and_issues(engine, world) -> None:
    iid = world["ids"]["ACME"]
    st = _state(InvoiceState, world["tokens"]["finance"], f"/invoices/{iid}")
    _call(st, "load")
    usage = next(x for x in st.lines if x.kind == "usage")
    _call(st, "open_edit", usage.id)
    assert st.dialog == "edit" and st.edit_quantity == usage.quantity
    _call(st, "save_edit", {"quantity": "1500", "amount": "", "description": usage.description,
                            "reason": ""})
    assert "reason" in st.edit_error.lower()
    _call(st, "save_edit", {"quantity": "1500", "amount": "", "description": usage.description,
                            "reason": "500 test calls"})
    assert st.dialog == "" and st.edit_error == ""
    assert next(x for x in st.lines if x.id == usage.id).amount == "$15.00"
    _call(st, "approve")  # the editor may not approve
    assert "another reviewer" in st.action_error and st.status == "draft"
    other = _state(InvoiceState, world["tokens"]["finance2"], f"/invoices/{iid}")
    _call(other, "load")
    _call(other, "approve")
    _call(other, "issue")
    assert other.status == "issued" and other.number.startswith("INV-")
    assert [h.action for h in other.history][:3] == ["invoice.issue", "invoice.approve",
                                                     "invoice.edit_line"]  # newest first


def test_credit_note_above_threshold_needs_another_finance_user(engine, world) -> None:
    iid = world["ids"]["INITECH"]
    with unit_of_work(engine) as s:
        from console.billing.usecases import invoices as inv_svc
        fin = bf.actor(world["users"]["finance"], "finance")
        v = s.get(Invoice, iid).version
        inv_svc.approve_invoice(s, invoice_id=iid, version=v, actor=fin)
        inv_svc.issue_invoice(s, invoice_id=iid, version=v + 1, actor=fin)
    st = _state(InvoiceState, world["tokens"]["finance"], f"/invoices/{iid}")
    _call(st, "load")
    assert "credit" in st.actions
    fee = next(x for x in st.lines if x.kind == "recurring")
    _call(st, "open_dialog", "credit")
    _call(st, "preview_credit", {f"line_{fee.id}": "80.00", "reason": ""})
    assert "reason" in st.credit_error.lower() and not st.credit_checked
    _call(st, "preview_credit", {f"line_{fee.id}": "80.001", "reason": "goodwill"})
    assert "decimals" in st.credit_error
    _call(st, "preview_credit", {f"line_{fee.id}": "80.00", "reason": "goodwill"})
    assert st.credit_checked and st.credit_total == "$88.00" and st.credit_needs_approval
    _call(st, "create_credit")
    assert st.dialog == "" and [n.status for n in st.credit_notes] == ["pending_approval"]
    assert [p.mine for p in st.pending] == [True]
    note_id = st.pending[0].id
    _call(st, "approve_credit", note_id)  # the creator is refused on the server
    assert "another finance user" in st.action_error
    with read_session(engine) as s:
        assert s.get(CreditNote, note_id).status == "pending_approval"
    other = _state(InvoiceState, world["tokens"]["finance2"], f"/invoices/{iid}")
    _call(other, "load")
    assert [p.mine for p in other.pending] == [False]
    _call(other, "approve_credit", note_id)
    assert other.action_error == "" and other.pending == []
    assert other.credit_notes[0].status == "issued"
    assert other.credit_notes[0].number.startswith("CN-")
    assert _inv(engine, iid).credited_minor == 8800
    assert other.credited == "$88.00"


def test_full_credit_within_threshold_is_issued_at_once(engine, world) -> None:
    iid = world["ids"]["GLOBEX"]
    with unit_of_work(engine) as s:
        bf.set_policy(s, "approval_thresholds", {"credit_note_minor": 10_000_000})
        from console.billing.usecases import invoices as inv_svc
        fin = bf.actor(world["users"]["finance"], "finance")
        v = s.get(Invoice, iid).version
        inv_svc.approve_invoice(s, invoice_id=iid, version=v, actor=fin)
        inv_svc.issue_invoice(s, invoice_id=iid, version=v + 1, actor=fin)
    st = _state(InvoiceState, world["tokens"]["finance"], f"/invoices/{iid}")
    _call(st, "load")
    _call(st, "preview_credit", {"full": "on", "reason": "service outage"})
    assert st.credit_checked and not st.credit_needs_approval
    _call(st, "create_credit")
    inv = _inv(engine, iid)
    assert inv.credited_minor == inv.total_minor and inv.status == "paid"
    assert st.status == "paid" and st.balance == "$0.00"


def test_support_sees_the_invoice_but_every_action_is_refused(engine, world) -> None:
    iid = world["ids"]["ACME"]
    st = _state(InvoiceState, world["tokens"]["support"], f"/invoices/{iid}")
    _call(st, "load")
    assert st.found
    before = _inv(engine, iid)
    audits = _audit_count(engine)
    line_id = st.lines[0].id
    for name, args in (("approve", ()), ("hold", ({"reason": "x"},)), ("issue", ()),
                       ("void", ({"reason": "x"},)), ("open_edit", (line_id,)),
                       ("save_edit", ({"amount": "1", "reason": "x"},)),
                       ("preview_credit", ({"full": "on", "reason": "x"},)),
                       ("create_credit", ()), ("approve_credit", (1,))):
        assert REFUSED in repr(_call(st, name, *args)), name
    after = _inv(engine, iid)
    assert (after.status, after.version, after.total_minor) == (before.status, before.version,
                                                                 before.total_minor)
    assert _audit_count(engine) == audits


# ----------------------------------------------------------------------------- bill runs


def test_bill_run_page_runs_a_month_and_rerunning_creates_nothing(engine, world) -> None:
    with unit_of_work(engine) as s:
        c = bf.customer(s, "HOOLI", name="Hooli")
        bf.subscription(s, c, world["cat"]["version"], started_on=date(2025, 1, 1))
    st = _state(BillRunsState, world["tokens"]["finance"], "/bill-runs")
    _call(st, "load")
    assert st.month == "2026-04" and len(st.runs) == 2
    _call(st, "start_run", {"month": "2026-13", "wave": ""})
    assert "month" in st.error.lower()
    _call(st, "start_run", {"month": "2026-04", "wave": "0"})
    assert "1 to 100" in st.error
    _call(st, "start_run", {"month": "2026-04", "wave": "50"})
    assert st.error == "" and st.outcome_kind == "created" and not st.running
    run = st.runs[0]
    assert run.period.startswith("2026-04-01") and run.status in ("paused", "completed")
    if run.status == "paused":
        _call(st, "release_rest", run.id)
        assert st.runs[0].status == "completed"
    with read_session(engine) as s:
        count = s.execute(sa.select(sa.func.count()).select_from(Invoice).where(
            Invoice.period_start == date(2026, 4, 1))).scalar_one()
    assert count == 4
    _call(st, "start_run", {"month": "2026-04", "wave": ""})
    assert st.outcome_kind == "nothing_new" and "already exist" in st.outcome
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Invoice).where(
            Invoice.period_start == date(2026, 4, 1))).scalar_one() == count
        assert s.execute(sa.select(sa.func.count()).select_from(BillRun)).scalar_one() == 3


def test_support_cannot_start_a_bill_run(engine, world) -> None:
    st = _state(BillRunsState, world["tokens"]["support"], "/bill-runs")
    _call(st, "load")
    assert len(st.runs) == 2
    assert REFUSED in repr(_call(st, "start_run", {"month": "2026-04", "wave": ""}))
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(BillRun)).scalar_one() == 2


# ----------------------------------------------------------------------------- usage upload


def _upload(name: str, text: str) -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(text.encode()), path=Path(name))


def test_usage_upload_reports_duplicates_and_rejections(engine, world) -> None:
    with unit_of_work(engine) as s:  # an import recorded with the older error keys
        s.add(UsageImport(source="cli", filename="old.csv", status="rejected", received=2,
                          inserted=0, duplicates=0, rejected=1,
                          errors=[{"row": 2, "error": "unknown meter 'gpu'"}]))
    st = _state(UsageState, world["tokens"]["finance"], "/usage")
    _call(st, "load")
    assert st.imports[0].errors == ("line 2: unknown meter 'gpu'",)
    good = ("customer_code,event_type,quantity,timestamp,idempotency_key\n"
            "ACME,calls,5,2026-03-10T10:00:00Z,up-1\n"
            "ACME,calls,5,2026-03-10T10:00:00Z,up-1\n"
            "GLOBEX,calls,2.5,2026-03-11T10:00:00+00:00,up-2\n")
    out = _call(st, "upload", [_upload("march.csv", good)])
    assert st.importing and any("run_import" in repr(e) for e in out)
    _call(st, "run_import")
    assert (st.report_status, st.report_inserted, st.report_duplicates, st.report_rejected) == (
        "accepted", 2, 1, 0)
    assert st.imports[0].filename == "march.csv" and not st.importing
    bad = '{"customer_code": "ACME", "event_type": "calls", "quantity": "1", ' \
          '"timestamp": "2026-03-12T10:00:00", "idempotency_key": "up-3"}\n'
    _call(st, "upload", [_upload("bad.jsonl", bad)])
    _call(st, "run_import")
    assert st.report_status == "rejected" and st.report_rejected == 1
    assert "offset is required" in st.report_errors[0]
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(UsageEvent).where(
            UsageEvent.idempotency_key.like("up-%"))).scalar_one() == 2
    _call(st, "upload", [_upload("notes.txt", "hello")])
    assert "csv" in st.error


def test_support_cannot_upload_usage(engine, world) -> None:
    st = _state(UsageState, world["tokens"]["support"], "/usage")
    _call(st, "load")
    imports = len(st.imports)
    out = _call(st, "upload", [_upload("x.csv", "customer_code\n")])
    assert REFUSED in repr(out) and not st.importing
    assert REFUSED in repr(_call(st, "run_import"))
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(UsageImport)).scalar_one() \
            == imports


# ----------------------------------------------------------------------------- usage API


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_usage_api_is_mounted_beside_the_auth_routes(engine, world, monkeypatch) -> None:
    from starlette.testclient import TestClient

    from console.app import _api

    monkeypatch.setenv("CONSOLE_USAGE_API_TOKEN", "e2e-usage-token")
    client = TestClient(_api())
    event = {"customer_code": "ACME", "event_type": "calls", "quantity": "4",
             "timestamp": "2026-03-20T10:00:00Z", "idempotency_key": "api-1"}
    ok = client.post("/api/usage/events", json=[event],
                     headers={"Authorization": "Bearer e2e-usage-token"})
    assert ok.status_code == 200 and ok.json()["inserted"] == 1
    again = client.post("/api/usage/events", json={"events": [event]},
                        headers={"Authorization": "Bearer e2e-usage-token"})
    assert again.json()["duplicates"] == 1
    assert client.post("/api/usage/events", json=[event]).status_code == 401
    assert client.get("/auth/logout", follow_redirects=False).status_code == 303
