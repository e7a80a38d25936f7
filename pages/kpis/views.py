"""KPI dashboards view: filters, progress, cards, charts and the drill-down table."""

import reflex as rx

from pages.components.layout import pager
from pages.kpis.charts import config
from pages.kpis.state import KpisState
from pages.registry import PAGES

#: The invoice detail page, once the invoices area routes one (drill-down links to it).
INVOICE_ROUTE = next((p.route for p in PAGES if p.route.startswith("/invoices/[")), "")


def _select(name: str, options, value, placeholder: str = "") -> rx.Component:
    first = [rx.el.option(placeholder, value="")] if placeholder else []
    return rx.el.select(
        *first,
        rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value)),
        name=name, default_value=value, key=name + "-" + value.to_string(),
        class_name="native-select", data_testid=f"kpi-filter-{name}",
    )


def filters() -> rx.Component:
    """The filter form: months, currency, segment, region, plan and plan version."""
    s = KpisState
    return rx.form(
        rx.hstack(
            rx.text("From", size="2"), _select("start_month", s.month_options, s.start_month,
                                              "12 months back"),
            rx.text("to", size="2"), _select("end_month", s.month_options, s.end_month,
                                            "Latest month"),
            _select("currency", s.currency_options, s.currency),
            _select("segment", s.segment_options, s.segment, "Any segment"),
            _select("region", s.region_options, s.region, "Any region"),
            _select("plan_id", s.plan_options, s.plan_id, "Any plan"),
            _select("plan_version_id", s.version_options, s.plan_version_id,
                    "Any plan version"),
            rx.button("Apply", type="submit", disabled=s.loading,
                      data_testid="kpi-apply"),
            spacing="2", wrap="wrap", align="center",
        ),
        on_submit=s.apply_filters,
    )


def _tone(tone) -> rx.Var:
    return rx.match(tone, ("good", "green"), ("bad", "red"), "gray")


def _card(c) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(c.label, size="1", color_scheme="gray", weight="medium"),
            rx.text(c.value, size="5", weight="bold", data_testid="kpi-card-value"),
            rx.text(c.change, size="1", color_scheme=_tone(c.tone)),
            rx.text(c.hint, size="1", color_scheme="gray"),
            spacing="1",
        ),
        on_click=KpisState.drill_card(c.key),
        class_name="home-card", cursor="pointer",
        data_testid="kpi-card-" + c.key,
    )


def _chart(title: str, name: str, figure, on_click, hint: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading(title, size="3"), rx.spacer(),
                      rx.text(hint, size="1", color_scheme="gray"), width="100%",
                      align="center"),
            rx.plotly(data=figure, on_click=on_click, config=config(f"kpi-{name}"),
                      width="100%", height="300px", use_resize_handler=True),
            spacing="1", width="100%",
        ),
        width="100%", data_testid=f"chart-{name}",
    )


def charts() -> rx.Component:
    """The seven charts, two per row; a click on a bar opens its drill-down."""
    s = KpisState
    return rx.grid(
        _chart("MRR waterfall", "waterfall", s.waterfall_fig, s.drill_waterfall,
               "click a bar for its customers"),
        _chart("NRR / GRR (month over month)", "retention", s.retention_fig, s.drill_retention,
               "click a point for the cohort"),
        _chart("Churned customers: voluntary / involuntary", "churn", s.churn_fig,
               s.drill_churn, "click a bar for the customers"),
        _chart("Collections aging", "aging", s.aging_fig, s.drill_aging,
               "click a bucket for its invoices"),
        _chart("DSO and receivables", "dso", s.dso_fig, s.drill_dso,
               "click a month for its open invoices"),
        _chart("Dispute rate and median time to resolve", "disputes", s.disputes_fig,
               s.drill_disputes, "click a month for its disputes"),
        _chart("Billing support load", "support", s.support_fig, s.drill_support,
               "click a month for its tickets"),
        columns=rx.breakpoints(initial="1", lg="2"), spacing="3", width="100%",
    )


def _link_cell(r) -> rx.Component:
    links = [rx.link(rx.icon("user", size=14), href="/customers/" + r.customer_id.to_string(),
                     title="Open customer", data_testid="drill-open-customer")]
    if INVOICE_ROUTE:
        base = INVOICE_ROUTE.split("[")[0]
        links.append(rx.cond(r.invoice_id > 0, rx.link(
            rx.icon("file-text", size=14), href=base + r.invoice_id.to_string(),
            title="Open invoice", data_testid="drill-open-invoice")))
    return rx.table.cell(rx.hstack(*links, spacing="2"))


def drill_panel() -> rx.Component:
    """The customers or invoices behind the clicked figure, 50 per page, with CSV export."""
    s = KpisState
    return rx.cond(
        s.drill_open,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(s.drill_title, size="4", data_testid="drill-title"),
                    rx.cond(s.drill_loading, rx.spinner(size="2", data_testid="drill-loading")),
                    rx.spacer(),
                    rx.button(rx.icon("download", size=14), "CSV", variant="soft", size="1",
                              on_click=s.export_drill, data_testid="drill-export"),
                    rx.button(rx.icon("x", size=14), "Close", variant="soft", size="1",
                              color_scheme="gray", on_click=s.close_drill,
                              data_testid="drill-close"),
                    width="100%", align="center",
                ),
                rx.cond(s.drill_error != "", rx.callout(s.drill_error, color_scheme="red",
                                                         icon="triangle-alert")),
                rx.cond(s.drill_note != "", rx.callout(s.drill_note, color_scheme="amber",
                                                        icon="info", size="1",
                                                        data_testid="drill-note")),
                pager(s.drill_page, s.drill_pages, s.drill_total, s.drill_prev, s.drill_next),
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(""),
                        rx.foreach(s.drill_columns, lambda h: rx.table.column_header_cell(h)),
                    )),
                    rx.table.body(rx.foreach(s.drill_rows, lambda r: rx.table.row(
                        _link_cell(r),
                        rx.foreach(r.cells, lambda c: rx.table.cell(c)),
                        data_testid="drill-row",
                    ))),
                    width="100%", size="1", variant="surface",
                ),
                width="100%", spacing="2",
            ),
            width="100%", id="drill", data_testid="drill-panel",
        ),
    )


def kpis_view() -> rx.Component:
    """The whole dashboard."""
    s = KpisState
    return rx.vstack(
        filters(),
        rx.cond(
            s.loading,
            rx.hstack(rx.spinner(size="2"),
                      rx.progress(value=s.progress, max=100, width="240px"),
                      rx.text(s.progress_message, size="2", color_scheme="gray"),
                      align="center", spacing="3", data_testid="kpi-progress"),
        ),
        rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", icon="triangle-alert",
                                          data_testid="kpi-error")),
        rx.cond(
            s.ready,
            rx.vstack(
                rx.hstack(
                    rx.text(s.status_line, size="2", color_scheme="gray",
                            data_testid="kpi-status"),
                    rx.spacer(),
                    rx.button(rx.icon("download", size=14), "Monthly figures CSV",
                              variant="soft", size="1", on_click=s.export_series,
                              data_testid="kpi-export-series"),
                    width="100%", align="center",
                ),
                rx.foreach(s.notes, lambda n: rx.text(n, size="1", color_scheme="amber")),
                rx.grid(rx.foreach(s.cards, _card), columns=rx.breakpoints(initial="2", md="5"),
                        spacing="3", width="100%"),
                drill_panel(),
                charts(),
                width="100%", spacing="3",
            ),
        ),
        width="100%", spacing="3",
    )
