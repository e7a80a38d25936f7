"""Credit notes on real databases: caps, proportional tax, maker-checker approval, settling."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from console.audit import verify
from console.billing.queries import credit_notes as cn_queries
from console.billing.usecases import credit_notes as cn_svc
from console.billing.usecases import invoices as inv_svc
from console.disputes.usecases import credit_decisions
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from models import (
    Approval,
    ApprovalRequest,
    CreditNote,
    CreditNoteLine,
    Customer,
    Dispute,
    Invoice,
    InvoiceLine,
)
from models.db import read_session, unit_of_work
from models.types import utcnow
from tests.integration import billing_fixtures as bf

pytestmark = pytest.mark.integration
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def _issued_invoice(engine, *, credit_balance: int = 0, threshold: int | None = None) -> dict:
    """ACME's March invoice, approved and issued: platform 100.00 + 10.00 tax, 2000 calls
    20.00 + 2.00 tax (total 132.00 less any prepaid credit)."""
    with unit_of_work(engine) as s:
        people = bf.staff(s)
        cat = bf.simple_catalog(s)
        acme = bf.customer(s, "ACME", credit_balance_minor=credit_balance)
        bf.subscription(s, acme, cat["version"], started_on=date(2025, 1, 1))
        bf.usage(s, [("ACME", "calls", "2000", "2026-03-03T10:00:00+00:00")])
        if threshold is not None:
            bf.set_policy(s, "approval_thresholds", {"credit_note_minor": threshold})
    bf.bill(engine, MARCH)
    fin = bf.actor(people["finance"], "finance")
    with unit_of_work(engine) as s:
        inv = s.execute(sa.select(Invoice)).scalar_one()
        inv_svc.approve_invoice(s, invoice_id=inv.id, version=inv.version, actor=fin)
        inv_svc.issue_invoice(s, invoice_id=inv.id, version=inv.version, actor=fin)
        lines = {x.kind: x.id for x in s.execute(sa.select(InvoiceLine).where(
            InvoiceLine.invoice_id == inv.id)).scalars()}
        return {"invoice_id": inv.id, "lines": lines, "people": people, "fin": fin,
                "fin2": bf.actor(people["finance2"], "finance2"),
                "support": bf.actor(people["support"], "support"), "customer_id": acme.id}


def _invoice(engine, invoice_id: int) -> Invoice:
    with read_session(engine) as s:
        inv = s.get(Invoice, invoice_id)
        s.expunge(inv)
        return inv


def _count(engine, model) -> int:
    with read_session(engine) as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def test_partial_credits_by_line_with_proportional_tax(engine) -> None:
    w = _issued_invoice(engine)
    platform = w["lines"]["recurring"]
    year = utcnow().year
    with unit_of_work(engine) as s:
        note = cn_svc.create_credit_note(s, invoice_id=w["invoice_id"], lines={platform: 3333},
                                         reason="outage credit", actor=w["fin"])
        # 33.33 of a 100.00 line taxed 10.00: tax 3.333 -> 3.33.
        assert (note.status, note.number) == ("issued", f"CN-{year}-000001")
        assert (note.amount_minor, note.tax_minor, note.total_minor) == (3333, 333, 3666)
    assert _invoice(engine, w["invoice_id"]).credited_minor == 3666
    with unit_of_work(engine) as s:
        note = cn_svc.create_credit_note(s, invoice_id=w["invoice_id"], lines={platform: 6667},
                                         reason="rest of the fee", actor=w["fin"])
        # The credit that empties the line returns exactly the tax left: 10.00 - 3.33.
        assert (note.tax_minor, note.number) == (667, f"CN-{year}-000002")
    with pytest.raises(InvalidInput, match="left to credit"), unit_of_work(engine) as s:
        cn_svc.create_credit_note(s, invoice_id=w["invoice_id"], lines={platform: 1},
                                  reason="one more cent", actor=w["fin"])
    inv = _invoice(engine, w["invoice_id"])
    assert (inv.credited_minor, inv.status) == (11000, "issued")
    with read_session(engine) as s:
        tax_back = s.execute(sa.select(sa.func.sum(CreditNoteLine.tax_minor)).where(
            CreditNoteLine.invoice_line_id == platform)).scalar_one()
        assert tax_back == s.get(InvoiceLine, platform).tax_minor


def test_credit_over_the_remaining_balance_is_refused(engine) -> None:
    # 50.00 of prepaid credit lowered the invoice to 82.00: a 100.00 + 10.00 credit is too much.
    w = _issued_invoice(engine, credit_balance=5000)
    assert _invoice(engine, w["invoice_id"]).total_minor == 8200
    with pytest.raises(InvalidInput, match="remaining balance"), unit_of_work(engine) as s:
        cn_svc.create_credit_note(s, invoice_id=w["invoice_id"],
                                  lines={w["lines"]["recurring"]: 10000}, reason="too much",
                                  actor=w["fin"])
    assert _count(engine, CreditNote) == 0
    assert _invoice(engine, w["invoice_id"]).credited_minor == 0
    # A full credit stops at the balance and settles the invoice.
    with unit_of_work(engine) as s:
        note = cn_svc.create_credit_note(s, invoice_id=w["invoice_id"], full=True,
                                         reason="cancel the month", actor=w["fin"])
        assert note.total_minor == 8200
    inv = _invoice(engine, w["invoice_id"])
    assert (inv.credited_minor, inv.status) == (8200, "paid")
    with pytest.raises(InvalidInput, match="nothing left"), unit_of_work(engine) as s:
        cn_svc.create_credit_note(s, invoice_id=w["invoice_id"], full=True, reason="again",
                                  actor=w["fin"])


def test_large_credit_needs_a_second_finance_user(engine) -> None:
    w = _issued_invoice(engine, threshold=5000)
    with unit_of_work(engine) as s:
        note = cn_svc.create_credit_note(s, invoice_id=w["invoice_id"],
                                         lines={w["lines"]["recurring"]: 10000},
                                         reason="goodwill", actor=w["fin"])
        note_id, version = note.id, note.version
        assert (note.status, note.number, note.total_minor) == ("pending_approval", None, 11000)
        req = s.execute(sa.select(ApprovalRequest)).scalar_one()
        assert (req.kind, req.required_role, req.status, req.subject_id) == (
            "credit_note", "finance", "pending", note_id)
    assert _invoice(engine, w["invoice_id"]).credited_minor == 0
    # Pending credits count against the caps: the same line cannot be credited twice.
    with pytest.raises(InvalidInput), unit_of_work(engine) as s:
        cn_svc.create_credit_note(s, invoice_id=w["invoice_id"],
                                  lines={w["lines"]["recurring"]: 1}, reason="x",
                                  actor=w["fin2"])
    with pytest.raises(NotAllowed, match="another finance user"), unit_of_work(engine) as s:
        cn_svc.approve_credit_note(s, credit_note_id=note_id, version=version, actor=w["fin"])
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        cn_svc.approve_credit_note(s, credit_note_id=note_id, version=version,
                                   actor=w["support"])
    outcome = credit_decisions.approve_credit_note_view(note_id, version,
                                                        user_id=w["people"]["finance"])
    assert not outcome.ok and "another finance user" in outcome.message
    with read_session(engine) as s:
        assert s.get(CreditNote, note_id).status == "pending_approval"
        assert _count(engine, Approval) == 0
        rows = cn_queries.pending_credits(s)
        assert [r.id for r in rows] == [note_id] and rows[0].total == "$110.00"
    with pytest.raises(Conflict), unit_of_work(engine) as s:
        cn_svc.approve_credit_note(s, credit_note_id=note_id, version=version + 7,
                                   actor=w["fin2"])
    with unit_of_work(engine) as s:
        note = cn_svc.approve_credit_note(s, credit_note_id=note_id, version=version,
                                          actor=w["fin2"])
        assert note.status == "issued" and note.number.startswith("CN-")
        assert note.approved_by == w["people"]["finance2"]
    inv = _invoice(engine, w["invoice_id"])
    assert (inv.credited_minor, inv.status) == (11000, "issued")
    with read_session(engine) as s:
        assert s.execute(sa.select(ApprovalRequest.status)).scalar_one() == "approved"
        appr = s.execute(sa.select(Approval)).scalar_one()
        assert (appr.approver_id, appr.decision) == (w["people"]["finance2"], "approve")
        assert verify(s)[1] is None


def test_rejected_credit_frees_the_amount(engine) -> None:
    w = _issued_invoice(engine, threshold=5000)
    line = w["lines"]["recurring"]
    with unit_of_work(engine) as s:
        note = cn_svc.create_credit_note(s, invoice_id=w["invoice_id"], lines={line: 9000},
                                         reason="big", actor=w["fin"])
        note_id, version = note.id, note.version
    with pytest.raises(InvalidInput), unit_of_work(engine) as s:
        cn_svc.reject_credit_note(s, credit_note_id=note_id, version=version, actor=w["fin2"],
                                  reason="")
    with unit_of_work(engine) as s:
        cn_svc.reject_credit_note(s, credit_note_id=note_id, version=version, actor=w["fin2"],
                                  reason="not justified")
    with read_session(engine) as s:
        assert s.get(CreditNote, note_id).status == "rejected"
    with unit_of_work(engine) as s:
        note = cn_svc.create_credit_note(s, invoice_id=w["invoice_id"], lines={line: 1000},
                                         reason="small instead", actor=w["fin"])
        assert note.status == "issued"


def test_credit_on_paid_invoice_goes_to_the_customer_balance(engine) -> None:
    w = _issued_invoice(engine)
    inv = _invoice(engine, w["invoice_id"])
    with unit_of_work(engine) as s:
        inv_svc.mark_paid(s, invoice_id=inv.id, version=inv.version, actor=w["fin"])
        cn_svc.create_credit_note(s, invoice_id=inv.id, lines={w["lines"]["usage"]: 2000},
                                  reason="usage double counted", actor=w["fin"])
    with read_session(engine) as s:
        assert s.get(Customer, w["customer_id"]).credit_balance_minor == 2200
        assert s.get(Invoice, inv.id).status == "paid"


def test_credit_needs_an_issued_invoice_and_a_reason(engine) -> None:
    with unit_of_work(engine) as s:
        people = bf.staff(s)
        cat = bf.simple_catalog(s)
        c = bf.customer(s, "ACME")
        bf.subscription(s, c, cat["version"], started_on=date(2025, 1, 1))
    bf.bill(engine, MARCH)
    fin = bf.actor(people["finance"])
    with read_session(engine) as s:
        inv_id = s.execute(sa.select(Invoice.id)).scalar_one()
    with pytest.raises(Conflict, match="issued or paid"), unit_of_work(engine) as s:
        cn_svc.create_credit_note(s, invoice_id=inv_id, full=True, reason="x", actor=fin)
    with pytest.raises(InvalidInput, match="reason"), unit_of_work(engine) as s:
        cn_svc.create_credit_note(s, invoice_id=inv_id, full=True, reason=" ", actor=fin)
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        cn_svc.create_credit_note(s, invoice_id=inv_id, full=True, reason="x",
                                  actor=bf.actor(people["viewer"]))


def test_support_credits_a_dispute_below_the_threshold(engine) -> None:
    w = _issued_invoice(engine)
    with unit_of_work(engine) as s:
        now = utcnow()
        dispute = Dispute(customer_id=w["customer_id"], invoice_id=w["invoice_id"],
                          reason="usage_disagreement", description="too many calls",
                          amount_minor=2000, currency="USD", opened_at=now,
                          response_due_at=now + timedelta(days=3))
        s.add(dispute)
        s.flush()
        dispute_id = dispute.id
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        cn_svc.create_credit_note(s, invoice_id=w["invoice_id"],
                                  lines={w["lines"]["usage"]: 500}, reason="no dispute",
                                  actor=w["support"])
    outcome = cn_svc.create_credit_note_view(
        w["invoice_id"], user_id=w["people"]["support"], reason="dispute resolved",
        lines={w["lines"]["usage"]: 500}, dispute_id=dispute_id)
    assert outcome.ok and outcome.status == "issued", outcome.message
    with read_session(engine) as s:
        note = s.get(CreditNote, outcome.object_id)
        assert (note.dispute_id, note.total_minor) == (dispute_id, 550)
    preview = cn_queries.preview_credit(w["invoice_id"], full=True)
    assert preview.ok and preview.total == "$126.50" and not preview.needs_approval
