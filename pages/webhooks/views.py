"""Webhooks view: add an endpoint (admin), the endpoints, the deliveries with their status."""

import reflex as rx

from console.delivery import STATUS_FILTERS
from pages.components.layout import pager
from pages.components.widgets import can, error_callout, header_table, section
from pages.webhooks.state import WebhooksState

W = WebhooksState


def _add_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading("Add an endpoint", size="3"),
        rx.hstack(
            rx.input(name="url", placeholder="https://example.com/hooks", width="320px",
                     data_testid="endpoint-url"),
            rx.input(name="description", placeholder="What receives it (e.g. provisioning)",
                     width="260px", data_testid="endpoint-description"),
            rx.input(name="event_types", placeholder="Topics (empty: all), e.g. entitlements.*",
                     width="280px", data_testid="endpoint-topics"),
            rx.button("Add endpoint", type="submit", data_testid="endpoint-add"),
            spacing="2", wrap="wrap"),
        rx.text("Each request is signed with the endpoint's secret (Standard Webhooks: headers "
                "webhook-id, webhook-timestamp, webhook-signature). The webhook-id stays the "
                "same on retries: use it to process each event once.", size="1",
                color_scheme="gray"),
        error_callout(W.form_error, "endpoint-error"),
        spacing="2"), on_submit=W.add_endpoint, reset_on_submit=True), width="100%")


def _secret() -> rx.Component:
    return rx.cond(W.new_secret != "", rx.callout(rx.vstack(
        rx.text("Signing secret for ", rx.code(W.new_secret_url), ". Copy it now: it is not "
                "shown again."),
        rx.code(W.new_secret, data_testid="endpoint-secret"),
        rx.button("I have copied it", size="1", on_click=W.dismiss_secret,
                  data_testid="endpoint-secret-done"),
        spacing="2"), icon="key-round", color_scheme="amber", width="100%"))


def _endpoint_row(e) -> rx.Component:
    admin = can("manage_webhooks")
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(e.url, class_name="wrap"),
                                rx.text(e.description, size="1", color_scheme="gray"),
                                spacing="1"), max_width="360px"),
        rx.table.cell(e.event_types),
        rx.table.cell(rx.badge(e.state, color_scheme=rx.cond(e.enabled, "green", "gray"),
                               data_testid="endpoint-state")),
        rx.table.cell(e.delivered.to_string(), class_name="num"),
        rx.table.cell(e.waiting.to_string(), class_name="num"),
        rx.table.cell(e.failing.to_string(), class_name="num"),
        rx.table.cell(e.dead.to_string(), class_name="num"),
        rx.table.cell(e.created, size="1"),
        rx.table.cell(rx.cond(admin, rx.hstack(
            rx.button("Send test event", size="1", variant="soft",
                      on_click=W.send_test(e.id), disabled=(W.busy != "") | ~e.enabled,
                      data_testid="endpoint-test"),
            rx.cond(e.enabled,
                    rx.button("Disable", size="1", variant="soft", color_scheme="red",
                              on_click=W.disable(e.id, e.version),
                              data_testid="endpoint-disable"),
                    rx.button("Enable", size="1", variant="soft",
                              on_click=W.enable(e.id, e.version),
                              data_testid="endpoint-enable")),
            spacing="1"))),
        data_testid="endpoint-row",
    )


def _delivery_row(d) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(d.topic), rx.code(d.event_uid, size="1"),
                                spacing="1")),
        rx.table.cell(d.ordering_key),
        rx.table.cell(d.endpoint, class_name="wrap", max_width="240px"),
        rx.table.cell(rx.badge(d.status, color_scheme=rx.match(
            d.tone, ("green", "green"), ("orange", "orange"), ("red", "red"), "gray"),
            data_testid="delivery-status")),
        rx.table.cell(d.attempts.to_string(), class_name="num"),
        rx.table.cell(rx.vstack(rx.text(d.last_attempt, size="1"),
                                rx.cond(d.next_attempt != "",
                                        rx.text("next: ", d.next_attempt, size="1",
                                                color_scheme="gray")),
                                spacing="0")),
        rx.table.cell(d.result, class_name="wrap", max_width="320px",
                      data_testid="delivery-result"),
        rx.table.cell(rx.cond(can("manage_webhooks") & d.replayable, rx.button(
            "Replay", size="1", variant="soft", on_click=W.replay(d.id, d.version),
            disabled=W.busy != "", data_testid="delivery-replay"))),
        data_testid="delivery-row",
    )


def webhooks_view() -> rx.Component:
    """Endpoints (admin manages them) and deliveries with their status and last error."""
    return rx.vstack(
        rx.cond(can("manage_webhooks"), _add_form()),
        _secret(),
        rx.cond(W.busy != "", rx.callout(rx.hstack(rx.spinner(size="2"), rx.text(W.busy),
                                                   spacing="2", align="center"),
                                         color_scheme="blue", width="100%",
                                         data_testid="webhook-busy")),
        section("Endpoints", rx.table.root(
            header_table("Receiver", "Topics", "State", "Delivered", "Waiting",
                         "Failing", "Gave up", "Added", ""),
            rx.table.body(rx.foreach(W.endpoints, _endpoint_row)),
            width="100%", size="1", variant="surface"), testid="endpoints"),
        section("Deliveries", rx.hstack(
            *[rx.button(label, size="1", on_click=W.set_status_filter(value),
                        variant=rx.cond(W.status_filter == value, "solid", "soft"),
                        data_testid=f"delivery-filter-{value or 'all'}")
              for value, label in STATUS_FILTERS],
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=14), "Refresh", size="1", variant="soft",
                      on_click=W.refresh),
            spacing="1", wrap="wrap", width="100%"),
            rx.table.root(
                header_table("Event", "Ordering key", "Receiver", "Status", "Attempts",
                             "Last / next attempt", "Result", ""),
                rx.table.body(rx.foreach(W.deliveries, _delivery_row)),
                width="100%", size="1", variant="surface"),
            pager(W.page, W.pages, W.total, W.prev_page, W.next_page),
            testid="deliveries"),
        width="100%", spacing="3",
    )
