"""Disputes, collections and dunning in Chromium: a support user opens a dispute on a demo
invoice, works it (note, evidence, status) and proposes a credit above the approval threshold;
the proposer sees no Approve; a finance user approves it; the credit note exists, the invoice
balance went down and every step is in the audit log. Then finance looks at collections."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import query, sign_in

pytestmark = pytest.mark.e2e

NOTE = "Checked the seat count against the order form (e2e)."
REASON = "Goodwill: credit the whole invoice (e2e)"
ACTIVE = "('open', 'investigating', 'awaiting_customer')"


@pytest.fixture(scope="module")
def app(servers):
    return servers.get("local")


def _sign_out(page: Page) -> None:
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/signin**")


def _invoice(app) -> tuple[int, int, str, int, int]:
    """An issued USD demo invoice whose open balance is above the credit threshold, with no
    dispute being worked and no pending credit: (id, customer, number, open, first line)."""
    threshold = 50_000
    rows = query(app.db_url, f"""
        SELECT i.id, i.customer_id, i.number, i.total_minor - i.credited_minor - i.paid_minor
        FROM invoice i
        WHERE i.status = 'issued' AND i.currency = 'USD' AND i.paid_minor = 0
          AND i.total_minor - i.credited_minor - i.paid_minor > :t
          AND NOT EXISTS (SELECT 1 FROM dispute d WHERE d.invoice_id = i.id
                          AND d.status IN {ACTIVE})
          AND NOT EXISTS (SELECT 1 FROM credit_note c WHERE c.invoice_id = i.id
                          AND c.status = 'pending_approval')
        ORDER BY i.total_minor LIMIT 1""", t=threshold)
    assert rows, "the demo company has no issued invoice above the credit threshold"
    iid, cid, number, open_minor = rows[0]
    line = query(app.db_url, "SELECT id FROM invoice_line WHERE invoice_id = :i AND "
                 "amount_minor > 0 ORDER BY position, id LIMIT 1", i=iid)[0][0]
    return iid, cid, number, open_minor, line


def test_support_disputes_finance_approves_the_credit(page: Page, app) -> None:
    iid, cid, _number, open_before, _line = _invoice(app)
    disputes_before = query(app.db_url, "SELECT count(*) FROM dispute")[0][0]

    # Support: from the customer page to a new dispute on the invoice.
    sign_in(page, app.url, "support@demo.test", next_path=f"/customers/{cid}")
    page.get_by_test_id("open-dispute").click()
    page.wait_for_url("**/disputes/new?customer_id=*")
    expect(page.get_by_test_id("page-title")).to_have_text("Open a dispute")
    page.get_by_test_id("choose-invoice").select_option(str(iid))
    expect(page.get_by_test_id("form-line").first).to_be_visible()
    page.get_by_test_id("line-amount").first.fill("10.00")
    page.get_by_test_id("dispute-reason").select_option("price_plan_mismatch")
    page.get_by_test_id("dispute-description").fill("The customer was billed for more seats "
                                                    "than the order form says.")
    screenshot(page, "disputes-new")
    page.get_by_test_id("dispute-submit").click()
    page.wait_for_url(re.compile(r".*/disputes/\d+$"))
    did = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    expect(page.get_by_test_id("case-status")).to_have_text("Open")
    expect(page.get_by_test_id("case-owner")).to_contain_text("Sam Support")
    expect(page.get_by_test_id("case-sla")).to_contain_text("due in")
    assert query(app.db_url, "SELECT count(*) FROM dispute")[0][0] == disputes_before + 1
    assert query(app.db_url, "SELECT invoice_id, amount_minor, status FROM dispute WHERE id = :d",
                 d=did) == [(iid, 1000, "open")]

    # Work it: start, a note, an evidence file.
    page.get_by_test_id("action-start").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Investigating")
    page.get_by_test_id("note-body").fill(NOTE)
    page.get_by_test_id("note-submit").click()
    expect(page.get_by_test_id("timeline-entry").filter(has_text=NOTE)).to_be_visible()
    page.get_by_test_id("evidence-drop").locator("input[type=file]").set_input_files(
        files=[{"name": "order-form.csv", "mimeType": "text/csv",
                "buffer": b"seats,price\n25,12.00\n"}])
    page.get_by_test_id("evidence-submit").click()
    expect(page.get_by_test_id("evidence-file")).to_have_text("order-form.csv")
    page.get_by_test_id("evidence-drop").locator("input[type=file]").set_input_files(
        files=[{"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}])
    page.get_by_test_id("evidence-submit").click()
    expect(page.get_by_test_id("case-error")).to_contain_text("not accepted")
    expect(page.get_by_test_id("evidence-file")).to_have_count(1)

    # Propose a full credit: above the threshold, so it waits for finance.
    page.get_by_test_id("credit-mode").get_by_text("Full credit", exact=True).click()
    page.get_by_test_id("credit-reason").fill(REASON)
    page.get_by_test_id("credit-submit").click()
    expect(page.get_by_test_id("pending-credit")).to_be_visible()
    expect(page.get_by_test_id("approve-credit")).to_have_count(0)  # hidden for the proposer
    expect(page.get_by_test_id("approve-blocked")).to_contain_text("finance user")
    expect(page.get_by_test_id("case-status")).to_have_text("Investigating")
    screenshot(page, "disputes-case-pending")
    pending = query(app.db_url, "SELECT id, status, total_minor FROM credit_note "
                    "WHERE dispute_id = :d", d=did)
    assert len(pending) == 1 and pending[0][1] == "pending_approval"
    note_id, _, total = pending[0]
    assert total == open_before > 50_000
    assert query(app.db_url, "SELECT status FROM approval_request WHERE subject_type = "
                 "'credit_note' AND subject_id = :n", n=note_id) == [("pending",)]

    page.goto(f"{app.url}/disputes")
    expect(page.get_by_test_id("page-title")).to_have_text("Disputes")
    expect(page.get_by_test_id("case-row").first).to_be_visible()
    page.get_by_test_id("tab-mine").click()
    mine = query(app.db_url, "SELECT count(*) FROM dispute d JOIN app_user u ON u.id = "
                 f"d.owner_id WHERE u.email = 'support@demo.test' AND d.status IN {ACTIVE}")[0][0]
    expect(page.get_by_test_id("case-row")).to_have_count(mine)
    expect(page.get_by_test_id("case-link").filter(has_text=f"#{did}")).to_be_visible()
    screenshot(page, "disputes-queue")
    _sign_out(page)

    # Finance approves on the case page.
    sign_in(page, app.url, "finance@demo.test", next_path=f"/disputes/{did}")
    expect(page.get_by_test_id("pending-credit")).to_be_visible()
    expect(page.get_by_test_id("work-card")).to_have_count(0)  # finance does not work cases
    page.get_by_test_id("approve-credit").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Resolved: credited")
    expect(page.get_by_test_id("invoice-balance")).to_contain_text("$0.00")
    expect(page.get_by_test_id("case-credit")).to_contain_text("issued")
    screenshot(page, "disputes-case-resolved")

    # The database: the credit note, the invoice balance, the dispute.
    assert query(app.db_url, "SELECT status, dispute_id, total_minor FROM credit_note "
                 "WHERE id = :n", n=note_id) == [("issued", did, total)]
    inv = query(app.db_url, "SELECT credited_minor, total_minor - credited_minor - paid_minor, "
                "status FROM invoice WHERE id = :i", i=iid)[0]
    assert inv[1] == open_before - total == 0 and inv[2] == "paid"
    assert query(app.db_url, "SELECT status, credited_minor FROM dispute WHERE id = :d",
                 d=did) == [("resolved_credited", total)]
    steps = query(app.db_url, """
        SELECT action, actor_label FROM audit_event
        WHERE (object_type = 'dispute' AND object_id = :d)
           OR (object_type = 'credit_note' AND object_id = :n)
           OR (object_type = 'invoice' AND object_id = :i AND action = 'invoice.credit')
        ORDER BY id""", d=str(did), n=str(note_id), i=str(iid))
    assert steps == [
        ("dispute.open", "support@demo.test"), ("dispute.start", "support@demo.test"),
        ("dispute.note", "support@demo.test"), ("dispute.evidence", "support@demo.test"),
        ("credit_note.request", "support@demo.test"),
        ("dispute.credit_propose", "support@demo.test"),
        ("credit_note.issue", "finance@demo.test"), ("invoice.credit", "finance@demo.test"),
        ("dispute.resolve_credit", "finance@demo.test")]

    # Finance's collections worklist and one customer's receivables.
    page.goto(f"{app.url}/collections")
    expect(page.get_by_test_id("page-title")).to_have_text("Collections")
    expect(page.get_by_test_id("worklist-row").first).to_be_visible()
    expect(page.get_by_test_id("bucket-total").first).to_be_visible()
    screenshot(page, "collections-worklist")
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    text = open(download.value.path()).read()
    assert text.startswith("customer_code,customer_name,invoice")
    page.get_by_test_id("worklist-link").first.click()
    page.wait_for_url("**/collections/customers/*")
    expect(page.get_by_test_id("page-title")).to_have_text("Customer collections")
    expect(page.get_by_test_id("open-invoice").first).to_be_visible()
    screenshot(page, "collections-customer")
