"""Creating a customer, and editing a customer's billing details (finance and admin)."""

import reflex as rx

from console import customers as svc
from console.kernel.roles import Permission
from pages.components.state_helpers import route_id
from pages.session import SessionState, requires

#: What a blank form starts with.
BLANK = {**{key: "" for key in svc.FIELDS}, "payment_terms_days": "30", "currency": "USD",
         "region": "na", "segment": "smb", "country": "US"}


def _form(form_data: dict) -> dict[str, str]:
    return {key: str(form_data.get(key, "") or "")[:400] for key in svc.FIELDS}


class CustomerFormState(SessionState):
    """The billing-details form: a new customer (``/customers/new``) or the edit dialog of the
    customer page. Errors are shown under each field."""

    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    message: str = ""
    editing: bool = False
    open: bool = False
    _customer_id: int = 0
    _version: int = 0

    @requires(Permission.MANAGE_CUSTOMERS, quiet=True)
    def load(self):
        """A blank form (on page load of ``/customers/new``)."""
        self.values, self.errors, self.message = dict(BLANK), {}, ""
        self.editing, self.open = False, False

    @requires(Permission.MANAGE_CUSTOMERS)
    def open_edit(self):
        """Open the edit dialog with the customer's details as they are now."""
        customer_id = route_id(self.router.url)
        if customer_id is None:
            return None
        detail = svc.customer_detail_view(customer_id)
        self._customer_id, self._version = detail.id, detail.version
        self.values, self.errors, self.message = dict(detail.form), {}, ""
        self.editing, self.open = True, True
        return None

    @requires(Permission.VIEW_CUSTOMERS)
    def open_changed(self, is_open: bool):
        """Close the dialog (Escape, outside click or Cancel)."""
        self.open = is_open

    @requires(Permission.MANAGE_CUSTOMERS)
    def save(self, form_data: dict):
        """Create the customer, or save the edited details; each bad field is named."""
        values = _form(form_data)
        self.values = values
        if self.editing:
            out = svc.update_customer_view(self._actor_id(), self._customer_id, values,
                                           self._version)
        else:
            out = svc.create_customer_view(self._actor_id(), values,
                                           code=str(form_data.get("code", "") or "")[:40])
        if not out.ok:
            self.errors = dict(out.errors)
            self.message = "" if out.errors else out.message
            return None
        self.errors, self.message = {}, ""
        if self.editing:
            self.open = False
            from pages.customers.state import CustomerDetailState
            return [CustomerDetailState.load, rx.toast.success(out.message)]
        return [rx.redirect(f"/customers/{out.object_id}"), rx.toast.success(out.message)]
