"""View of one plan version and the draft editor."""

import reflex as rx

from pages.catalog.version_state import VersionState
from pages.catalog.views import entitlement_table, price_table
from pages.catalog.widgets import (
    change_rows,
    error_callout,
    header_table,
    months_select,
    progress_bar,
    section,
    status_badge,
)
from pages.session import SessionState

EDIT = "edit_catalog"


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium", color_scheme="gray"), control,
                     spacing="1")


def _select(name: str, options: rx.Var | list, default: rx.Var, testid: str,
            blank: str = "") -> rx.Component:
    """An uncontrolled native select (reset by the form's key) of plain string options."""
    items = [rx.el.option(blank, value="")] if blank else []
    if isinstance(options, list):
        items += [rx.el.option(label, value=value) for value, label in options]
        return rx.el.select(*items, name=name, default_value=default,
                            class_name="native-select", data_testid=testid)
    return rx.el.select(*items, rx.foreach(options, lambda o: rx.el.option(o, value=o)),
                        name=name, default_value=default, class_name="native-select",
                        data_testid=testid)


def _live_select(field: str, options: rx.Var, value: rx.Var, testid: str) -> rx.Component:
    """A controlled select whose change re-validates the price at once."""
    return rx.el.select(rx.foreach(options, lambda o: rx.el.option(o, value=o)), value=value,
                        on_change=lambda v: VersionState.live(field, v),
                        class_name="native-select", data_testid=testid)


def _editor() -> rx.Component:
    s = VersionState
    return rx.card(rx.form(rx.vstack(
        rx.heading(rx.cond(s.edit_price_id != 0, "Edit price", "New price"), size="3"),
        rx.hstack(
            _field("Name", rx.input(name="name", default_value=s.f_name, width="220px",
                                    data_testid="price-name")),
            _field("Kind", _select("kind", s.kinds, s.f_kind, "price-kind")),
            _field("Meter (usage prices)", rx.el.select(
                rx.el.option("no meter", value=""),
                rx.foreach(s.meters, lambda m: rx.el.option(m.name, value=m.id.to_string())),
                name="meter_id", default_value=s.f_meter, class_name="native-select",
                data_testid="price-meter")),
            _field("Billing interval", _select("billing_interval", s.intervals, s.f_interval,
                                               "price-interval")),
            _field("Billed", _select("timing", [("advance", "in advance"),
                                                ("arrears", "in arrears")],
                                     s.f_timing, "price-timing")),
            spacing="3", wrap="wrap", align="end"),
        rx.hstack(
            _field("Region", _select("region", s.regions, s.f_region, "price-region",
                                     blank="all regions")),
            _field("Segment", _select("segment", s.segments, s.f_segment, "price-segment",
                                      blank="all segments")),
            _field("Minimum per period", rx.input(name="minimum", default_value=s.f_minimum,
                                                  placeholder="none", width="130px",
                                                  data_testid="price-minimum")),
            _field("Commit", rx.input(name="commit", default_value=s.f_commit,
                                      placeholder="none", width="130px",
                                      data_testid="price-commit")),
            spacing="3", wrap="wrap", align="end"),
        rx.hstack(
            _field("Charge model", _live_select("model", s.charge_models, s.f_model,
                                                "price-model")),
            _field("Currency", _live_select("currency", s.currencies, s.f_currency,
                                            "price-currency")),
            rx.button("Insert example for this model", type="button", variant="ghost",
                      size="1", on_click=s.use_example),
            spacing="3", align="end"),
        rx.grid(
            rx.vstack(
                rx.text("Properties (JSON, validated as you type)", size="1", weight="medium",
                        color_scheme="gray"),
                rx.text_area(value=s.f_props, on_change=lambda v: VersionState.live("props", v),
                             rows="12", width="100%",
                             font_family="monospace", font_size="13px",
                             data_testid="price-properties"),
                rx.cond(s.problem != "",
                        rx.callout(s.problem, icon="circle-alert", color_scheme="red",
                                   size="1", data_testid="price-problem", width="100%"),
                        rx.callout("Valid properties.", icon="circle-check",
                                   color_scheme="green", size="1", data_testid="price-valid",
                                   width="100%")),
                spacing="1", width="100%"),
            rx.vstack(
                rx.text("What a sample customer pays (one period, as invoiced)", size="1",
                        weight="medium", color_scheme="gray"),
                rx.input(value=s.f_levels, on_change=lambda v: VersionState.live("levels", v),
                         width="100%", data_testid="price-levels"),
                rx.table.root(
                    header_table("Units", "Price"),
                    rx.table.body(rx.foreach(s.preview, lambda p: rx.table.row(
                        rx.table.cell(p.units, class_name="num"),
                        rx.table.cell(p.amount, class_name="num"),
                        data_testid="preview-row"))),
                    size="1", width="100%", variant="surface"),
                spacing="1", width="100%"),
            columns="2", spacing="4", width="100%"),
        error_callout(s.editor_error, "editor-error"),
        rx.hstack(rx.button("Save price", type="submit", data_testid="save-price"),
                  rx.button("Cancel", type="button", variant="soft", on_click=s.close_editor),
                  spacing="2"),
        spacing="3", width="100%"), on_submit=s.save_price, key=s.form_key.to_string(),
        width="100%"), width="100%", data_testid="price-editor")


def _price_actions(p) -> rx.Component:
    return rx.hstack(
        rx.button("Edit", size="1", variant="soft", on_click=VersionState.edit_price(p.id),
                  data_testid="edit-price"),
        rx.button("Delete", size="1", variant="soft", color_scheme="red",
                  on_click=VersionState.delete_price(p.id), data_testid="delete-price"),
        spacing="1")


def _entitlement_actions(e) -> rx.Component:
    return rx.button("Remove", size="1", variant="soft", color_scheme="red",
                     on_click=VersionState.delete_entitlement(e.feature_id))


def _entitlement_form() -> rx.Component:
    s = VersionState
    return rx.form(rx.hstack(
        rx.el.select(rx.el.option("feature…", value=""),
                     rx.foreach(s.features, lambda f: rx.el.option(
                         f.key + " — " + f.name, value=f.id.to_string())),
                     name="feature_id", class_name="native-select",
                     data_testid="ent-feature"),
        rx.el.select(rx.el.option("enabled", value="on"), rx.el.option("disabled", value="off"),
                     name="enabled", class_name="native-select"),
        rx.input(name="limit", placeholder="limit (empty: none)", width="160px"),
        rx.button("Grant / change", type="submit", variant="soft", data_testid="ent-save"),
        spacing="2", align="center", wrap="wrap"), on_submit=s.save_entitlement,
        reset_on_submit=True)


def _submit_card() -> rx.Component:
    s = VersionState
    return rx.card(rx.vstack(
        rx.heading("Submit for approval", size="3"),
        rx.text("Submitting stores the diff against the published version and simulates the "
                "revenue impact on current subscribers; the policy then decides whether one "
                "approval is enough.", size="2", color_scheme="gray"),
        rx.form(rx.hstack(
            rx.input(name="reason", placeholder="Why this change? (required)", width="380px",
                     data_testid="submit-reason"),
            months_select("submit-months"),
            rx.button(rx.icon("send", size=14), "Submit for approval", type="submit",
                      loading=s.submitting, data_testid="submit"),
            spacing="2", align="center", wrap="wrap"), on_submit=s.submit_for_approval),
        progress_bar(s.submitting, s.submit_progress, "Simulating the revenue impact…",
                     "submit-progress"),
        error_callout(s.submit_error, "submit-error"),
        spacing="2", width="100%"), width="100%")


def _draft_editor() -> rx.Component:
    s = VersionState
    return rx.vstack(
        section("Prices",
                rx.hstack(rx.button(rx.icon("plus", size=14), "Add price", variant="soft",
                                    on_click=s.new_price, data_testid="add-price"),
                          rx.text("Edits are saved to this draft only; subscribers see them "
                                  "after approval and publication.", size="2",
                                  color_scheme="gray"),
                          align="center", spacing="3"),
                rx.cond(s.editing, _editor()),
                price_table(s.prices, "price-row", actions=_price_actions)),
        section("Entitlements", _entitlement_form(),
                entitlement_table(s.entitlements, "entitlement-row",
                                  actions=_entitlement_actions)),
        section("Notes", rx.form(rx.vstack(
            rx.text_area(name="notes", default_value=s.notes, rows="3", width="100%",
                         key=s.form_key.to_string(), data_testid="notes"),
            rx.button("Save notes", type="submit", variant="soft", size="1"),
            width="100%", spacing="2"), on_submit=s.save_notes, width="100%")),
        _submit_card(),
        rx.form(rx.hstack(
            rx.input(name="reason", placeholder="Reason for discarding", width="260px"),
            rx.button("Discard draft", type="submit", variant="soft", color_scheme="red",
                      data_testid="discard"),
            spacing="2", align="center"), on_submit=s.discard),
        width="100%", spacing="3",
    )


def _read_only() -> rx.Component:
    s = VersionState
    return rx.vstack(
        rx.cond(SessionState.permissions.contains(EDIT)
                & ((s.status == "published") | (s.status == "retired")),
                rx.button(rx.icon("pencil", size=14), "Edit (new draft from this version)",
                          on_click=s.start_draft, data_testid="start-draft")),
        section("Prices", price_table(s.prices, "price-row")),
        section("Entitlements", entitlement_table(s.entitlements, "entitlement-row")),
        rx.cond(s.notes != "", section("Notes", rx.text(s.notes, size="2"))),
        width="100%", spacing="2",
    )


def version_view() -> rx.Component:
    """A version's header, then the editor (draft) or the read-only rate card."""
    s = VersionState
    return rx.cond(
        s.found,
        rx.vstack(
            rx.hstack(rx.link("Catalog", href="/catalog", size="2"), rx.text("/", size="2"),
                      rx.link(s.plan_name, href="/catalog/plans/" + s.plan_id.to_string(),
                              size="2", data_testid="plan-crumb"),
                      rx.text("/", size="2"), rx.text(s.label, size="2"), spacing="2"),
            rx.hstack(rx.heading(s.plan_name, " ", s.label, size="5",
                                 data_testid="version-title"),
                      status_badge(s.status, s.status_label),
                      rx.badge(s.product, variant="soft"), align="center", spacing="2",
                      data_testid="version-status"),
            rx.text(rx.cond(s.based_on != "", "Based on " + s.based_on + " · ", ""),
                    rx.cond(s.effective_from != "", "Effective " + s.effective_from
                            + rx.cond(s.effective_to != "", " to " + s.effective_to, "")
                            + " · ", ""),
                    "Created by ", s.created_by, size="2", color_scheme="gray"),
            rx.cond((s.last_comment != "") & (s.status == "draft"),
                    rx.callout("Reviewer's last comment: " + s.last_comment, icon="message-circle",
                               color_scheme="orange", width="100%",
                               data_testid="last-comment")),
            rx.cond((s.status == "pending_approval") | (s.status == "approved"),
                    rx.callout("This version is in review and cannot be edited; the author "
                               "can withdraw its change request to edit it again.",
                               icon="lock", width="100%")),
            error_callout(s.error, "version-error"),
            rx.cond(s.editable, _draft_editor(), _read_only()),
            section("Change requests", rx.cond(
                s.change_requests.length() > 0,
                change_rows(s.change_requests, "version-change-row"),
                rx.text("None yet.", size="2", color_scheme="gray"))),
            width="100%", spacing="2",
        ),
        rx.callout(s.message, icon="search-x", color_scheme="gray", data_testid="not-found"),
    )
