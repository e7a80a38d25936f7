"""Users and roles view."""

import reflex as rx

from pages.admin.state import ROLE_CHOICES, ROLE_NAMES, AdminState


def _invite_form() -> rx.Component:
    return rx.card(rx.form(
        rx.vstack(
            rx.heading("Invite a user", size="3"),
            rx.hstack(rx.input(name="name", placeholder="Full name", width="200px"),
                      rx.input(name="email", placeholder="email@company.com", width="240px"),
                      spacing="2"),
            rx.hstack(*[rx.checkbox(ROLE_NAMES[r], name=f"role_{r}") for r in ROLE_CHOICES],
                      spacing="3", wrap="wrap"),
            rx.button("Create invitation", type="submit", data_testid="invite-submit"),
            rx.cond(AdminState.invite_link != "",
                    rx.callout(rx.text("Send this link to the user (valid 7 days): ",
                                       rx.code(AdminState.invite_link, data_testid="invite-link")),
                               color_scheme="green", icon="link")),
            rx.cond(AdminState.error != "",
                    rx.callout(AdminState.error, color_scheme="red", icon="triangle-alert")),
            spacing="2",
        ),
        on_submit=AdminState.invite, reset_on_submit=True,
    ), width="100%")


def _role_editor() -> rx.Component:
    return rx.cond(AdminState.editing_id != 0, rx.card(rx.vstack(
        rx.heading("Roles of ", AdminState.editing_email, size="3"),
        rx.hstack(*[rx.checkbox(ROLE_NAMES[r], checked=AdminState.editing_roles.contains(r),
                                on_change=lambda _v, r=r: AdminState.toggle_role(r))
                    for r in ROLE_CHOICES], spacing="3", wrap="wrap"),
        rx.hstack(rx.button("Save roles", on_click=AdminState.save_roles,
                            data_testid="save-roles"),
                  rx.button("Cancel", variant="soft", on_click=AdminState.cancel_edit)),
        spacing="2"), width="100%"))


def admin_view() -> rx.Component:
    """Invite form, role editor and the user table."""
    return rx.vstack(
        _invite_form(),
        _role_editor(),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                "Email", "Name", "Roles", "Source", "Status", "Last sign-in", "")])),
            rx.table.body(rx.foreach(AdminState.users, lambda u: rx.table.row(
                rx.table.cell(u.email), rx.table.cell(u.name), rx.table.cell(u.roles),
                rx.table.cell(u.source), rx.table.cell(rx.badge(u.status)),
                rx.table.cell(u.last_login),
                rx.table.cell(rx.hstack(
                    rx.button("Roles", size="1", variant="soft",
                              on_click=AdminState.edit_roles(u.id)),
                    rx.cond(u.status == "disabled",
                            rx.button("Enable", size="1", variant="soft",
                                      on_click=AdminState.set_active(u.id, True)),
                            rx.button("Disable", size="1", variant="soft", color_scheme="red",
                                      on_click=AdminState.set_active(u.id, False))),
                    rx.cond(u.status == "locked",
                            rx.button("Unlock", size="1", variant="soft",
                                      on_click=AdminState.unlock(u.id))),
                    spacing="1")),
                data_testid="user-row"))),
            width="100%", size="1", variant="surface",
        ),
        width="100%", spacing="3",
    )
