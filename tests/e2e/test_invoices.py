"""Bill runs and invoice review in Chromium: finance runs December in two waves, re-running
creates nothing; reviews the flagged drafts, approves and issues them (numbers shown, gap-free);
raises an immediate credit and a large one that a second finance user approves; a stale page is
refused; usage files are imported from the page; support only reads."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from console.billing.usecases import invoices as inv_svc
from console.kernel.actor import Actor
from models.db import make_engine, unit_of_work
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import query, sign_in

pytestmark = pytest.mark.e2e

DEC = "2026-12-01"
THRESHOLD = 50_000  # the demo's approval_thresholds.credit_note_minor
NUMBER = re.compile(r"^INV-\d{4}-\d{6}$")


@pytest.fixture(scope="module")
def app(servers):
    return servers.get("local")


def _one(app, sql: str, **params):
    rows = query(app.db_url, sql, **params)
    return rows[0][0] if rows else None


def _sign_out(page: Page) -> None:
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/signin**")


def _dec_run(app) -> tuple[int, str, int] | None:
    rows = query(app.db_url, "SELECT id, status, released_percent FROM bill_run "
                 "WHERE period_start = :d", d=DEC)
    return rows[0] if rows else None


def _numbers_gap_free(app) -> None:
    numbers = [n for (n,) in query(app.db_url, "SELECT number FROM invoice WHERE number "
                                   "IS NOT NULL")]
    by_year: dict[str, list[int]] = {}
    for n in numbers:
        assert NUMBER.match(n), n
        by_year.setdefault(n[4:8], []).append(int(n[9:]))
    for seq in by_year.values():
        assert sorted(seq) == list(range(1, len(seq) + 1))


def _run_december(page: Page, app) -> int:
    """Start December with a 5 % first wave, release the rest; returns the run id."""
    assert _dec_run(app) is None
    invoices_before = _one(app, "SELECT count(*) FROM invoice")
    sign_in(page, app.url, "finance@demo.test", next_path="/bill-runs")
    expect(page.get_by_test_id("page-title")).to_have_text("Bill runs")
    runs = _one(app, "SELECT count(*) FROM bill_run")
    expect(page.get_by_test_id("run-row")).to_have_count(runs)
    page.get_by_test_id("run-month").fill("2026-12")
    page.get_by_test_id("run-wave").fill("5")
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-created").or_(page.get_by_test_id("run-empty"))
           ).to_be_visible(timeout=60_000)
    run_id, status, released = _dec_run(app)
    assert (status, released) == ("paused", 5)
    first_wave = _one(app, "SELECT count(*) FROM invoice WHERE bill_run_id = :r", r=run_id)
    row = page.get_by_test_id("run-row").filter(has_text=DEC)
    expect(row.get_by_test_id("run-status")).to_have_text("paused")
    expect(page.get_by_test_id("run-created").or_(page.get_by_test_id("run-empty"))
           ).to_contain_text("wait for the next wave")
    screenshot(page, "finance-bill-run-first-wave")

    row.get_by_test_id("run-release").click()
    expect(page.get_by_test_id("run-created")).to_contain_text("draft invoices created",
                                                               timeout=60_000)
    expect(row.get_by_test_id("run-status")).to_have_text("completed")
    n = _one(app, "SELECT count(*) FROM invoice WHERE bill_run_id = :r", r=run_id)
    assert n > first_wave and n > 20
    assert _dec_run(app)[1:] == ("completed", 100)
    expect(row.get_by_test_id("run-invoices")).to_have_text(str(n))
    screenshot(page, "finance-bill-run-completed")

    # Re-running the period creates nothing new, and says so.
    drafts_audited = _one(app, "SELECT count(*) FROM audit_event WHERE action = "
                          "'invoice.draft'")
    page.get_by_test_id("run-month").fill("2026-12")
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-nothing-new")).to_contain_text(
        f"all {n} invoices of this period already exist", timeout=60_000)
    assert _one(app, "SELECT count(*) FROM invoice") == invoices_before + n
    assert _one(app, "SELECT count(*) FROM bill_run WHERE period_start = :d", d=DEC) == 1
    assert _one(app, "SELECT count(*) FROM audit_event WHERE action = "
                "'invoice.draft'") == drafts_audited
    screenshot(page, "finance-bill-run-rerun-nothing-new")
    return run_id


def _pick_flag(app, run_id: int) -> str:
    """The flag with the most invoices that have something to credit (at most one page)."""
    rows = query(app.db_url, "SELECT json_extract(j.value, '$.code') AS c, "
                 "sum(i.total_minor > 0) AS positive, count(*) AS n FROM invoice i, "
                 "json_each(i.flags) j WHERE i.bill_run_id = :r GROUP BY c "
                 "ORDER BY positive DESC, n DESC", r=run_id)
    code, positive, n = rows[0]
    assert positive >= 2 and n <= 50, rows
    return code


def _flagged(app, run_id: int, flag: str) -> list[tuple[int, int, str]]:
    return query(app.db_url, "SELECT i.id, i.total_minor, i.status FROM invoice i WHERE "
                 "i.bill_run_id = :r AND i.flags LIKE :f ORDER BY i.total_minor",
                 r=run_id, f=f'%"{flag}"%')


def _filter_flag(page: Page, flag: str, count: int) -> None:
    page.get_by_test_id("filter-flag").select_option(flag)
    page.get_by_test_id("apply-filters").click()
    expect(page.get_by_test_id("total-rows")).to_have_text(f"{count} rows")


def test_finance_runs_reviews_issues_and_credits(page: Page, app) -> None:
    run_id = _run_december(page, app)
    n = _one(app, "SELECT count(*) FROM invoice WHERE bill_run_id = :r", r=run_id)

    # The run's invoices in the review queue, then only the flagged ones.
    page.get_by_test_id("run-row").filter(has_text=DEC).get_by_test_id("run-review").click()
    page.wait_for_url(f"**/invoices?run={run_id}")
    expect(page.get_by_test_id("page-title")).to_have_text("Invoice review")
    expect(page.get_by_test_id("total-rows")).to_have_text(f"{n} rows")
    flag = _pick_flag(app, run_id)
    flagged = _flagged(app, run_id, flag)
    _filter_flag(page, flag, len(flagged))
    expect(page.get_by_test_id("invoice-row")).to_have_count(len(flagged))
    expect(page.get_by_test_id("invoice-row").first.get_by_test_id("flag-badge").first
           ).to_be_visible()
    page.get_by_test_id("sort-amount").click()
    expect(page.get_by_test_id("invoice-row").first.get_by_test_id("row-total")
           ).not_to_have_text("")
    screenshot(page, "finance-review-flagged")

    # One flagged invoice on its page: flags, lines, usage, approve, issue.
    small = next(i for i, total, _ in flagged if total > 0)
    big_id, big_total, _ = flagged[-1]
    page.goto(f"{app.url}/invoices/{small}")
    expect(page.get_by_test_id("invoice-status")).to_have_text("draft")
    expect(page.get_by_test_id("invoice-flag").first).to_be_visible()
    lines = _one(app, "SELECT count(*) FROM invoice_line WHERE invoice_id = :i", i=small)
    expect(page.get_by_test_id("line-row")).to_have_count(lines)
    expect(page.get_by_test_id("history-row")).to_have_count(1)
    if _one(app, "SELECT count(*) FROM invoice_line WHERE invoice_id = :i AND kind = 'usage'",
            i=small):
        expect(page.get_by_test_id("usage-chart")).to_be_visible()
    screenshot(page, "finance-invoice-draft")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("invoice-status")).to_have_text("approved")
    page.get_by_test_id("issue").click()
    expect(page.get_by_test_id("invoice-status")).to_have_text("issued")
    number = _one(app, "SELECT number FROM invoice WHERE id = :i", i=small)
    assert NUMBER.match(number)
    expect(page.get_by_test_id("invoice-number")).to_have_text(number)
    expect(page.get_by_test_id("approve")).to_have_count(0)
    with page.expect_download() as pdf:
        page.get_by_test_id("download-pdf").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
    assert pdf.value.suggested_filename == f"{number}.pdf"
    with page.expect_download() as csv_file:
        page.get_by_test_id("download-csv").click()
    text = Path(csv_file.value.path()).read_text(encoding="utf-8")
    assert text.startswith("invoice,invoice_id") and len(text.strip().splitlines()) == lines + 1
    screenshot(page, "finance-invoice-issued")

    # The rest of the flagged drafts: bulk approve, then bulk issue.
    page.goto(f"{app.url}/invoices?run={run_id}")
    rest = len(flagged) - 1  # the queue shows drafts and held invoices: one is issued
    _filter_flag(page, flag, rest)
    page.get_by_test_id("select-page").click()
    expect(page.get_by_test_id("selected-count")).to_have_text(f"{rest} selected")
    page.get_by_test_id("bulk-approve").click()
    expect(page.get_by_test_id("bulk-summary")).to_have_text(
        f"{rest} of {rest} invoices approved; 0 refused.", timeout=60_000)
    expect(page.get_by_test_id("bulk-result")).to_have_count(rest)
    screenshot(page, "finance-review-bulk-approved")
    assert {s for _, _, s in _flagged(app, run_id, flag)} == {"approved", "issued"}
    page.get_by_test_id("tab-approved").click()
    expect(page.get_by_test_id("total-rows")).to_have_text(f"{rest} rows")
    page.get_by_test_id("select-page").click()
    page.get_by_test_id("bulk-issue").click()
    expect(page.get_by_test_id("bulk-summary")).to_have_text(
        f"{rest} of {rest} invoices issued; 0 refused.", timeout=60_000)
    assert {s for _, _, s in _flagged(app, run_id, flag)} == {"issued"}
    page.get_by_test_id("tab-issued").click()
    expect(page.get_by_test_id("total-rows")).to_have_text(f"{len(flagged)} rows")
    expect(page.get_by_test_id("invoice-link").first).to_have_text(re.compile(r"^INV-"))
    screenshot(page, "finance-review-issued")
    _numbers_gap_free(app)
    for iid, _, _ in flagged:
        actions = [a for (a,) in query(app.db_url, "SELECT action FROM audit_event WHERE "
                                       "object_type = 'invoice' AND object_id = :i ORDER BY id",
                                       i=str(iid))]
        assert actions == ["invoice.draft", "invoice.approve", "invoice.issue"], actions

    # A small partial credit is issued at once.
    page.goto(f"{app.url}/invoices/{small}")
    page.get_by_test_id("open-credit").click()
    expect(page.get_by_test_id("dialog-credit")).to_be_visible()
    page.get_by_test_id("credit-line").first.fill("1.00")
    page.get_by_test_id("credit-reason").fill("Goodwill for a late invoice (e2e)")
    page.get_by_test_id("credit-preview").click()
    expect(page.get_by_test_id("credit-immediate")).to_be_visible()
    screenshot(page, "finance-credit-preview")
    page.get_by_test_id("credit-create").click()
    expect(page.get_by_test_id("credit-row")).to_have_count(1)
    expect(page.get_by_test_id("credit-status")).to_have_text("issued")
    note_total, note_number = query(app.db_url, "SELECT total_minor, number FROM credit_note "
                                    "WHERE invoice_id = :i", i=small)[0]
    assert note_number.startswith("CN-") and note_total >= 100
    assert _one(app, "SELECT credited_minor FROM invoice WHERE id = :i", i=small) == note_total
    expect(page.get_by_test_id("credit-row")).to_contain_text(note_number)
    assert [a for (a,) in query(app.db_url, "SELECT action FROM audit_event WHERE "
                                "object_type = 'invoice' AND object_id = :i ORDER BY id",
                                i=str(small))][-1] == "invoice.credit"
    assert _one(app, "SELECT count(*) FROM audit_event WHERE action = 'credit_note.issue' "
                "AND object_type = 'credit_note' AND object_id = (SELECT CAST(id AS TEXT) FROM "
                "credit_note WHERE invoice_id = :i)", i=small) == 1

    # A full credit above the threshold waits for a second finance user.
    assert big_total > THRESHOLD
    page.goto(f"{app.url}/invoices/{big_id}")
    page.get_by_test_id("open-credit").click()
    page.get_by_test_id("credit-full").click()
    page.get_by_test_id("credit-reason").fill("Billed on the wrong plan (e2e)")
    page.get_by_test_id("credit-preview").click()
    expect(page.get_by_test_id("credit-needs-approval")).to_be_visible()
    page.get_by_test_id("credit-create").click()
    expect(page.get_by_test_id("credit-status")).to_have_text("pending approval")
    expect(page.get_by_test_id("pending-mine")).to_be_visible()
    expect(page.get_by_test_id("approve-credit")).to_have_count(0)
    assert _one(app, "SELECT credited_minor FROM invoice WHERE id = :i", i=big_id) == 0
    screenshot(page, "finance-credit-pending")
    _sign_out(page)

    sign_in(page, app.url, "finance2@demo.test", next_path=f"/invoices/{big_id}")
    expect(page.get_by_test_id("approve-credit")).to_be_visible()
    page.get_by_test_id("approve-credit").click()
    expect(page.get_by_test_id("credit-status")).to_have_text("issued")
    expect(page.get_by_test_id("invoice-status")).to_have_text("paid")
    assert query(app.db_url, "SELECT status, credited_minor FROM invoice WHERE id = :i",
                 i=big_id) == [("paid", big_total)]
    approver = _one(app, "SELECT u.email FROM credit_note n JOIN app_user u ON "
                    "u.id = n.approved_by WHERE n.invoice_id = :i", i=big_id)
    assert approver == "finance2@demo.test"
    screenshot(page, "finance2-credit-approved")


def test_stale_page_is_refused_and_changes_nothing(page: Page, app) -> None:
    iid, version = query(app.db_url, "SELECT id, version FROM invoice WHERE status = 'draft' "
                         "ORDER BY id DESC LIMIT 1")[0]
    sign_in(page, app.url, "finance@demo.test", next_path=f"/invoices/{iid}")
    expect(page.get_by_test_id("invoice-version")).to_have_text(f"version {version}")
    # Someone else puts it on hold after the page was loaded.
    finance2 = _one(app, "SELECT id FROM app_user WHERE email = 'finance2@demo.test'")
    engine = make_engine(app.db_url)
    try:
        with unit_of_work(engine) as s:
            inv_svc.hold_invoice(s, invoice_id=iid, version=version, reason="checking usage",
                                 actor=Actor(finance2, "finance2@demo.test"))
    finally:
        engine.dispose()
    audits = _one(app, "SELECT count(*) FROM audit_event")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("action-error")).to_contain_text("changed by someone else")
    assert query(app.db_url, "SELECT status, version FROM invoice WHERE id = :i", i=iid) == [
        ("in_review", version + 1)]
    assert _one(app, "SELECT count(*) FROM audit_event") == audits
    screenshot(page, "finance-invoice-stale")
    page.get_by_test_id("reload").click()
    expect(page.get_by_test_id("invoice-status")).to_have_text("in review")
    expect(page.get_by_test_id("hold-reason")).to_contain_text("checking usage")
    expect(page.get_by_test_id("release-hold")).to_be_visible()


def test_finance_imports_usage_files(page: Page, app, tmp_path: Path) -> None:
    code = _one(app, "SELECT code FROM customer ORDER BY id LIMIT 1")
    meter = _one(app, "SELECT event_type FROM meter ORDER BY id LIMIT 1")
    good = tmp_path / "december-usage.csv"
    good.write_text("customer_code,event_type,quantity,timestamp,idempotency_key\n"
                    f"{code},{meter},12.5,2026-12-02T10:00:00Z,e2e-u1\n"
                    f"{code},{meter},12.5,2026-12-02T10:00:00Z,e2e-u1\n"
                    f"{code},{meter},3,2026-12-03T10:00:00+01:00,e2e-u2\n")
    bad = tmp_path / "broken.jsonl"
    bad.write_text(f'{{"customer_code": "{code}", "event_type": "{meter}", "quantity": "-1", '
                   f'"timestamp": "2026-12-04T10:00:00Z", "idempotency_key": "e2e-u3"}}\n')
    sign_in(page, app.url, "finance@demo.test", next_path="/usage")
    expect(page.get_by_test_id("page-title")).to_have_text("Usage imports")
    drop = page.get_by_test_id("usage-dropzone").locator("input[type=file]")
    drop.set_input_files(str(good))
    expect(page.get_by_test_id("selected-file")).to_have_text("december-usage.csv")
    page.get_by_test_id("usage-import").click()
    expect(page.get_by_test_id("report-status")).to_have_text("accepted", timeout=60_000)
    expect(page.get_by_test_id("report-inserted")).to_have_text("2")
    expect(page.get_by_test_id("report-duplicates")).to_have_text("1")
    assert _one(app, "SELECT count(*) FROM usage_event WHERE idempotency_key LIKE 'e2e-u%'") == 2
    expect(page.get_by_test_id("import-row").first).to_contain_text("december-usage.csv")
    screenshot(page, "finance-usage-accepted")
    drop.set_input_files(str(bad))
    page.get_by_test_id("usage-import").click()
    expect(page.get_by_test_id("report-status")).to_have_text("rejected", timeout=60_000)
    expect(page.get_by_test_id("report-error")).to_have_text(
        "line 1: bad quantity '-1': must not be negative")
    assert _one(app, "SELECT count(*) FROM usage_event WHERE idempotency_key LIKE 'e2e-u%'") == 2
    assert _one(app, "SELECT status FROM usage_import WHERE filename = 'broken.jsonl'") == \
        "rejected"
    screenshot(page, "finance-usage-rejected")


def test_support_reads_invoices_without_actions(page: Page, app) -> None:
    iid = _one(app, "SELECT id FROM invoice WHERE status = 'draft' ORDER BY id LIMIT 1")
    issued = _one(app, "SELECT id FROM invoice WHERE status = 'issued' ORDER BY id LIMIT 1")
    audits = _one(app, "SELECT count(*) FROM audit_event WHERE action NOT LIKE 'session.%'")
    before = query(app.db_url, "SELECT id, status, version FROM invoice ORDER BY id")
    sign_in(page, app.url, "support@demo.test", next_path="/invoices")
    expect(page.get_by_test_id("invoice-row").first).to_be_visible()
    expect(page.get_by_test_id("row-select")).to_have_count(0)
    expect(page.get_by_test_id("bulk-approve")).to_have_count(0)
    screenshot(page, "support-invoices")
    for target in (iid, issued):
        page.goto(f"{app.url}/invoices/{target}")
        expect(page.get_by_test_id("line-row").first).to_be_visible()
        expect(page.get_by_test_id("download-pdf")).to_be_visible()
        for action in ("approve", "issue", "hold", "void", "release-hold", "mark-paid",
                       "mark-uncollectible", "open-credit", "edit-line", "approve-credit"):
            expect(page.get_by_test_id(action)).to_have_count(0)
    screenshot(page, "support-invoice-detail")
    page.goto(f"{app.url}/bill-runs")
    expect(page.get_by_test_id("run-row").first).to_be_visible()
    expect(page.get_by_test_id("run-start")).to_have_count(0)
    expect(page.get_by_test_id("run-release")).to_have_count(0)
    page.goto(f"{app.url}/usage")
    expect(page.get_by_test_id("page-title")).to_have_text("Usage imports")
    expect(page.get_by_test_id("usage-dropzone")).to_have_count(0)
    screenshot(page, "support-bill-runs-usage")
    assert query(app.db_url, "SELECT id, status, version FROM invoice ORDER BY id") == before
    assert _one(app, "SELECT count(*) FROM audit_event WHERE action NOT LIKE "
                "'session.%'") == audits


def test_usage_api_is_served_beside_the_app(page: Page, app) -> None:
    # The e2e server has no CONSOLE_USAGE_API_TOKEN: the endpoint exists and says it is off.
    resp = page.request.post(f"{app.url}/api/usage/events", data="[]",
                             headers={"content-type": "application/json"})
    assert resp.status == 503
    assert "CONSOLE_USAGE_API_TOKEN" in resp.json()["error"]
