"""Areas whose issues have not landed yet: guarded pages with a clear notice."""

import reflex as rx

from pages.components.layout import placeholder, shell
from pages.session import SessionState

PENDING: tuple[tuple[str, str, str, int], ...] = ()


def _page(title: str, area: str, issue: int):
    def render() -> rx.Component:
        return shell(title, placeholder(area, issue))

    render.__name__ = f"{area.replace(' ', '_')}_page"
    return render


def register(app: rx.App) -> None:
    """Add the placeholder pages (each still guarded by its permission)."""
    for route, title, area, issue in PENDING:
        app.add_page(_page(title, area, issue), route=route, title=title,
                     on_load=SessionState.guard_page)
