"""Views of the catalog overview and of a plan."""

import reflex as rx

from pages.catalog.common import REGION_CHOICES, SEGMENT_CHOICES
from pages.catalog.state import CatalogState, PlanState
from pages.catalog.widgets import (
    change_rows,
    error_callout,
    header_table,
    json_block,
    months_select,
    native_select,
    section,
    status_badge,
)
from pages.components.layout import stat
from pages.session import SessionState

EDIT = "edit_catalog"


def _plans_table() -> rx.Component:
    return rx.table.root(
        header_table("Plan", "Product", "Interval", "Published", "Effective from",
                     "Open version", "Subscribers", "Open changes"),
        rx.table.body(rx.foreach(CatalogState.plans, lambda p: rx.table.row(
            rx.table.cell(rx.link(p.name, href="/catalog/plans/" + p.id.to_string(),
                                  data_testid="plan-link"), " ",
                          rx.code(p.code, size="1")),
            rx.table.cell(p.product),
            rx.table.cell(p.interval),
            rx.table.cell(rx.cond(p.published_version_id != 0,
                                  rx.link(p.published, href="/catalog/versions/"
                                          + p.published_version_id.to_string()),
                                  p.published)),
            rx.table.cell(p.effective_from),
            rx.table.cell(rx.cond(p.open_version_id != 0,
                                  rx.link(p.open_version, href="/catalog/versions/"
                                          + p.open_version_id.to_string()), "—")),
            rx.table.cell(p.subscribers, class_name="num"),
            rx.table.cell(p.pending_changes, class_name="num"),
            data_testid="plan-row"))),
        width="100%", size="1", variant="surface",
    )


def _reference_tabs() -> rx.Component:
    s = CatalogState
    return rx.tabs.root(
        rx.tabs.list(rx.tabs.trigger("Products", value="products"),
                     rx.tabs.trigger("Meters", value="meters"),
                     rx.tabs.trigger("Features", value="features")),
        rx.tabs.content(rx.table.root(
            header_table("Code", "Name", "Description"),
            rx.table.body(rx.foreach(s.products, lambda p: rx.table.row(
                rx.table.cell(rx.code(p.code)), rx.table.cell(p.name),
                rx.table.cell(p.description), data_testid="product-row"))),
            width="100%", size="1"), value="products", padding_top="0.5em"),
        rx.tabs.content(rx.table.root(
            header_table("Code", "Name", "Event type", "Aggregation", "Unit"),
            rx.table.body(rx.foreach(s.meters, lambda m: rx.table.row(
                rx.table.cell(rx.code(m.code)), rx.table.cell(m.name),
                rx.table.cell(m.event_type), rx.table.cell(m.aggregation), rx.table.cell(m.unit),
                data_testid="meter-row"))),
            width="100%", size="1"), value="meters", padding_top="0.5em"),
        rx.tabs.content(rx.table.root(
            header_table("Key", "Name", "Kind", "Product", "Meter"),
            rx.table.body(rx.foreach(s.features, lambda f: rx.table.row(
                rx.table.cell(rx.code(f.key)), rx.table.cell(f.name), rx.table.cell(f.kind),
                rx.table.cell(f.product), rx.table.cell(f.meter), data_testid="feature-row"))),
            width="100%", size="1"), value="features", padding_top="0.5em"),
        default_value="products", width="100%",
    )


def diff_table(prices: rx.Var, testid: str) -> rx.Component:
    """Rate-card changes side by side: published terms | new terms."""
    return rx.table.root(
        header_table("Change", "Price", "Changed", "Published", "Proposed", "Decrease"),
        rx.table.body(rx.foreach(prices, lambda d: rx.table.row(
            rx.table.cell(rx.badge(d.change_label, color_scheme=rx.match(
                d.change, ("added", "green"), ("removed", "red"), "amber"))),
            rx.table.cell(d.label, class_name="wrap"),
            rx.table.cell(d.fields, class_name="wrap"),
            rx.table.cell(rx.vstack(rx.text(d.old_summary, size="2"),
                                    rx.cond(d.old_properties != "",
                                            json_block(d.old_properties)),
                                    spacing="1"), max_width="360px"),
            rx.table.cell(rx.vstack(rx.text(d.new_summary, size="2"),
                                    rx.cond(d.new_properties != "",
                                            json_block(d.new_properties)),
                                    spacing="1"), max_width="360px"),
            rx.table.cell(d.decrease, class_name="num"),
            data_testid=testid))),
        width="100%", size="1", variant="surface",
    )


def entitlement_diff_table(rows: rx.Var, testid: str) -> rx.Component:
    """Entitlement changes side by side."""
    return rx.table.root(
        header_table("Change", "Feature", "Published", "Proposed"),
        rx.table.body(rx.foreach(rows, lambda e: rx.table.row(
            rx.table.cell(rx.badge(e.change_label)), rx.table.cell(rx.code(e.feature_key)),
            rx.table.cell(e.old), rx.table.cell(e.new), data_testid=testid))),
        width="100%", size="1", variant="surface",
    )


def _import_card() -> rx.Component:
    s = CatalogState
    return rx.card(rx.vstack(
        rx.heading("Import a plan version (JSON)", size="3"),
        rx.text("Paste a document exported from a plan page (Lago-compatible). You see what it "
                "changes against the published version before a change request is opened; "
                "an import never publishes by itself.", size="2", color_scheme="gray"),
        rx.form(rx.vstack(
            rx.text_area(name="document", placeholder='{"plan": {"code": "team", ...}, ...}',
                         rows="8", width="100%", font_family="monospace",
                         data_testid="import-document"),
            rx.button("Preview changes", type="submit", variant="soft",
                      data_testid="import-preview"),
            width="100%", spacing="2"), on_submit=s.preview_import, width="100%"),
        error_callout(s.import_error, "import-error"),
        rx.cond(s.import_checked, rx.vstack(
            rx.callout(rx.text("Plan ", rx.code(s.import_plan), ": ", s.import_summary, " (",
                               s.import_charges.to_string(), " price rows in the document)"),
                       icon="file-diff", data_testid="import-summary", width="100%"),
            diff_table(s.import_prices, "import-diff-row"),
            rx.cond(s.import_entitlements.length() > 0,
                    entitlement_diff_table(s.import_entitlements, "import-ent-row")),
            rx.form(rx.hstack(
                rx.input(name="reason", placeholder="Reason (required)", width="320px",
                         data_testid="import-reason"),
                months_select("import-months"),
                rx.button("Open change request", type="submit", loading=s.import_running,
                          data_testid="import-open"),
                rx.button("Clear", type="button", variant="soft", on_click=s.clear_import),
                rx.cond(s.import_running, rx.hstack(
                    rx.spinner(size="2"), rx.text("Simulating the revenue impact…", size="2"),
                    align="center")),
                align="center", spacing="2", wrap="wrap"), on_submit=s.open_import),
            width="100%", spacing="2")),
        width="100%", spacing="2"), width="100%", data_testid="import-card")


def catalog_view() -> rx.Component:
    """Stats, plans, the review queue, reference data and the import."""
    s = CatalogState
    return rx.vstack(
        rx.hstack(stat("Plans", s.plans.length().to_string(), "stat-plans"),
                  stat("Products", s.products.length().to_string()),
                  stat("Meters", s.meters.length().to_string()),
                  stat("Features", s.features.length().to_string()),
                  stat("Pending approvals", s.pending.length().to_string(), "stat-pending"),
                  spacing="3", wrap="wrap"),
        section("Plans", _plans_table(), testid="plans"),
        section("Pending approvals",
                rx.cond(s.pending.length() > 0, change_rows(s.pending, "pending-row"),
                        rx.text("Nothing is waiting for approval.", size="2",
                                color_scheme="gray")),
                testid="pending"),
        rx.cond(s.approved.length() > 0, section(
            "Approved, waiting to be published", change_rows(s.approved, "approved-row"))),
        section("Products, meters and features", _reference_tabs()),
        rx.cond(SessionState.permissions.contains(EDIT), section("Import", _import_card())),
        width="100%", spacing="3",
    )


# --- plan page ----------------------------------------------------------------------------------

def _versions_table() -> rx.Component:
    s = PlanState
    return rx.table.root(
        header_table("Version", "Status", "Effective from", "Effective to", "Based on",
                     "Created by", "Created", "Published", ""),
        rx.table.body(rx.foreach(s.versions, lambda v: rx.table.row(
            rx.table.cell(rx.link(v.label, href="/catalog/versions/" + v.id.to_string(),
                                  data_testid="version-link")),
            rx.table.cell(status_badge(v.status, v.status_label)),
            rx.table.cell(v.effective_from), rx.table.cell(v.effective_to),
            rx.table.cell(v.based_on), rx.table.cell(v.created_by), rx.table.cell(v.created_at),
            rx.table.cell(v.published_at),
            rx.table.cell(rx.button(rx.cond(s.shown_version_id == v.id, "Shown",
                                            "Show rate card"),
                                    size="1", variant="soft",
                                    disabled=s.shown_version_id == v.id,
                                    on_click=PlanState.show_version(v.id))),
            data_testid="version-row"))),
        width="100%", size="1", variant="surface",
    )


def price_table(rows: rx.Var, testid: str, actions=None) -> rx.Component:
    """A rate card: one row per price, currency and region/segment."""
    headers = ["Price", "Kind", "Model", "Terms", "Currency", "Region", "Segment", "Interval",
               "Billed", "Minimum", "Commit"]
    return rx.table.root(
        header_table(*headers, *([""] if actions else [])),
        rx.table.body(rx.foreach(rows, lambda p: rx.table.row(
            rx.table.cell(p.name, rx.cond(p.meter != "", rx.text(p.meter, size="1",
                                                                 color_scheme="gray"))),
            rx.table.cell(p.kind), rx.table.cell(rx.code(p.charge_model, size="1")),
            rx.table.cell(p.summary, class_name="wrap"),
            rx.table.cell(rx.badge(p.currency, variant="outline")),
            rx.table.cell(p.region), rx.table.cell(p.segment), rx.table.cell(p.billing_interval),
            rx.table.cell(p.timing), rx.table.cell(p.minimum, class_name="num"),
            rx.table.cell(p.commit, class_name="num"),
            *([rx.table.cell(actions(p))] if actions else []),
            data_testid=testid))),
        width="100%", size="1", variant="surface",
    )


def entitlement_table(rows: rx.Var, testid: str, actions=None) -> rx.Component:
    """Features a version grants."""
    return rx.table.root(
        header_table("Feature", "Name", "Kind", "Value", *([""] if actions else [])),
        rx.table.body(rx.foreach(rows, lambda e: rx.table.row(
            rx.table.cell(rx.code(e.feature_key)), rx.table.cell(e.feature_name),
            rx.table.cell(e.kind), rx.table.cell(e.value),
            *([rx.table.cell(actions(e))] if actions else []),
            data_testid=testid))),
        width="100%", size="1", variant="surface",
    )


def _rate_card() -> rx.Component:
    s = PlanState
    return rx.vstack(
        rx.hstack(
            rx.text("Showing ", rx.text.strong(s.shown_label), " (", s.shown_status, ")",
                    size="2", data_testid="shown-version"),
            rx.spacer(),
            rx.text("Currency", size="2"),
            rx.el.select(rx.el.option("All currencies", value=""),
                         rx.foreach(s.currencies, lambda c: rx.el.option(c, value=c)),
                         value=s.currency_filter, on_change=s.filter_currency,
                         class_name="native-select", data_testid="currency-filter"),
            rx.button(rx.icon("download", size=14), "Export JSON", variant="soft", size="2",
                      on_click=s.export, data_testid="export-json"),
            align="center", width="100%", spacing="2"),
        price_table(s.prices, "price-row"),
        rx.heading("Entitlements", size="3", padding_top="0.5em"),
        entitlement_table(s.entitlements, "entitlement-row"),
        width="100%", spacing="2",
    )


def _plan_actions() -> rx.Component:
    s = PlanState
    return rx.cond(SessionState.permissions.contains(EDIT), rx.card(rx.vstack(
        rx.hstack(
            rx.cond(s.can_start_draft | s.can_start_empty_draft,
                    rx.button(rx.icon("pencil", size=14), "Edit (new draft)",
                              on_click=s.start_draft, data_testid="start-draft")),
            rx.cond(s.open_version_id != 0,
                    rx.link(rx.button("Open the version in progress", variant="soft"),
                            href="/catalog/versions/" + s.open_version_id.to_string(),
                            data_testid="open-version")),
            align="center", spacing="2"),
        rx.form(rx.hstack(
            rx.text("Roll back to the previous published version:", size="2"),
            rx.input(name="reason", placeholder="Reason (required)", width="260px",
                     data_testid="rollback-reason"),
            months_select("rollback-months"),
            rx.button(rx.icon("undo-2", size=14), "Propose rollback", type="submit",
                      variant="soft", color_scheme="orange", loading=s.rollback_running,
                      data_testid="rollback"),
            rx.cond(s.rollback_running, rx.hstack(rx.spinner(size="2"), rx.text(
                "Simulating the revenue impact…", size="2"), align="center")),
            align="center", spacing="2", wrap="wrap"), on_submit=s.rollback,
            reset_on_submit=True),
        spacing="3", width="100%"), width="100%"))


def _migration_form() -> rx.Component:
    s = PlanState
    return rx.form(rx.vstack(
        rx.hstack(
            rx.text("Move subscribers from", size="2"),
            rx.el.select(rx.el.option("choose…", value=""),
                         rx.foreach(s.mig_sources, lambda v: rx.el.option(
                             v.label + " (" + v.status_label + ")", value=v.id.to_string())),
                         name="from_version_id", class_name="native-select",
                         data_testid="mig-from"),
            rx.text("to the published version", size="2"),
            native_select("segment", [("", "any segment")]
                          + [(v, v.replace("_", " ")) for v in SEGMENT_CHOICES], "mig-segment"),
            native_select("region", [("", "any region")] + [(v, v) for v in REGION_CHOICES],
                          "mig-region"),
            rx.el.select(rx.el.option("any currency", value=""),
                         rx.foreach(s.currencies, lambda c: rx.el.option(c, value=c)),
                         name="currency", class_name="native-select",
                         data_testid="mig-currency"),
            spacing="2", align="center", wrap="wrap"),
        rx.hstack(
            native_select("timing", [("next_renewal", "at next renewal"),
                                     ("date", "on a date")], "mig-timing"),
            rx.input(name="effective_date", type="date", width="170px",
                     data_testid="mig-date"),
            rx.text("(the date is used when timing is “on a date”)", size="1",
                    color_scheme="gray"),
            rx.button("Preview migration", type="submit", variant="soft",
                      data_testid="mig-preview"),
            spacing="2", align="center", wrap="wrap"),
        spacing="2", width="100%"), on_submit=s.preview_migration, width="100%")


def _migration_preview() -> rx.Component:
    s = PlanState
    return rx.cond(s.mig_checked, rx.card(rx.vstack(
        rx.text(s.mig_summary, weight="medium", data_testid="mig-summary"),
        rx.table.root(
            header_table("Currency", "Subscriptions", "MRR before", "MRR after", "Change"),
            rx.table.body(rx.foreach(s.mig_totals, lambda t: rx.table.row(
                rx.table.cell(t.currency), rx.table.cell(t.subscriptions, class_name="num"),
                rx.table.cell(t.mrr_before, class_name="num"),
                rx.table.cell(t.mrr_after, class_name="num"),
                rx.table.cell(t.change, class_name="num"), data_testid="mig-total-row"))),
            size="1", width="100%"),
        rx.table.root(
            header_table("Customer", "Currency", "Moves on", "MRR before", "MRR after",
                         "Change"),
            rx.table.body(rx.foreach(s.mig_lines, lambda ln: rx.table.row(
                rx.table.cell(rx.link(ln.customer_code + " · " + ln.customer_name,
                                      href="/customers/" + ln.customer_id.to_string())),
                rx.table.cell(ln.currency), rx.table.cell(ln.move_on),
                rx.table.cell(ln.mrr_before, class_name="num"),
                rx.table.cell(ln.mrr_after, class_name="num"),
                rx.table.cell(ln.change, class_name="num"), data_testid="mig-line"))),
            size="1", width="100%"),
        rx.cond(s.mig_count > s.mig_lines.length(),
                rx.text("First ", s.mig_lines.length().to_string(), " of ",
                        s.mig_count.to_string(), " subscriptions shown.", size="1",
                        color_scheme="gray")),
        rx.hstack(rx.button("Confirm and schedule", on_click=s.confirm_migration,
                            disabled=s.mig_count == 0, data_testid="mig-confirm"),
                  rx.button("Close", variant="soft", on_click=s.discard_migration_preview),
                  spacing="2"),
        spacing="2", width="100%"), width="100%"))


def _migrations_table() -> rx.Component:
    s = PlanState
    return rx.table.root(
        header_table("#", "From", "To", "Status", "Timing", "Date", "Who moves",
                     "Subscriptions", "MRR change", "Scheduled by", "At", ""),
        rx.table.body(rx.foreach(s.migrations, lambda m: rx.table.row(
            rx.table.cell(m.id), rx.table.cell(m.from_version), rx.table.cell(m.to_version),
            rx.table.cell(status_badge(m.status, m.status)), rx.table.cell(m.timing),
            rx.table.cell(m.effective_date), rx.table.cell(m.customer_filter, class_name="wrap"),
            rx.table.cell(m.subscriptions, class_name="num"),
            rx.table.cell(m.mrr_change, class_name="num"),
            rx.table.cell(m.created_by), rx.table.cell(m.created_at),
            rx.table.cell(rx.cond(
                (m.status == "scheduled") & SessionState.permissions.contains(EDIT),
                rx.button("Cancel", size="1", variant="soft", color_scheme="red",
                          on_click=PlanState.cancel_migration(m.id),
                          data_testid="mig-cancel"))),
            data_testid="migration-row"))),
        width="100%", size="1", variant="surface",
    )


def plan_view() -> rx.Component:
    """A plan: versions, one rate card, changes, actions and migrations."""
    s = PlanState
    return rx.cond(
        s.found,
        rx.vstack(
            rx.hstack(rx.link("Catalog", href="/catalog", size="2"), rx.text("/", size="2"),
                      rx.text(s.name, size="2"), spacing="2"),
            rx.hstack(rx.heading(s.name, size="5", data_testid="plan-name"),
                      rx.code(s.code), rx.badge(s.product), rx.badge(s.interval, variant="soft"),
                      align="center", spacing="2"),
            rx.cond(s.description != "", rx.text(s.description, size="2",
                                                  color_scheme="gray")),
            error_callout(s.error, "plan-error"),
            _plan_actions(),
            section("Versions", _versions_table()),
            section("Rate card and entitlements", _rate_card(), testid="rate-card"),
            section("Change requests", rx.cond(
                s.changes.length() > 0, change_rows(s.changes, "plan-change-row"),
                rx.text("No change requests yet.", size="2", color_scheme="gray"))),
            section(
                "Scheduled migrations",
                rx.text("Existing subscribers stay on their version when a new one is "
                        "published (grandfathered) until a migration moves them.", size="2",
                        color_scheme="gray"),
                rx.cond(SessionState.permissions.contains(EDIT), rx.vstack(
                    _migration_form(), error_callout(s.mig_error, "mig-error"),
                    _migration_preview(), width="100%", spacing="2")),
                rx.cond(s.migrations.length() > 0, _migrations_table(),
                        rx.text("No migrations for this plan.", size="2", color_scheme="gray")),
                testid="migrations"),
            width="100%", spacing="2",
        ),
        rx.callout(s.message, icon="search-x", color_scheme="gray", data_testid="not-found"),
    )
