"""KPI dashboards in Chromium: a monetization lead filters by segment, clicks the churn bar of a
month and lands on exactly the customers the database says churned then; CSV and PNG export."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import query, sign_in

pytestmark = pytest.mark.e2e

#: Trace order of the MRR waterfall (pages/kpis/charts.py): churn is the fifth bar trace.
CHURN_TRACE = 4


@pytest.fixture(scope="module")
def app(servers):
    return servers.get("local")


def _months(app) -> list[str]:
    rows = query(app.db_url, "SELECT DISTINCT month FROM mrr_monthly ORDER BY month")
    return [str(m)[:7] for (m,) in rows]


def _churned(app, segment: str, month: str) -> set[str]:
    """Customer codes with MRR the month before ``month`` and none in it, in ``segment``."""
    y, m = int(month[:4]), int(month[5:7])
    first = date(y, m, 1)
    before = date(y - (m == 1), 12 if m == 1 else m - 1, 1)
    rows = query(app.db_url, (
        "SELECT c.code FROM mrr_monthly p JOIN customer c ON c.id = p.customer_id "
        "WHERE c.segment = :seg AND p.month = :before AND p.mrr_minor > 0 AND NOT EXISTS ("
        "SELECT 1 FROM mrr_monthly q WHERE q.customer_id = p.customer_id AND q.month = :month "
        "AND q.mrr_minor > 0)"), seg=segment, before=before.isoformat(),
        month=first.isoformat())
    return {code for (code,) in rows}


def _busiest_churn(app) -> tuple[str, str, set[str]]:
    """The (segment, month) with the most churned customers, per the database."""
    months = _months(app)
    best = ("", "", set())
    for segment in ("smb", "mid_market", "enterprise"):
        for month in months[1:]:
            codes = _churned(app, segment, month)
            if len(codes) > len(best[2]):
                best = (segment, month, codes)
    assert best[2], "the demo company has no churn to click"
    return best


def _wait_ready(page: Page) -> None:
    expect(page.get_by_test_id("kpi-card-mrr")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("kpi-progress")).to_have_count(0, timeout=60_000)


def _wait_charts(page: Page) -> None:
    # Plotly loads on the client after the page: wait until every chart has drawn.
    for name in ("waterfall", "retention", "churn", "aging", "dso", "disputes", "support"):
        expect(page.get_by_test_id(f"chart-{name}").locator(".main-svg").first).to_be_visible(
            timeout=30_000)


def _drill_codes(page: Page) -> set[str]:
    rows = page.get_by_test_id("drill-row")
    return {rows.nth(i).locator("td").nth(1).inner_text().strip() for i in range(rows.count())}


def _click_bar(page: Page, chart: str, trace: int, point: int) -> None:
    bar = (page.get_by_test_id(f"chart-{chart}").locator(".barlayer .trace").nth(trace)
           .locator(".point").nth(point))
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box and box["height"] > 0, "the bar has no height to click"
    # Plotly listens on its drag layer above the bars: click the spot, not the element.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_lead_filters_by_segment_and_drills_into_churn(page: Page, app) -> None:
    segment, month, expected = _busiest_churn(app)
    sign_in(page, app.url, "lead@demo.test", next_path="/kpis")
    _wait_ready(page)
    expect(page.get_by_test_id("page-title")).to_have_text("KPI dashboards")
    for key in ("mrr", "arr", "nrr", "grr", "churn", "arpa", "dso", "disputes", "support",
                "receivables"):
        expect(page.get_by_test_id(f"kpi-card-{key}")).to_be_visible()
    _wait_charts(page)
    screenshot(page, "kpis-dashboard")

    page.get_by_test_id("kpi-filter-segment").select_option(segment)
    page.get_by_test_id("kpi-apply").click()
    _wait_ready(page)
    _wait_charts(page)
    expect(page.get_by_test_id("kpi-status")).to_contain_text("USD")
    shown = page.get_by_test_id("chart-waterfall").locator(".xtick text")
    labels = [shown.nth(i).text_content() for i in range(shown.count())]
    assert month in labels, (month, labels)
    _click_bar(page, "waterfall", CHURN_TRACE, labels.index(month))
    panel = page.get_by_test_id("drill-panel")
    expect(panel).to_be_visible(timeout=30_000)
    label = date(int(month[:4]), int(month[5:7]), 1).strftime("%b %Y")
    expect(page.get_by_test_id("drill-title")).to_have_text(f"Churn MRR in {label}")
    expect(page.get_by_test_id("total-rows")).to_have_text(f"{len(expected)} rows")
    assert _drill_codes(page) == expected
    screenshot(page, "kpis-drill-churn")

    with page.expect_download() as csv_download:
        page.get_by_test_id("drill-export").click()
    csv_path = csv_download.value.path()
    text = open(csv_path, encoding="utf-8").read()
    assert text.startswith("customer_id,Customer,Name")
    assert {line.split(",")[1] for line in text.strip().splitlines()[1:]} == expected

    first = page.get_by_test_id("drill-row").first
    code = first.locator("td").nth(1).inner_text().strip()
    first.get_by_test_id("drill-open-customer").click()
    page.wait_for_url(re.compile(r".*/customers/\d+$"))
    cid = int(page.url.rsplit("/", 1)[-1])
    assert query(app.db_url, "SELECT code FROM customer WHERE id = :i", i=cid) == [(code,)]
    expect(page.get_by_test_id("customer-name")).to_be_visible()
    screenshot(page, "kpis-drill-customer")


def test_card_drill_png_and_series_exports(page: Page, app) -> None:
    sign_in(page, app.url, "finance@demo.test", next_path="/kpis")
    _wait_ready(page)
    _wait_charts(page)
    latest = _months(app)[-1]
    page.get_by_test_id("kpi-card-mrr").click()
    expect(page.get_by_test_id("drill-panel")).to_be_visible(timeout=30_000)
    paying = query(app.db_url, "SELECT count(*) FROM mrr_monthly WHERE month = :m",
                   m=f"{latest}-01")[0][0]
    expect(page.get_by_test_id("total-rows")).to_have_text(f"{paying} rows")
    expect(page.get_by_test_id("drill-row")).to_have_count(min(paying, 50))
    if paying > 50:
        page.get_by_test_id("next-page").click()
        expect(page.get_by_test_id("page-position")).to_have_text(re.compile(r"Page 2 of"))
    chart = page.get_by_test_id("chart-aging")
    chart.scroll_into_view_if_needed()
    chart.locator(".main-svg").first.hover()
    with page.expect_download() as png:
        chart.get_by_role("button", name="Download plot as a PNG").click()
    assert png.value.suggested_filename == "kpi-aging.png"
    with open(png.value.path(), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as series:
        page.get_by_test_id("kpi-export-series").click()
    assert series.value.suggested_filename == "kpi-monthly-series.csv"
    screenshot(page, "kpis-finance-card-drill")
