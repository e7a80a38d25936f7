"""Disputes on real databases: opening, working, SLA, evidence, credits with maker-checker,
rejection, withdrawal, reopening, the queue and the case view; every step audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from console.audit import verify
from console.billing.usecases import credit_notes as cn_svc
from console.billing.usecases import invoices as inv_svc
from console.disputes.domain import DisputeAction, parse_amounts
from console.disputes.queries.case_detail import case_detail
from console.disputes.queries.evidence import evidence_file
from console.disputes.queries.new_dispute_form import new_dispute_form_view
from console.disputes.queries.owners import owner_choices_view
from console.disputes.queries.queue import QueueFilter, queue, queue_counts
from console.disputes.queries.usage_events import line_usage_events_view
from console.disputes.usecases import credit_decisions
from console.disputes.usecases.case_work import (
    add_evidence,
    add_note,
    assign,
    bulk_assign_view,
    change_status,
    open_dispute,
    open_dispute_view,
)
from console.disputes.usecases.credits import (
    approve_credit,
    close_as_credited,
    propose_credit,
    reject_credit,
)
from console.disputes.usecases.resolutions import reject, reopen, withdraw
from console.kernel.errors import Conflict, InvalidInput, NotAllowed
from models import (
    ApprovalRequest,
    AuditEvent,
    CreditNote,
    Dispute,
    DisputeEvent,
    DisputeEvidence,
    DisputeLine,
    Invoice,
    InvoiceLine,
    User,
    UserRole,
)
from models.db import read_session, unit_of_work
from tests.integration import billing_fixtures as bf

pytestmark = pytest.mark.integration
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
T0 = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n% evidence\n"


def _world(engine, *, threshold: int = 5000) -> dict:
    """ACME's March invoice issued (platform 100.00 + 10.00 tax, 2000 calls 20.00 + 2.00 tax,
    total 132.00), staff, and a credit approval threshold of 50.00."""
    with unit_of_work(engine) as s:
        people = bf.staff(s)
        both = User(email="both@billing.test", name="Both Roles", auth_source="local")
        s.add(both)
        s.flush()
        s.add_all([UserRole(user_id=both.id, role="support"),
                   UserRole(user_id=both.id, role="finance")])
        people["both"] = both.id
        cat = bf.simple_catalog(s)
        acme = bf.customer(s, "ACME")
        bf.subscription(s, acme, cat["version"], started_on=date(2025, 1, 1))
        bf.usage(s, [("ACME", "calls", "1200", "2026-03-03T10:00:00+00:00"),
                     ("ACME", "calls", "800", "2026-03-17T10:00:00+00:00")])
        bf.set_policy(s, "approval_thresholds", {"credit_note_minor": threshold})
        bf.set_policy(s, "dispute_sla_hours", {"usage_disagreement": 10})
    bf.bill(engine, MARCH)
    fin = bf.actor(people["finance"], "finance")
    with unit_of_work(engine) as s:
        inv = s.execute(sa.select(Invoice)).scalar_one()
        inv_svc.approve_invoice(s, invoice_id=inv.id, version=inv.version, actor=fin)
        inv_svc.issue_invoice(s, invoice_id=inv.id, version=inv.version, actor=fin)
        lines = {x.kind: x.id for x in s.execute(sa.select(InvoiceLine).where(
            InvoiceLine.invoice_id == inv.id)).scalars()}
        assert inv.total_minor == 13200
    return {"invoice_id": inv.id, "lines": lines, "people": people, "customer_id": acme.id,
            "fin": fin, "fin2": bf.actor(people["finance2"], "finance2"),
            "support": bf.actor(people["support"], "support"),
            "viewer": bf.actor(people["viewer"], "viewer"),
            "both": bf.actor(both.id, "both")}


def _open(engine, w, *, lines=None, reason="usage_disagreement", owner=None, now=T0) -> int:
    with unit_of_work(engine) as s:
        d = open_dispute(s, customer_id=w["customer_id"], invoice_id=w["invoice_id"],
                         reason=reason, description="Customer says the calls are double.",
                         lines=lines or {w["lines"]["usage"]: 1000}, owner_id=owner,
                         actor=w["support"], now=now)
        return d.id


def _dispute(engine, dispute_id: int) -> Dispute:
    with read_session(engine) as s:
        d = s.get(Dispute, dispute_id)
        s.expunge(d)
        return d


def _actions(engine, dispute_id: int) -> list[str]:
    with read_session(engine) as s:
        return list(s.execute(sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "dispute", AuditEvent.object_id == str(dispute_id))
            .order_by(AuditEvent.id)).scalars())


def _timeline(engine, dispute_id: int) -> list[str]:
    with read_session(engine) as s:
        return list(s.execute(sa.select(DisputeEvent.kind).where(
            DisputeEvent.dispute_id == dispute_id).order_by(DisputeEvent.id)).scalars())


def test_open_a_dispute_on_invoice_lines_with_its_sla(engine) -> None:
    w = _world(engine)
    did = _open(engine, w, owner=w["people"]["support"])
    d = _dispute(engine, did)
    assert (d.status, d.amount_minor, d.currency, d.owner_id) == (
        "open", 1000, "USD", w["people"]["support"])
    assert d.response_due_at == T0 + timedelta(hours=10)  # policy: usage_disagreement 10 h
    with read_session(engine) as s:
        assert s.execute(sa.select(DisputeLine.invoice_line_id, DisputeLine.amount_minor)
                         .where(DisputeLine.dispute_id == did)).all() == [
            (w["lines"]["usage"], 1000)]
    assert _timeline(engine, did) == ["status_change", "assignment"]
    assert _actions(engine, did) == ["dispute.open"]
    # No second case on the same invoice while this one is worked.
    with pytest.raises(Conflict, match="already has dispute"), unit_of_work(engine) as s:
        open_dispute(s, customer_id=w["customer_id"], invoice_id=w["invoice_id"],
                     reason="other", description="again",
                     lines={w["lines"]["recurring"]: 100}, actor=w["support"])
    # Without an invoice, the default SLA of the reason applies.
    with unit_of_work(engine) as s:
        d2 = open_dispute(s, customer_id=w["customer_id"], reason="duplicate_charge",
                          description="Charged twice on the card", amount_minor=4200,
                          actor=w["support"], now=T0)
        assert d2.response_due_at == T0 + timedelta(hours=24)
        assert d2.invoice_id is None


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"reason": "angry"}, InvalidInput, "reason"),
    ({"description": "  "}, InvalidInput, "description"),
    ({"lines": {}}, InvalidInput, "at least one line"),
    ({"lines": {"usage": 2001}}, InvalidInput, "more than the line"),
    ({"lines": {999999: 5}}, InvalidInput, "not on this invoice"),
    ({"owner": "finance"}, InvalidInput, "cannot work disputes"),
    ({"actor": "viewer"}, NotAllowed, "not allowed"),
])
def test_refused_openings_change_nothing(engine, kwargs, error, message) -> None:
    w = _world(engine)
    lines = kwargs.get("lines", {"usage": 500})
    lines = {w["lines"].get(k, k) if isinstance(k, str) else k: v for k, v in lines.items()}
    owner = w["people"][kwargs["owner"]] if "owner" in kwargs else None
    with pytest.raises(error, match=message), unit_of_work(engine) as s:
        open_dispute(s, customer_id=w["customer_id"], invoice_id=w["invoice_id"],
                     reason=kwargs.get("reason", "other"),
                     description=kwargs.get("description", "text"), lines=lines,
                     owner_id=owner, actor=w[kwargs.get("actor", "support")])
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Dispute)).scalar_one() == 0


def test_draft_invoices_cannot_be_disputed(engine) -> None:
    w = _world(engine)
    with unit_of_work(engine) as s:
        inv = s.get(Invoice, w["invoice_id"])
        inv.status = "draft"
    with pytest.raises(Conflict, match="Only issued"), unit_of_work(engine) as s:
        open_dispute(s, customer_id=w["customer_id"], invoice_id=w["invoice_id"],
                     reason="other", description="x", lines={w["lines"]["usage"]: 1},
                     actor=w["support"])


def test_work_the_case_status_notes_evidence_and_stale_pages(engine) -> None:
    w = _world(engine)
    did = _open(engine, w)
    v = _dispute(engine, did).version
    with unit_of_work(engine) as s:
        assign(s, dispute_id=did, owner_id=w["people"]["support"], actor=w["support"],
               version=v)
    with pytest.raises(Conflict, match="changed by someone else"), unit_of_work(engine) as s:
        change_status(s, dispute_id=did, version=v, action=DisputeAction.START,
                      actor=w["support"])
    v = _dispute(engine, did).version
    with unit_of_work(engine) as s:
        change_status(s, dispute_id=did, version=v, action=DisputeAction.START,
                      actor=w["support"], note="Looking at the meter.")
        add_note(s, dispute_id=did, body="Two bursts on the 3rd and the 17th.",
                 actor=w["support"])
        add_note(s, dispute_id=did, body="Called the customer.", kind="customer_contact",
                 actor=w["support"])
        ev = add_evidence(s, dispute_id=did, filename="usage-export.pdf", content=PDF,
                          actor=w["support"])
        assert (ev.content_type, ev.size_bytes) == ("application/pdf", len(PDF))
    with pytest.raises(InvalidInput, match="not accepted"), unit_of_work(engine) as s:
        add_evidence(s, dispute_id=did, filename="tool.exe", content=b"MZ",
                     actor=w["support"])
    with pytest.raises(InvalidInput, match=r"10\.0 MB"), unit_of_work(engine) as s:
        add_evidence(s, dispute_id=did, filename="huge.txt",
                     content=b"a" * (10 * 1024 * 1024 + 1), actor=w["support"])
    with pytest.raises(Conflict, match="Only disputes waiting for the customer"), \
            unit_of_work(engine) as s:
        change_status(s, dispute_id=did, version=_dispute(engine, did).version,
                      action=DisputeAction.RESUME, actor=w["support"])
    with pytest.raises(InvalidInput, match="own actions"), unit_of_work(engine) as s:
        change_status(s, dispute_id=did, version=_dispute(engine, did).version,
                      action=DisputeAction.REJECT, actor=w["support"])
    with unit_of_work(engine) as s:
        change_status(s, dispute_id=did, version=_dispute(engine, did).version,
                      action=DisputeAction.AWAIT_CUSTOMER, actor=w["support"])
    assert _dispute(engine, did).status == "awaiting_customer"
    with read_session(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(DisputeEvidence)
                         ).scalar_one() == 1
    assert _timeline(engine, did) == ["status_change", "assignment", "status_change", "note",
                                      "customer_contact", "evidence", "status_change"]
    assert _actions(engine, did) == ["dispute.open", "dispute.assign", "dispute.start",
                                     "dispute.note", "dispute.customer_contact",
                                     "dispute.evidence", "dispute.await_customer"]
    filename, ctype, content = _evidence(engine, did)
    assert (filename, ctype, content) == ("usage-export.pdf", "application/pdf", PDF)


def _evidence(engine, did):
    with read_session(engine) as s:
        eid = s.execute(sa.select(DisputeEvidence.id)).scalar_one()
    return evidence_file(did, eid)


def test_small_credit_is_issued_at_once_and_resolves(engine) -> None:
    w = _world(engine)
    did = _open(engine, w)
    with unit_of_work(engine) as s:
        note = propose_credit(s, dispute_id=did, version=_dispute(engine, did).version,
                              actor=w["support"], reason="Meter double counted",
                              lines={w["lines"]["usage"]: 1000}, now=T0)
        assert (note.status, note.dispute_id, note.total_minor) == ("issued", did, 1100)
    d = _dispute(engine, did)
    assert (d.status, d.credited_minor) == ("resolved_credited", 1100)
    assert d.resolved_at == T0
    with read_session(engine) as s:
        inv = s.get(Invoice, w["invoice_id"])
        assert inv.credited_minor == 1100
    assert _actions(engine, did)[-1] == "dispute.resolve_credit"


def test_large_credit_waits_for_another_finance_user(engine) -> None:
    w = _world(engine)
    did = _open(engine, w, owner=w["people"]["both"])
    with unit_of_work(engine) as s:
        change_status(s, dispute_id=did, version=_dispute(engine, did).version,
                      action=DisputeAction.START, actor=w["both"])
    with unit_of_work(engine) as s:
        note = propose_credit(s, dispute_id=did, version=_dispute(engine, did).version,
                              actor=w["both"], reason="Goodwill: full month", full=True)
        assert note.status == "pending_approval"
        cn_id, cn_version = note.id, note.version
    d = _dispute(engine, did)
    assert d.status == "investigating" and d.credited_minor == 0
    with read_session(engine) as s:
        req = s.execute(sa.select(ApprovalRequest)).scalar_one()
        assert (req.subject_type, req.subject_id, req.status) == ("credit_note", cn_id,
                                                                  "pending")
    # Nothing else may resolve the case while the credit waits.
    for fn, kwargs in ((reject, {"explanation": "no"}), (withdraw, {"note": "gone"}),
                       (propose_credit, {"reason": "more", "full": True})):
        with pytest.raises(Conflict, match="waits for finance approval"), \
                unit_of_work(engine) as s:
            fn(s, dispute_id=did, version=_dispute(engine, did).version, actor=w["support"],
               **kwargs)
    # The proposer can never approve: a support proposer lacks the permission, and a
    # proposer who also holds finance is refused by maker-checker on the server.
    with pytest.raises(NotAllowed), unit_of_work(engine) as s:
        approve_credit(s, dispute_id=did, credit_note_id=cn_id,
                       credit_note_version=cn_version, actor=w["support"])
    with pytest.raises(NotAllowed, match="another finance user"), unit_of_work(engine) as s:
        approve_credit(s, dispute_id=did, credit_note_id=cn_id,
                       credit_note_version=cn_version, actor=w["both"])
    with read_session(engine) as s:
        assert s.get(CreditNote, cn_id).status == "pending_approval"
        assert s.get(Invoice, w["invoice_id"]).credited_minor == 0
    assert _dispute(engine, did).status == "investigating"
    # The case view tells each user what they may do.
    with read_session(engine) as s:
        as_both = case_detail(s, did, user_id=w["people"]["both"])
        as_fin = case_detail(s, did, user_id=w["people"]["finance"])
        as_support = case_detail(s, did, user_id=w["people"]["support"])
    assert (as_both.can_approve_credit, as_both.approve_blocked) == (
        False, "You proposed this credit; another finance user must approve it.")
    assert as_fin.can_approve_credit and as_fin.pending_credit_id == cn_id
    assert not as_support.can_approve_credit
    with unit_of_work(engine) as s:
        approve_credit(s, dispute_id=did, credit_note_id=cn_id,
                       credit_note_version=cn_version, actor=w["fin"], comment="OK",
                       now=T0 + timedelta(hours=2))
    d = _dispute(engine, did)
    assert (d.status, d.credited_minor) == ("resolved_credited", 13200)
    with read_session(engine) as s:
        note = s.get(CreditNote, cn_id)
        inv = s.get(Invoice, w["invoice_id"])
        assert (note.status, note.approved_by, note.created_by) == (
            "issued", w["people"]["finance"], w["people"]["both"])
        assert (inv.credited_minor, inv.status) == (13200, "paid")
        actions = list(s.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id))
                       .scalars())
        assert verify(s)[1] is None
    assert [a for a in actions if a.startswith(("dispute.", "credit_note.", "invoice.cr"))] == [
        "dispute.open", "dispute.start", "credit_note.request", "dispute.credit_propose",
        "credit_note.issue", "invoice.credit", "dispute.resolve_credit"]
    assert "credit_approved" in _timeline(engine, did)


def test_rejected_credit_keeps_the_case_open_then_reject_and_reopen(engine) -> None:
    w = _world(engine)
    did = _open(engine, w)
    with unit_of_work(engine) as s:
        note = propose_credit(s, dispute_id=did, version=_dispute(engine, did).version,
                              actor=w["support"], reason="Full month", full=True)
        cn = (note.id, note.version)
    with pytest.raises(InvalidInput, match="reason"), unit_of_work(engine) as s:
        reject_credit(s, dispute_id=did, credit_note_id=cn[0], credit_note_version=cn[1],
                      actor=w["fin"], reason=" ")
    with unit_of_work(engine) as s:
        reject_credit(s, dispute_id=did, credit_note_id=cn[0], credit_note_version=cn[1],
                      actor=w["fin"], reason="Usage is right")
    assert _dispute(engine, did).status == "open"
    resolved = T0 + timedelta(days=1)
    with unit_of_work(engine) as s:
        reject(s, dispute_id=did, version=_dispute(engine, did).version,
               actor=w["support"], explanation="Usage matches the meter export.",
               now=resolved)
    d = _dispute(engine, did)
    assert (d.status, d.resolution_note, d.resolved_at) == (
        "resolved_rejected", "Usage matches the meter export.", resolved)
    with pytest.raises(Conflict, match="within 30 days"), unit_of_work(engine) as s:
        reopen(s, dispute_id=did, version=d.version, actor=w["support"], reason="late",
               now=resolved + timedelta(days=31))
    with unit_of_work(engine) as s:
        reopen(s, dispute_id=did, version=d.version, actor=w["support"],
               reason="Customer sent new logs", now=resolved + timedelta(days=29))
    d = _dispute(engine, did)
    assert (d.status, d.reopened_count, d.resolved_at) == ("investigating", 1, None)
    assert d.response_due_at == resolved + timedelta(days=29, hours=10)
    with unit_of_work(engine) as s:
        withdraw(s, dispute_id=did, version=d.version, actor=w["support"],
                 note="Customer withdrew by email.", now=resolved + timedelta(days=30))
    assert _dispute(engine, did).status == "withdrawn"
    assert _actions(engine, did) == ["dispute.open", "dispute.credit_propose",
                                     "dispute.credit_reject", "dispute.reject",
                                     "dispute.reopen", "dispute.withdraw"]


def test_credit_approved_elsewhere_can_close_the_case(engine) -> None:
    w = _world(engine)
    did = _open(engine, w)
    with unit_of_work(engine) as s:
        note = propose_credit(s, dispute_id=did, version=_dispute(engine, did).version,
                              actor=w["support"], reason="Full month", full=True)
        cn = (note.id, note.version)
    with pytest.raises(Conflict, match="No issued credit note"), unit_of_work(engine) as s:
        close_as_credited(s, dispute_id=did, version=_dispute(engine, did).version,
                          actor=w["support"])
    with unit_of_work(engine) as s:  # from the invoice page, say
        cn_svc.approve_credit_note(s, credit_note_id=cn[0], version=cn[1], actor=w["fin"])
    with read_session(engine) as s:
        assert case_detail(s, did, user_id=w["people"]["support"]).uncounted_credit
    with unit_of_work(engine) as s:
        close_as_credited(s, dispute_id=did, version=_dispute(engine, did).version,
                          actor=w["support"])
    d = _dispute(engine, did)
    assert (d.status, d.credited_minor) == ("resolved_credited", 13200)


def test_queue_views_counts_and_bulk_assign(engine) -> None:
    w = _world(engine)
    with unit_of_work(engine) as s:
        ids = [open_dispute(s, customer_id=w["customer_id"], reason=r, description=r,
                            amount_minor=100 * (i + 1), actor=w["support"],
                            owner_id=w["people"]["support"] if i == 0 else None,
                            now=T0 + timedelta(hours=i)).id
               for i, r in enumerate(("duplicate_charge", "price_plan_mismatch", "other"))]
    # duplicate 24 h -> due T0+24h; price 48 h -> T0+49h; other 120 h -> T0+122h.
    now = T0 + timedelta(hours=30)
    me = w["people"]["support"]
    with read_session(engine) as s:
        counts = queue_counts(s, user_id=me, now=now)
        assert (counts.active, counts.mine, counts.unassigned, counts.due_soon,
                counts.overdue) == (3, 1, 2, 1, 1)
        overdue, n = queue(s, QueueFilter("overdue"), user_id=me, now=now)
        assert n == 1 and overdue[0].id == ids[0]
        assert (overdue[0].sla_state, overdue[0].sla_text) == ("overdue", "overdue by 6 h")
        soon, _ = queue(s, QueueFilter("due_soon"), user_id=me, now=now)
        assert [r.id for r in soon] == [ids[1]] and soon[0].sla_text == "due in 19 h"
        everything, _ = queue(s, QueueFilter("active"), user_id=me, now=now)
        assert [r.id for r in everything] == ids  # by due date
        by_text, _ = queue(s, QueueFilter("all", text=f"#{ids[2]}"), user_id=me,
                           now=now)
        assert [r.id for r in by_text] == [ids[2]]
    outcomes = bulk_assign_view(ids[1:], me, user_id=me)
    assert all(o.ok for o in outcomes)
    with read_session(engine) as s:
        assert queue_counts(s, user_id=me, now=now).mine == 3
    refused = bulk_assign_view(ids[:1], w["people"]["viewer"], user_id=me)
    assert not refused[0].ok and "cannot work disputes" in refused[0].message
    assert [c.name for c in owner_choices_view()] == ["Both Roles", "Support"]


def test_case_view_gathers_the_evidence_for_a_decision(engine) -> None:
    w = _world(engine)
    did = _open(engine, w)
    with unit_of_work(engine) as s:
        add_note(s, dispute_id=did, body="Checking", actor=w["support"])
    with read_session(engine) as s:
        c = case_detail(s, did, user_id=w["people"]["support"], now=T0)
    assert (c.status, c.invoice_total, c.invoice_balance, c.threshold) == (
        "open", "$132.00", "$132.00", "$50.00")
    usage_line = next(x for x in c.lines if x.is_usage)
    assert (usage_line.is_disputed, usage_line.disputed, usage_line.creditable) == (
        True, "$10.00", "$20.00")
    assert usage_line.quantity == "2000"
    assert [p.quantity for p in c.usage[0].points] == ["1200", "800"]
    assert c.plan_label.startswith("Basic v1")
    assert [p.name for p in c.plan_prices] == ["Platform fee", "Calls"]
    assert c.timeline[0].kind == "note" and c.sla_text == "due in 10 h"
    assert set(c.actions) == {"start", "credit", "reject", "withdraw"}
    page = line_usage_events_view(dispute_id=did, line_id=usage_line.id,
                                  day_from="2026-03-10")
    assert page.total == 1 and page.rows[0].quantity == "800"
    with pytest.raises(InvalidInput, match="not a date"):
        line_usage_events_view(dispute_id=did, line_id=usage_line.id, day_from="10/3")
    form = new_dispute_form_view(invoice_id=w["invoice_id"])
    assert form.busy_dispute_id == did and len(form.lines) == 2


def test_page_facing_calls_report_refusals_as_messages(engine) -> None:
    w = _world(engine)
    out = open_dispute_view(user_id=w["people"]["viewer"], customer_id=w["customer_id"],
                            reason="other", description="x", amount_minor=5)
    assert not out.ok and "not allowed" in out.message
    out = open_dispute_view(user_id=w["people"]["support"], customer_id=w["customer_id"],
                            invoice_id=w["invoice_id"], reason="other", description="x",
                            lines=parse_amounts({w["lines"]["recurring"]: "12.50"},
                                                "USD"))
    assert out.ok and out.object_id
    assert _dispute(engine, out.object_id).amount_minor == 1250
    with pytest.raises(InvalidInput, match="not an amount"):
        parse_amounts({1: "12.345"}, "USD")


def test_deciding_a_dispute_credit_from_the_invoice_page_updates_the_case(engine) -> None:
    """The invoice page's approve/reject (credit_notes' page-facing calls) go through the
    dispute: approving resolves it as credited, rejecting keeps it open with the reason."""
    w = _world(engine)
    did = _open(engine, w)
    with unit_of_work(engine) as s:
        note = propose_credit(s, dispute_id=did, version=_dispute(engine, did).version,
                              actor=w["support"], reason="Full month", full=True)
        cn = (note.id, note.version)
    refused = credit_decisions.reject_credit_note_view(cn[0], cn[1], "",
                                                       user_id=w["people"]["finance"])
    assert not refused.ok and _dispute(engine, did).status == "open"
    out = credit_decisions.reject_credit_note_view(cn[0], cn[1], "Usage is right",
                                         user_id=w["people"]["finance"])
    assert out.ok and out.status == "rejected"
    assert _dispute(engine, did).status == "open"
    assert _timeline(engine, did)[-1] == "credit_rejected"
    assert "dispute.credit_reject" in _actions(engine, did)
    with unit_of_work(engine) as s:
        note = propose_credit(s, dispute_id=did, version=_dispute(engine, did).version,
                              actor=w["support"], reason="Full month after all", full=True)
        cn = (note.id, note.version)
    out = credit_decisions.approve_credit_note_view(cn[0], cn[1], user_id=w["people"]["finance"])
    assert out.ok and out.status == "issued" and f"dispute #{did}" in out.message
    d = _dispute(engine, did)
    assert (d.status, d.credited_minor) == ("resolved_credited", 13200)
    assert "dispute.resolve_credit" in _actions(engine, did)
    with read_session(engine) as s:
        assert verify(s)[1] is None
