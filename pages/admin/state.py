"""Users and roles (admin only)."""

import reflex as rx

from console import identity as svc
from console.identity import UserRow
from console.kernel.errors import ServiceError
from console.kernel.roles import ROLE_LABELS, Permission, Role
from pages.session import SessionState, requires

ROLE_CHOICES = [r.value for r in Role]


class AdminState(SessionState):
    """The user table, the invite form and the role editor."""

    users: list[UserRow] = []
    invite_link: str = ""
    error: str = ""
    editing_id: int = 0
    editing_email: str = ""
    editing_roles: list[str] = []

    def _refresh(self) -> None:
        self.users = svc.users()

    @requires(Permission.MANAGE_USERS, quiet=True)
    def load(self):
        """Load the users."""
        self.error, self.invite_link = "", ""
        self._refresh()

    @requires(Permission.MANAGE_USERS)
    def invite(self, form_data: dict):
        """Invite a user with the ticked roles; shows the link to hand over."""
        roles = [r for r in ROLE_CHOICES if form_data.get(f"role_{r}")]
        try:
            self.invite_link = svc.invite(self._actor_id(), email=str(form_data.get("email", "")),
                                          name=str(form_data.get("name", "")), roles=roles)
            self.error = ""
        except ServiceError as exc:
            self.error, self.invite_link = str(exc), ""
            return None
        self._refresh()
        return rx.toast.success("Invitation created.")

    @requires(Permission.MANAGE_USERS)
    def edit_roles(self, user_id: int):
        """Open the role editor for one user."""
        row = next((u for u in self.users if u.id == user_id), None)
        if row is None:
            return
        self.editing_id, self.editing_email = row.id, row.email
        self.editing_roles = [r.strip() for r in row.roles.split(",") if r.strip()]

    @requires(Permission.MANAGE_USERS)
    def toggle_role(self, role: str):
        """Tick or untick a role in the editor (saved only with Save)."""
        if role not in ROLE_CHOICES:
            return
        if role in self.editing_roles:
            self.editing_roles = [r for r in self.editing_roles if r != role]
        else:
            self.editing_roles = [*self.editing_roles, role]

    @requires(Permission.MANAGE_USERS)
    def save_roles(self):
        """Save the edited roles (audited)."""
        try:
            svc.set_roles(self._actor_id(), user_id=self.editing_id, roles=self.editing_roles)
        except ServiceError as exc:
            return rx.toast.error(str(exc))
        self.editing_id = 0
        self._refresh()
        return rx.toast.success("Roles saved.")

    @requires(Permission.MANAGE_USERS)
    def cancel_edit(self):
        """Close the role editor without saving."""
        self.editing_id = 0

    @requires(Permission.MANAGE_USERS)
    def set_active(self, user_id: int, active: bool):
        """Enable or disable a user."""
        try:
            svc.set_active(self._actor_id(), user_id=user_id, active=active)
        except ServiceError as exc:
            return rx.toast.error(str(exc))
        self._refresh()
        return None

    @requires(Permission.MANAGE_USERS)
    def unlock(self, user_id: int):
        """Clear a lockout."""
        try:
            svc.unlock(self._actor_id(), user_id=user_id)
        except ServiceError as exc:
            return rx.toast.error(str(exc))
        self._refresh()
        return None


ROLE_NAMES = {r.value: label for r, label in ROLE_LABELS.items()}
