"""Collections on real databases: the aging worklist, CSV export, notes and promises to pay,
and write-offs approved by a second finance user."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from console.collections.queries.customer_collections import customer_collections
from console.collections.queries.worklist import WorklistFilter, bucket_totals, worklist
from console.collections.queries.worklist_export import export_csv
from console.collections.queries.write_offs import pending_write_offs
from console.collections.usecases.notes import add_note, add_note_view
from console.collections.usecases.write_offs import (
    decide_write_off,
    decide_write_off_view,
    request_write_off,
    request_write_off_view,
)
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from models import (
    Approval,
    ApprovalRequest,
    AuditEvent,
    CollectionNote,
    Invoice,
    PaymentAttempt,
)
from models.db import read_session, unit_of_work
from tests.integration import billing_fixtures as bf

pytestmark = pytest.mark.integration
AS_OF = date(2026, 11, 20)


def _invoice(s, cust, n: int, *, days_past_due: int, total: int, paid: int = 0,
             credited: int = 0, status: str = "issued", currency: str = "USD") -> Invoice:
    due = AS_OF - timedelta(days=days_past_due)
    start = date(2025, 1, 1) + timedelta(days=31 * n)
    inv = Invoice(customer_id=cust.id, period_start=start, period_end=start + timedelta(days=27),
                  currency=currency, status=status, number=f"INV-2026-{n:06d}",
                  subtotal_minor=total, total_minor=total, paid_minor=paid,
                  credited_minor=credited, due_date=due,
                  issued_at=datetime.combine(due - timedelta(days=30), datetime.min.time(), UTC))
    s.add(inv)
    s.flush()
    return inv


def _world(engine) -> dict:
    with unit_of_work(engine) as s:
        people = bf.staff(s)
        acme = bf.customer(s, "ACME", name="Acme Corp")
        beta = bf.customer(s, "BETA", name="Beta GmbH", currency="EUR")
        gamma = bf.customer(s, "GAMMA", name="Gamma Ltd")
        invs = {
            "a_current": _invoice(s, acme, 1, days_past_due=-5, total=1000),
            "a_15": _invoice(s, acme, 2, days_past_due=15, total=2000, paid=500),
            "a_95": _invoice(s, acme, 3, days_past_due=95, total=3000),
            "a_paid": _invoice(s, acme, 4, days_past_due=40, total=9999, status="paid",
                               paid=9999),
            "b_45": _invoice(s, beta, 5, days_past_due=45, total=4000, currency="EUR"),
            "b_70": _invoice(s, beta, 6, days_past_due=70, total=5000, credited=1000,
                             currency="EUR"),
            "g_0": _invoice(s, gamma, 7, days_past_due=0, total=700),
            "g_settled": _invoice(s, gamma, 8, days_past_due=10, total=700, credited=700),
        }
        return {"people": people, "acme": acme.id, "beta": beta.id, "gamma": gamma.id,
                "inv": {k: (v.id, v.version) for k, v in invs.items()},
                "fin": bf.actor(people["finance"], "finance"),
                "fin2": bf.actor(people["finance2"], "finance2"),
                "support": bf.actor(people["support"], "support")}


def test_worklist_ages_open_receivables_per_customer(engine) -> None:
    _world(engine)
    with read_session(engine) as s:
        rows, total = worklist(s, WorklistFilter(), as_of=AS_OF)
        assert total == 3
        by_code = {r.customer_code: r for r in rows}
        a = by_code["ACME"]
        assert (a.invoices, a.total_minor, a.current, a.d1_30, a.d90_plus, a.days_past_due) == (
            3, 5500, "$10.00", "$15.00", "$30.00", 95)
        b = by_code["BETA"]
        assert (b.currency, b.d31_60, b.d61_90, b.total) == ("EUR", "€40.00", "€40.00",
                                                             "€80.00")
        assert by_code["GAMMA"].current == "$7.00"
        assert [r.customer_code for r in rows] == ["ACME", "BETA", "GAMMA"]  # oldest first
        only_90, n = worklist(s, WorklistFilter(bucket="90+"), as_of=AS_OF)
        assert n == 1 and only_90[0].customer_code == "ACME"
        eur, _ = worklist(s, WorklistFilter(currency="EUR"), as_of=AS_OF)
        assert [r.customer_code for r in eur] == ["BETA"]
        by_total, _ = worklist(s, WorklistFilter(sort="total"), as_of=AS_OF)
        assert [r.customer_code for r in by_total] == ["BETA", "ACME", "GAMMA"]
        found, _ = worklist(s, WorklistFilter(text="gmbh"), as_of=AS_OF)
        assert [r.customer_code for r in found] == ["BETA"]
        totals = {(t.currency, t.bucket): t.amount_minor
                  for t in bucket_totals(s, as_of=AS_OF)}
        assert totals == {("EUR", "current"): 0, ("EUR", "1-30"): 0, ("EUR", "31-60"): 4000,
                          ("EUR", "61-90"): 4000, ("EUR", "90+"): 0,
                          ("USD", "current"): 1700, ("USD", "1-30"): 1500,
                          ("USD", "31-60"): 0, ("USD", "61-90"): 0, ("USD", "90+"): 3000}
        page, n = worklist(s, WorklistFilter(), as_of=AS_OF, page=1, page_size=2)
        assert n == 3 and [r.customer_code for r in page] == ["GAMMA"]


def test_csv_export(engine) -> None:
    _world(engine)
    with read_session(engine) as s:
        text = export_csv(s, WorklistFilter(), as_of=AS_OF)
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(r["invoice"], r["bucket"], r["open"], r["days_past_due"]) for r in rows] == [
            ("INV-2026-000003", "90+", "30.00", "95"),
            ("INV-2026-000002", "1-30", "15.00", "15"),
            ("INV-2026-000001", "current", "10.00", "-5"),
            ("INV-2026-000006", "61-90", "40.00", "70"),
            ("INV-2026-000005", "31-60", "40.00", "45"),
            ("INV-2026-000007", "current", "7.00", "0")]
        only = export_csv(s, WorklistFilter(bucket="61-90"), as_of=AS_OF)
        assert len(only.strip().splitlines()) == 2


def test_notes_and_promises_to_pay(engine) -> None:
    w = _world(engine)
    with unit_of_work(engine) as s:
        add_note(s, customer_id=w["acme"], body="Left a voicemail.", actor=w["fin"])
        add_note(s, customer_id=w["acme"], body="Will pay the old one on Friday.",
                 kind="promise_to_pay", invoice_id=w["inv"]["a_95"][0],
                 promised_on=date(2026, 11, 27), promised_minor=3000, actor=w["fin"],
                 today=AS_OF)
    for kwargs, message in (
            ({"promised_on": date(2026, 11, 1), "promised_minor": 100}, "past"),
            ({"promised_on": date(2026, 12, 1), "promised_minor": 3001}, "more than the open"),
            ({"promised_on": None, "promised_minor": 5}, "date")):
        with pytest.raises(InvalidInput, match=message), unit_of_work(engine) as s:
            add_note(s, customer_id=w["acme"], body="x", kind="promise_to_pay",
                     invoice_id=w["inv"]["a_95"][0], actor=w["fin"], today=AS_OF, **kwargs)
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        add_note(s, customer_id=w["acme"], body="x", actor=w["support"])
    with read_session(engine) as s:
        rows, _ = worklist(s, WorklistFilter(text="ACME"), as_of=AS_OF)
        assert rows[0].promise == "$30.00 by 2026-11-27"
        detail = customer_collections(s, w["acme"], as_of=AS_OF)
        assert [n.kind for n in detail.notes] == ["promise to pay", "note"]
        assert [i.number for i in detail.invoices] == ["INV-2026-000003", "INV-2026-000002",
                                                      "INV-2026-000001"]
        assert detail.invoices[0].bucket == "90+ days"
        assert s.execute(sa.select(sa.func.count()).select_from(CollectionNote)).scalar_one() == 2
        assert s.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action.like("collections.%"))).scalar_one() == 2
    out = add_note_view(w["acme"], "promise", user_id=w["people"]["finance"],
                        kind="promise_to_pay", promised_on="2026-13-01",
                        promised_amount="1")
    assert not out.ok and "not a date" in out.message


def test_write_off_needs_a_second_finance_user(engine) -> None:
    w = _world(engine)
    inv_id = w["inv"]["a_95"][0]
    with unit_of_work(engine) as s:
        s.add(PaymentAttempt(invoice_id=inv_id, attempt_no=2, idempotency_key="pay-x-2",
                             amount_minor=3000, currency="USD", status="scheduled",
                             scheduled_at=datetime(2026, 12, 1, tzinfo=UTC)))
    with pytest.raises(InvalidInput, match="reason"), unit_of_work(engine) as s:
        request_write_off(s, invoice_id=inv_id, reason=" ", actor=w["fin"])
    with unit_of_work(engine) as s:
        req = request_write_off(s, invoice_id=inv_id, reason="Company insolvent",
                                actor=w["fin"])
        req_id, version = req.id, req.version
        assert (req.kind, req.required_role, req.payload["amount_minor"]) == (
            "write_off", "finance", 3000)
    with pytest.raises(Conflict, match="already waits"), unit_of_work(engine) as s:
        request_write_off(s, invoice_id=inv_id, reason="again", actor=w["fin2"])
    with pytest.raises(NotAllowed, match="another finance user"), unit_of_work(engine) as s:
        decide_write_off(s, request_id=req_id, version=version, actor=w["fin"],
                         approve=True)
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        decide_write_off(s, request_id=req_id, version=version, actor=w["support"],
                         approve=True)
    with read_session(engine) as s:
        assert s.get(Invoice, inv_id).status == "issued"
        assert [r.id for r in pending_write_offs(s)] == [req_id]
    with unit_of_work(engine) as s:
        decide_write_off(s, request_id=req_id, version=version, actor=w["fin2"],
                         approve=True, comment="Agreed")
    with pytest.raises(Conflict, match="changed by someone else"), unit_of_work(engine) as s:
        decide_write_off(s, request_id=req_id, version=version, actor=w["fin2"],
                         approve=True)
    with read_session(engine) as s:
        assert s.get(Invoice, inv_id).status == "uncollectible"
        assert s.get(ApprovalRequest, req_id).status == "approved"
        assert s.execute(sa.select(Approval.approver_id)).scalar_one() == w["people"]["finance2"]
        assert s.execute(sa.select(PaymentAttempt.status)).scalar_one() == "canceled"
        actions = list(s.execute(sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "invoice", AuditEvent.object_id == str(inv_id))
            .order_by(AuditEvent.id)).scalars())
        assert actions == ["write_off.request", "write_off.approve",
                           "invoice.mark_uncollectible"]
        rows, _ = worklist(s, WorklistFilter(text="ACME"), as_of=AS_OF)
        assert rows[0].d90_plus == "$0.00"


def test_rejected_write_off_keeps_the_invoice(engine) -> None:
    w = _world(engine)
    inv_id = w["inv"]["b_70"][0]
    out = request_write_off_view(inv_id, "Small balance", user_id=w["people"]["finance"])
    assert out.ok
    with read_session(engine) as s:
        req = s.execute(sa.select(ApprovalRequest)).scalar_one()
    out = decide_write_off_view(req.id, req.version, user_id=w["people"]["finance2"],
                                approve=False)
    assert not out.ok and "why" in out.message
    out = decide_write_off_view(req.id, req.version, user_id=w["people"]["finance2"],
                                approve=False, comment="Call them first")
    assert out.ok
    with read_session(engine) as s:
        assert s.get(Invoice, inv_id).status == "issued"
        assert s.get(ApprovalRequest, req.id).status == "rejected"
    with pytest.raises(Conflict, match="Only issued"), unit_of_work(engine) as s:
        request_write_off(s, invoice_id=w["inv"]["a_paid"][0], reason="x", actor=w["fin"])


def test_write_off_is_refused_when_a_payment_came_in_after_the_request(engine) -> None:
    w = _world(engine)
    inv_id = w["inv"]["a_95"][0]
    with unit_of_work(engine) as s:
        req = request_write_off(s, invoice_id=inv_id, reason="Company insolvent",
                                actor=w["fin"])
        req_id, version = req.id, req.version
    with unit_of_work(engine) as s:  # a partial payment arrives before the approval
        inv = s.get(Invoice, inv_id)
        inv.paid_minor += 1000
    with pytest.raises(Conflict, match=r"open balance changed.*\$30\.00 then, \$20\.00 now"), \
            unit_of_work(engine) as s:
        decide_write_off(s, request_id=req_id, version=version, actor=w["fin2"],
                         approve=True, comment="Agreed")
    with read_session(engine) as s:
        assert s.get(Invoice, inv_id).status == "issued"
        assert s.get(ApprovalRequest, req_id).status == "pending"
