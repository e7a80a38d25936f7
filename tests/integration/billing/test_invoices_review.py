"""Invoice review on real databases: queue, detail, actions with optimistic concurrency."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from console.audit import verify
from console.billing.queries.exports import invoice_csv, invoice_pdf
from console.billing.queries.invoice_detail import invoice_detail, line_events_view
from console.billing.queries.review_queue import ReviewFilter, review_queue
from console.billing.usecases import invoices as inv_svc
from console.billing.usecases.invoice_lines import edit_line
from console.kernel.actor import Actor
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from models import AuditEvent, Customer, Invoice, InvoiceLine, Payment
from models.db import read_session, unit_of_work
from models.types import utcnow
from tests.integration import billing_fixtures as bf

pytestmark = pytest.mark.integration
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
FEB = (date(2026, 2, 1), date(2026, 2, 28))


@pytest.fixture
def world(engine) -> dict:
    """Three customers billed for February and March; ACME has usage and prepaid credit."""
    with unit_of_work(engine) as s:
        users = bf.staff(s)
        cat = bf.simple_catalog(s)
        acme = bf.customer(s, "ACME", name="Acme Corp", credit_balance_minor=1000,
                           payment_terms_days=14)
        bf.subscription(s, acme, cat["version"], started_on=date(2025, 1, 1))
        for code, name in (("GLOBEX", "Globex"), ("INITECH", "Initech")):
            c = bf.customer(s, code, name=name)
            bf.subscription(s, c, cat["version"], started_on=date(2025, 1, 1))
        bf.usage(s, [("ACME", "calls", "1500", "2026-03-03T10:00:00+00:00"),
                     ("ACME", "calls", "500", "2026-03-04T10:00:00+00:00"),
                     ("GLOBEX", "calls", "100", "2026-02-10T10:00:00+00:00")])
    bf.bill(engine, FEB)  # draws ACME's prepaid credit
    with unit_of_work(engine) as s:
        s.execute(sa.update(Customer).where(Customer.code == "ACME").values(
            credit_balance_minor=1000))
    run_id = bf.bill(engine, MARCH)
    with read_session(engine) as s:
        ids = {code: iid for code, iid in s.execute(
            sa.select(Customer.code, Invoice.id).join(Invoice, Invoice.customer_id == Customer.id)
            .where(Invoice.period_start == MARCH[0]))}
    fin = Actor(users["finance"], "finance@demo.test")
    fin2 = Actor(users["finance2"], "finance2@demo.test")
    return {"ids": ids, "run_id": run_id, "fin": fin, "fin2": fin2, "users": users}


def _inv(engine, invoice_id: int) -> Invoice:
    with read_session(engine) as s:
        inv = s.get(Invoice, invoice_id)
        s.expunge(inv)
        return inv


def _audits(engine, invoice_id: int) -> list[str]:
    with read_session(engine) as s:
        return list(s.execute(sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "invoice", AuditEvent.object_id == str(invoice_id))
            .order_by(AuditEvent.id)).scalars())


def test_march_invoice_amounts(engine, world) -> None:
    acme = _inv(engine, world["ids"]["ACME"])
    # 100.00 platform + 2000 calls * 0.01 = 20.00; tax 10 % per line; 10.00 prepaid credit.
    assert (acme.subtotal_minor, acme.tax_minor, acme.total_minor) == (11000, 1200, 12200)


def test_stale_version_approve_is_refused_and_changes_nothing(engine, world) -> None:
    iid = world["ids"]["ACME"]
    before = _inv(engine, iid)
    with unit_of_work(engine) as s:
        inv_svc.hold_invoice(s, invoice_id=iid, version=before.version, reason="check usage",
                             actor=world["fin"])
    with unit_of_work(engine) as s:
        inv_svc.release_hold(s, invoice_id=iid, version=before.version + 1, actor=world["fin"])
    current = _inv(engine, iid)
    assert current.version == before.version + 2 and current.status == "draft"
    with pytest.raises(Conflict, match="changed by someone else"), unit_of_work(engine) as s:
        inv_svc.approve_invoice(s, invoice_id=iid, version=before.version, actor=world["fin"])
    after = _inv(engine, iid)
    assert (after.status, after.version, after.approved_by) == ("draft", current.version, None)
    assert "invoice.approve" not in _audits(engine, iid)
    outcome = inv_svc.approve_view(iid, before.version, user_id=world["users"]["finance"])
    assert not outcome.ok and "reload" in outcome.message


def test_hold_needs_reason_and_held_invoice_cannot_be_approved(engine, world) -> None:
    iid = world["ids"]["GLOBEX"]
    v = _inv(engine, iid).version
    with pytest.raises(InvalidInput), unit_of_work(engine) as s:
        inv_svc.hold_invoice(s, invoice_id=iid, version=v, reason="  ", actor=world["fin"])
    with unit_of_work(engine) as s:
        inv_svc.hold_invoice(s, invoice_id=iid, version=v, reason="customer asked",
                             actor=world["fin"])
    held = _inv(engine, iid)
    assert (held.status, held.hold_reason) == ("in_review", "customer asked")
    with pytest.raises(Conflict, match="release a hold"), unit_of_work(engine) as s:
        inv_svc.approve_invoice(s, invoice_id=iid, version=held.version, actor=world["fin"])


def test_approve_issue_numbers_and_due_dates(engine, world) -> None:
    numbers = []
    for code in ("ACME", "GLOBEX"):
        iid = world["ids"][code]
        v = _inv(engine, iid).version
        with unit_of_work(engine) as s:
            inv_svc.approve_invoice(s, invoice_id=iid, version=v, actor=world["fin"])
        with unit_of_work(engine) as s:
            inv = inv_svc.issue_invoice(s, invoice_id=iid, version=v + 1, actor=world["fin2"])
            numbers.append(inv.number)
    year = utcnow().year
    assert numbers == [f"INV-{year}-000001", f"INV-{year}-000002"]
    acme = _inv(engine, world["ids"]["ACME"])
    assert acme.status == "issued"
    assert acme.due_date == acme.issued_at.date() + timedelta(days=14)
    assert _audits(engine, acme.id)[-2:] == ["invoice.approve", "invoice.issue"]


def test_edit_line_is_audited_and_recomputes_tax_and_totals(engine, world) -> None:
    iid = world["ids"]["ACME"]
    inv = _inv(engine, iid)
    with read_session(engine) as s:
        usage_line = s.execute(sa.select(InvoiceLine).where(
            InvoiceLine.invoice_id == iid, InvoiceLine.kind == "usage")).scalar_one()
        line_id = usage_line.id
    with pytest.raises(InvalidInput), unit_of_work(engine) as s:
        edit_line(s, invoice_id=iid, version=inv.version, line_id=line_id, reason="",
                          actor=world["fin"], amount_minor=1000)
    with unit_of_work(engine) as s:
        edit_line(s, invoice_id=iid, version=inv.version, line_id=line_id,
                          reason="500 calls were a test", actor=world["fin"], quantity="1500")
    after = _inv(engine, iid)
    # 1500 calls * 0.01 = 15.00 (+1.50 tax); credit stays 10.00: 10000+1500-1000 + 1150.
    assert (after.subtotal_minor, after.tax_minor, after.total_minor) == (10500, 1150, 11650)
    assert after.version == inv.version + 1
    with read_session(engine) as s:
        line = s.get(InvoiceLine, line_id)
        assert (line.quantity, line.amount_minor, line.tax_minor, line.edit_reason) == (
            "1500", 1500, 150, "500 calls were a test")
        ev = s.execute(sa.select(AuditEvent).where(AuditEvent.action == "invoice.edit_line")
                       ).scalar_one()
        assert ev.before["line"]["amount_minor"] == 2000
        assert ev.after["line"]["amount_minor"] == 1500
        assert ev.after["invoice"]["total_minor"] == 11650
        assert ev.reason == "500 calls were a test" and ev.actor_id == world["users"]["finance"]
    # Maker-checker: the editor cannot approve; another reviewer can.
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        inv_svc.approve_invoice(s, invoice_id=iid, version=after.version, actor=world["fin"])
    with unit_of_work(engine) as s:
        inv_svc.approve_invoice(s, invoice_id=iid, version=after.version, actor=world["fin2"])


def test_issued_invoice_cannot_be_edited(engine, world) -> None:
    iid = world["ids"]["INITECH"]
    v = _inv(engine, iid).version
    with unit_of_work(engine) as s:
        inv_svc.approve_invoice(s, invoice_id=iid, version=v, actor=world["fin"])
        inv_svc.issue_invoice(s, invoice_id=iid, version=v + 1, actor=world["fin"])
    issued = _inv(engine, iid)
    with read_session(engine) as s:
        line = s.execute(sa.select(InvoiceLine).where(InvoiceLine.invoice_id == iid)).scalars(
        ).first()
        line_id, amount = line.id, line.amount_minor
    with pytest.raises(Conflict, match="issued invoices never change"), unit_of_work(engine) as s:
        edit_line(s, invoice_id=iid, version=issued.version, line_id=line_id,
                          reason="typo", actor=world["fin"], amount_minor=1)
    with read_session(engine) as s:
        assert s.get(InvoiceLine, line_id).amount_minor == amount
    assert _inv(engine, iid).total_minor == issued.total_minor


def test_void_returns_prepaid_credit_and_mark_paid_records_payment(engine, world) -> None:
    acme_id = world["ids"]["ACME"]
    with read_session(engine) as s:
        cust_id = s.get(Invoice, acme_id).customer_id
        assert s.get(Customer, cust_id).credit_balance_minor == 0
    v = _inv(engine, acme_id).version
    with unit_of_work(engine) as s:
        inv_svc.void_invoice(s, invoice_id=acme_id, version=v, reason="duplicate",
                             actor=world["fin"])
    with read_session(engine) as s:
        assert s.get(Invoice, acme_id).status == "void"
        assert s.get(Customer, cust_id).credit_balance_minor == 1000

    gid = world["ids"]["GLOBEX"]
    v = _inv(engine, gid).version
    with unit_of_work(engine) as s:
        inv_svc.approve_invoice(s, invoice_id=gid, version=v, actor=world["fin"])
        inv_svc.issue_invoice(s, invoice_id=gid, version=v + 1, actor=world["fin"])
        inv_svc.mark_paid(s, invoice_id=gid, version=v + 2, actor=world["fin"])
    paid = _inv(engine, gid)
    assert paid.status == "paid" and paid.paid_minor == paid.total_minor
    with read_session(engine) as s:
        pay = s.execute(sa.select(Payment).where(Payment.invoice_id == gid)).scalar_one()
        assert pay.amount_minor == paid.total_minor
    with pytest.raises(Conflict), unit_of_work(engine) as s:
        inv_svc.void_invoice(s, invoice_id=gid, version=paid.version, reason="x",
                             actor=world["fin"])


def test_support_cannot_review(engine, world) -> None:
    iid = world["ids"]["ACME"]
    v = _inv(engine, iid).version
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        inv_svc.approve_invoice(s, invoice_id=iid, version=v,
                                actor=Actor(world["users"]["support"], "support"))


def test_bulk_approve_reports_each_outcome(engine, world) -> None:
    ids = world["ids"]
    items = [(ids["ACME"], _inv(engine, ids["ACME"]).version),
             (ids["GLOBEX"], 999),
             (ids["INITECH"], _inv(engine, ids["INITECH"]).version)]
    outcomes = inv_svc.approve_many_view(items, user_id=world["users"]["finance"])
    assert [o.ok for o in outcomes] == [True, False, True]
    assert "changed by someone else" in outcomes[1].message
    assert _inv(engine, ids["GLOBEX"]).status == "draft"


def test_review_queue_filters_sorts_and_pages(engine, world) -> None:
    with read_session(engine) as s:
        rows, total = review_queue(s)
        assert total == 6  # February and March drafts
        rows, total = review_queue(
            s, filters=ReviewFilter(bill_run_id=world["run_id"]), sort="amount",
            descending=True)
        assert total == 3
        assert [r.total_minor for r in rows] == sorted((r.total_minor for r in rows),
                                                       reverse=True)
        rows, total = review_queue(s, filters=ReviewFilter(customer="acme"))
        assert total == 2 and {r.customer_code for r in rows} == {"ACME"}
        rows, total = review_queue(
            s, filters=ReviewFilter(min_amount_minor=12000, max_amount_minor=12200))
        assert {r.customer_code for r in rows} == {"ACME"}
        rows, total = review_queue(s, sort="customer", descending=False, page=1,
                                           page_size=4)
        assert total == 6 and len(rows) == 2
        assert [r.customer_name for r in rows] == ["Initech", "Initech"]
        # Only February's drafts are the first invoices on the plan version.
        rows, total = review_queue(
            s, filters=ReviewFilter(flag="first_on_version"))
        assert total == 3 and all(r.period.startswith("2026-02") for r in rows)
        rows, _ = review_queue(s, sort="flags")
        assert rows[0].flag_count >= rows[-1].flag_count
        plan_id = s.execute(sa.select(bf.Plan.id)).scalar_one()
        assert review_queue(s, filters=ReviewFilter(plan_id=plan_id))[1] == 6
        assert review_queue(s, filters=ReviewFilter(status="approved"))[1] == 0


def test_invoice_detail_and_exports(engine, world) -> None:
    iid = world["ids"]["ACME"]
    with read_session(engine) as s:
        d = invoice_detail(s, iid)
        assert d.customer_code == "ACME" and d.total == "$122.00"
        assert [line.kind for line in d.lines] == ["recurring", "usage", "credit"]
        assert d.lines[1].breakdown == ("units 2000 at 0.01 = 20.00",)
        assert len(d.usage) == 1 and d.usage[0].events_total == 2
        assert [p.day for p in d.usage[0].daily] == ["2026-03-03", "2026-03-04"]
        assert [p.quantity for p in d.usage[0].daily] == ["1500", "500"]
        assert len(d.previous) == 1 and d.previous[0].period.startswith("2026-02")
        assert [h.action for h in d.history] == ["invoice.draft"]
        assert "approve" in d.actions and "issue" not in d.actions
        csv_text = invoice_csv(s, iid)
        assert csv_text.splitlines()[0].startswith("invoice,invoice_id,customer_code")
        assert ",usage,Calls: 2000 unit" in csv_text and ",20.00,10,2.00,2000,200" in csv_text
        pdf = invoice_pdf(s, iid)
        assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    events, total = line_events_view(d.lines[1].id)
    assert total == 2 and events[0].quantity == "500"


@pytest.mark.postgres
def test_concurrent_issues_get_distinct_gap_free_numbers(engine, world, db_url) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    with unit_of_work(engine) as s:
        cat = s.execute(sa.select(bf.PlanVersion)).scalar_one()
        for i in range(8):
            c = bf.customer(s, f"PAR{i}")
            bf.subscription(s, c, cat, started_on=date(2025, 1, 1))
    bf.bill(engine, (date(2026, 4, 1), date(2026, 4, 30)))
    with read_session(engine) as s:
        ids = list(s.execute(sa.select(Invoice.id).where(Invoice.status == "draft")
                             .order_by(Invoice.id)).scalars())
    for iid in ids:
        with unit_of_work(engine) as s:
            inv_svc.approve_invoice(s, invoice_id=iid, version=_inv(engine, iid).version,
                                    actor=world["fin"])
    versions = {iid: _inv(engine, iid).version for iid in ids}
    barrier = threading.Barrier(len(ids) + 2)
    results: dict[str, list] = {"ok": [], "conflict": [], "error": []}
    lock = threading.Lock()

    def issue(iid: int) -> None:
        barrier.wait()
        try:
            with unit_of_work(engine) as s:
                inv = inv_svc.issue_invoice(s, invoice_id=iid, version=versions[iid],
                                            actor=world["fin"])
                number = inv.number
            with lock:
                results["ok"].append(number)
        except Conflict:
            with lock:
                results["conflict"].append(iid)
        except Exception as exc:
            with lock:
                results["error"].append(repr(exc))

    # Every approved invoice once, and the first one twice more (two racing issuers).
    threads = [threading.Thread(target=issue, args=(i,)) for i in [*ids, ids[0], ids[0]]]
    barrier = threading.Barrier(len(threads))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["error"] == []
    assert len(results["conflict"]) == 2
    year = utcnow().year
    assert sorted(results["ok"]) == [f"INV-{year}-{n:06d}" for n in range(1, len(ids) + 1)]
    with read_session(engine) as s:
        assert verify(s)[1] is None


def test_audit_chain_holds_after_the_flows(engine, world) -> None:
    iid = world["ids"]["GLOBEX"]
    v = _inv(engine, iid).version
    with unit_of_work(engine) as s:
        inv_svc.hold_invoice(s, invoice_id=iid, version=v, reason="r", actor=world["fin"])
        inv_svc.release_hold(s, invoice_id=iid, version=v + 1, actor=world["fin"])
        inv_svc.approve_invoice(s, invoice_id=iid, version=v + 2, actor=world["fin"])
        inv_svc.issue_invoice(s, invoice_id=iid, version=v + 3, actor=world["fin"])
    with read_session(engine) as s:
        checked, broken = verify(s)
        assert broken is None and checked > 10
