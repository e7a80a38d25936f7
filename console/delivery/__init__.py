"""Delivery to the outside: signed webhooks (the outbox other areas write to with
:func:`enqueue`, endpoints, retries, replay) and the e-mail outbox sender."""

from console.delivery.domain import (
    check_url,
    new_secret,
    parse_event_types,
    sign,
    signed_headers,
    verify,
)
from console.delivery.queries import (
    PER_PAGE,
    STATUS_FILTERS,
    DeliveryPage,
    DeliveryRow,
    EndpointRow,
    deliveries_view,
    delivery_page,
    endpoint_rows,
    endpoints_view,
)
from console.delivery.usecases.endpoints import (
    TEST_TOPIC,
    NewEndpoint,
    add_endpoint,
    create_endpoint,
    disable_endpoint,
    enable_endpoint,
    replay,
    replay_delivery,
    send_test,
    send_test_event,
    set_enabled,
)
from console.delivery.usecases.mail import (
    FileSender,
    MailReport,
    Sender,
    SmtpSender,
    send_due_messages,
    sender_from_settings,
)
from console.delivery.usecases.outbox import enqueue
from console.delivery.usecases.webhooks import DeliveryReport, body_of, deliver_due

__all__ = [
    "PER_PAGE",
    "STATUS_FILTERS",
    "TEST_TOPIC",
    "DeliveryPage",
    "DeliveryReport",
    "DeliveryRow",
    "EndpointRow",
    "FileSender",
    "MailReport",
    "NewEndpoint",
    "Sender",
    "SmtpSender",
    "add_endpoint",
    "body_of",
    "check_url",
    "create_endpoint",
    "deliver_due",
    "deliveries_view",
    "delivery_page",
    "disable_endpoint",
    "enable_endpoint",
    "endpoint_rows",
    "endpoints_view",
    "enqueue",
    "new_secret",
    "parse_event_types",
    "replay",
    "replay_delivery",
    "send_due_messages",
    "send_test",
    "send_test_event",
    "sender_from_settings",
    "set_enabled",
    "sign",
    "signed_headers",
    "verify",
]
