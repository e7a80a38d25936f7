"""Webhooks: endpoints and deliveries for everyone who may view jobs; admins add an endpoint
(its signing secret is shown once, then never again), disable or enable one, send a test
event and replay a failed or dead delivery."""

import asyncio

import reflex as rx

from console import delivery as svc
from console.delivery import DeliveryRow, EndpointRow
from console.kernel.roles import Permission
from pages.components.state_helpers import text_of
from pages.session import SessionState, requires

STATUSES = {value for value, _ in svc.STATUS_FILTERS}


class WebhooksState(SessionState):
    """/webhooks."""

    endpoints: list[EndpointRow] = []
    deliveries: list[DeliveryRow] = []
    total: int = 0
    page: int = 0
    pages: int = 1
    status_filter: str = ""
    form_error: str = ""
    #: The new endpoint's secret, shown once until dismissed (never read back from the server).
    new_secret: str = ""
    new_secret_url: str = ""
    busy: str = ""

    def _refresh(self) -> None:
        self.endpoints = svc.endpoints_view()
        self._show(svc.deliveries_view(status=self.status_filter, page=self.page))

    def _show(self, result) -> None:
        self.deliveries, self.total = result.rows, result.total
        self.page, self.pages = result.page, result.pages

    @requires(Permission.VIEW_JOBS, quiet=True)
    def load(self):
        """Load endpoints and the newest deliveries (reads only)."""
        self.new_secret = self.new_secret_url = self.form_error = ""
        self.page = 0
        self._refresh()

    @requires(Permission.VIEW_JOBS)
    def refresh(self):
        """Read endpoints and deliveries again."""
        self._refresh()

    @requires(Permission.VIEW_JOBS)
    def set_status_filter(self, status: str):
        """Show deliveries of one status ("" for all)."""
        self.status_filter = status if status in STATUSES else ""
        self.page = 0
        self._show(svc.deliveries_view(status=self.status_filter))

    @requires(Permission.VIEW_JOBS)
    def next_page(self):
        """The next page of deliveries."""
        self._show(svc.deliveries_view(status=self.status_filter, page=self.page + 1))

    @requires(Permission.VIEW_JOBS)
    def prev_page(self):
        """The previous page of deliveries."""
        self._show(svc.deliveries_view(status=self.status_filter, page=max(0, self.page - 1)))

    @requires(Permission.MANAGE_WEBHOOKS)
    def add_endpoint(self, form_data: dict):
        """Add an endpoint; its secret is shown once."""
        outcome, secret = svc.add_endpoint(
            self._actor_id(), url=text_of(form_data, "url", 2000),
            description=text_of(form_data, "description", 300),
            event_types=text_of(form_data, "event_types", 1000))
        if not outcome.ok:
            self.form_error = outcome.message
            return None
        self.form_error = ""
        self.new_secret, self.new_secret_url = secret, text_of(form_data, "url", 2000)
        self._refresh()
        return rx.toast.success(outcome.message)

    @requires(Permission.MANAGE_WEBHOOKS)
    def dismiss_secret(self):
        """Forget the secret shown after creation (it cannot be shown again)."""
        self.new_secret = self.new_secret_url = ""

    @requires(Permission.MANAGE_WEBHOOKS)
    def disable(self, endpoint_id: int, version: int):
        """Stop sending to an endpoint."""
        outcome = svc.disable_endpoint(self._actor_id(), endpoint_id, version)
        self._refresh()
        return (rx.toast.success if outcome.ok else rx.toast.error)(outcome.message)

    @requires(Permission.MANAGE_WEBHOOKS)
    def enable(self, endpoint_id: int, version: int):
        """Send to an endpoint again."""
        outcome = svc.enable_endpoint(self._actor_id(), endpoint_id, version)
        self._refresh()
        return (rx.toast.success if outcome.ok else rx.toast.error)(outcome.message)

    async def _network(self, label: str, call):
        """Run a call that talks to a receiver off the event loop, then reload the tables."""
        async with self:
            if self.busy:
                return rx.toast.warning("Wait for the running request to finish.")
            user_id, status, page = self._actor_id(), self.status_filter, self.page
            self.busy = label
        try:
            outcome = await asyncio.to_thread(call, user_id)
            endpoints, result = await asyncio.to_thread(
                lambda: (svc.endpoints_view(), svc.deliveries_view(status=status, page=page)))
        finally:
            async with self:
                self.busy = ""
        async with self:
            self.endpoints = endpoints
            self._show(result)
        return (rx.toast.success if outcome.ok else rx.toast.error)(outcome.message)

    @rx.event(background=True)
    @requires(Permission.MANAGE_WEBHOOKS)
    async def send_test(self, endpoint_id: int):
        """Send a test event to one endpoint now and show how it went."""
        return await self._network("Sending a test event…",
                                   lambda uid: svc.send_test_event(uid, endpoint_id))

    @rx.event(background=True)
    @requires(Permission.MANAGE_WEBHOOKS)
    async def replay(self, delivery_id: int, version: int):
        """Send a failed or dead delivery again now (audited)."""
        return await self._network("Replaying the delivery…",
                                   lambda uid: svc.replay_delivery(uid, delivery_id, version))
