"""Page states outside the browser: a state of a page class, as a signed-in browser's would be.

Shared by the role matrix and the page-state tests of each area.
"""

import reflex as rx
from reflex.istate.data import RouterData


def state_for(cls: type[rx.State], token: str | None, path: str = "/") -> rx.State:
    """A fresh ``cls`` in its own state tree, whose requests carry session ``token``'s cookie."""
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    cookie = f"console_session={token}" if token else ""
    state.router = RouterData.from_router_data(
        {"headers": {"cookie": cookie}, "pathname": path, "asPath": path})
    return state
