"""The disputes and collections pages' event handlers, called like the browser would with real
sessions: the proposer's Approve is hidden *and* refused on the server; finance approves."""

import asyncio
import io

import pytest
import reflex as rx
import sqlalchemy as sa

import console.app  # noqa: F401  (registers every page and state)
from console.identity.usecases import signin
from console.identity.usecases.accounts import DEMO_PASSWORD, create_local_user
from console.kernel.actor import Actor
from console.kernel.roles import Role
from models import AuditEvent, CreditNote, Dispute, DisputeEvidence, Invoice
from models.db import read_session, unit_of_work
from pages.collections.state import CollectionsState, CustomerCollectionsState
from pages.disputes.case_state import CaseState
from pages.disputes.state import DisputesState, NewDisputeState
from tests.integration.disputes.test_cases import _world
from tests.integration.page_states import state_for

pytestmark = pytest.mark.integration
DUAL = "dual@demo.test"


def _token(email: str) -> str:
    return signin.redeem_ticket(signin.local_sign_in(email, DEMO_PASSWORD))


def _loaded(cls: type[rx.State], token: str, path: str) -> rx.State:
    state = state_for(cls, token, path)
    state.load()
    return state


@pytest.fixture
def world(engine, users):
    w = _world(engine)
    with unit_of_work(engine) as s:
        create_local_user(s, email=DUAL, name="Dana Dual", password=DEMO_PASSWORD,
                          roles=[Role.SUPPORT, Role.FINANCE], actor=Actor.system("test"))
    return w


def _dispute(engine, did: int) -> Dispute:
    with read_session(engine) as s:
        d = s.get(Dispute, did)
        s.expunge(d)
        return d


class _Upload:
    """Enough of rx.UploadFile for the handler: a name and a file object."""

    def __init__(self, name: str, content: bytes) -> None:
        self.filename = name
        self.file = io.BytesIO(content)


def test_open_work_and_approve_through_the_pages(engine, world):
    support = _token("support@demo.test")
    form = _loaded(NewDisputeState, support, f"/disputes/new?customer_id={world['customer_id']}")
    assert form.found and form.invoice_id == 0 and len(form.invoices) == 1
    form.choose_invoice(str(world["invoice_id"]))
    assert form.lines[0].description.startswith("Platform fee")
    bad = form.submit({"reason": "usage_disagreement", "description": "x",
                       "line_" + str(world["lines"]["usage"]): "20.001"})
    assert "not an amount" in form.error and bad is None
    result = form.submit({"reason": "usage_disagreement", "owner": "me",
                          "description": "Calls counted twice",
                          "line_" + str(world["lines"]["usage"]): "20.00"})
    with read_session(engine) as s:
        did = s.execute(sa.select(Dispute.id)).scalar_one()
    assert f"/disputes/{did}" in repr(result)

    case = _loaded(CaseState, support, f"/disputes/{did}")
    assert case.found and case.status == "open" and case.owner == "Sam Support"
    assert case.usage_lines and case.events_total == 2
    case.change_status("start")
    case.add_note({"kind": "note", "body": "Meter shows one burst."})
    asyncio.run(case.upload_evidence([_Upload("export.csv", b"day,calls\n3,2000\n")]))
    asyncio.run(case.upload_evidence([_Upload("virus.exe", b"MZ")]))
    assert "not accepted" in case.error
    assert case.status == "investigating" and len(case.evidence) == 1
    assert [e.kind for e in case.timeline][:3] == ["evidence", "note", "status_change"]
    download = case.download_evidence(case.evidence[0].id)
    assert "export.csv" in repr(download)

    # The dual-role user proposes a full credit above the threshold ...
    dual = _token(DUAL)
    proposer = _loaded(CaseState, dual, f"/disputes/{did}")
    proposer.set_credit_mode("full")
    proposer.propose_credit({"reason": "Goodwill: the whole month"})
    assert proposer.pending_credit_id and proposer.status == "investigating"
    # ... sees no Approve, and the server refuses it anyway.
    assert not proposer.can_approve_credit and "another finance user" in proposer.approve_blocked
    refused = proposer.approve_credit({"comment": "self-approval"})
    assert "another finance user" in repr(refused)
    # A support user is refused by the role check before the service is even called.
    assert "not allowed" in repr(case.approve_credit({})).lower()
    with read_session(engine) as s:
        note = s.execute(sa.select(CreditNote)).scalar_one()
        assert note.status == "pending_approval"
        assert s.get(Invoice, world["invoice_id"]).credited_minor == 0

    finance = _loaded(CaseState, _token("finance@demo.test"), f"/disputes/{did}")
    assert finance.can_approve_credit
    finance.approve_credit({"comment": "Approved"})
    assert finance.status == "resolved_credited" and finance.error == ""
    assert finance.invoice_credited == "$132.00" and finance.invoice_balance == "$0.00"
    with read_session(engine) as s:
        assert s.execute(sa.select(CreditNote.status)).scalar_one() == "issued"
        assert s.execute(sa.select(sa.func.count()).select_from(DisputeEvidence)).scalar_one() == 1
        actions = set(s.execute(sa.select(AuditEvent.action)).scalars())
    assert {"dispute.open", "dispute.start", "dispute.note", "dispute.evidence",
            "dispute.credit_propose", "credit_note.request", "credit_note.issue",
            "invoice.credit", "dispute.resolve_credit"} <= actions

    queue = _loaded(DisputesState, support, "/disputes")
    queue.set_view("closed")
    assert [r.id for r in queue.rows] == [did]
    viewer = _loaded(CaseState, _token("viewer@demo.test"), f"/disputes/{did}")
    assert viewer.found
    assert "not allowed" in repr(viewer.reopen({"reason": "x"})).lower()
    assert _dispute(engine, did).status == "resolved_credited"


def test_queue_bulk_assign_and_collections_pages(engine, world):
    with unit_of_work(engine) as s:
        from console.disputes.usecases.case_work import open_dispute

        ids = [open_dispute(s, customer_id=world["customer_id"], reason="other",
                            description=f"case {i}", amount_minor=100,
                            actor=world["support"]).id for i in range(3)]
    support = _token("support@demo.test")
    queue = _loaded(DisputesState, support, "/disputes?view=unassigned")
    assert queue.view == "unassigned" and queue.count_unassigned == 3
    queue.toggle(ids[0])
    queue.toggle(ids[2])
    queue.bulk_assign({"owner": "me"})
    assert queue.count_mine == 1 + 1 and queue.count_unassigned == 1  # two went to me
    assert queue.selected == []

    finance = _token("finance@demo.test")
    work = _loaded(CollectionsState, finance, "/collections")
    assert work.total == 1 and work.rows[0].customer_code == "ACME"
    events = []

    async def drain():
        async for item in CollectionsState.export_csv.fn(work):
            events.append(item)

    asyncio.run(drain())
    assert "receivables-" in repr(events[-1])
    customer = _loaded(CustomerCollectionsState, finance,
                       f"/collections/customers/{world['customer_id']}")
    assert customer.found and len(customer.invoices) == 1
    customer.set_note_kind("promise_to_pay")
    customer.add_note({"body": "Pays next week", "promised_on": "2099-01-05",
                       "promised_amount": "132.00", "invoice_id": str(world["invoice_id"])})
    assert customer.error == "" and customer.notes[0].promise == "$132.00 by 2099-01-05"
    customer.request_write_off({"invoice_id": str(world["invoice_id"]), "reason": "Gone"})
    assert customer.invoices[0].write_off_pending
    again = _loaded(CollectionsState, finance, "/collections")
    assert again.write_offs and again.decidable == []  # the requester cannot decide
    refused = again.approve_write_off(again.write_offs[0].id, again.write_offs[0].version)
    assert "another finance user" in repr(refused)
    other = _loaded(CollectionsState, _token("finance2@demo.test"), "/collections")
    assert other.decidable == [other.write_offs[0].id]
    other.approve_write_off(other.write_offs[0].id, other.write_offs[0].version)
    with read_session(engine) as s:
        assert s.get(Invoice, world["invoice_id"]).status == "uncollectible"
