"""A console that ran before an upgrade starts cleanly after it.

Reflex saves each browser's UI state as a pickle of the state tree (under ``.states`` with one
worker, in Redis with several), and a pickle names every view class by its module path. When an
upgrade moves a class (as the move into area packages did: ``console.services.invoices`` became
``console.billing...``), an old pickle can no longer be read. The state must then start fresh
(pages reload from the database in ``on_load``), never fail the page.
"""

import asyncio
import dataclasses
import sys
import types

import pytest
import reflex as rx
from reflex.istate.manager.disk import StateManagerDisk
from reflex.istate.manager.token import BaseStateToken
from reflex.state import BaseState
from reflex_base.utils.exceptions import StateSchemaMismatchError

import console.app  # noqa: F401  (registers every page and state)
from console import cli
from pages.invoices.state import ReviewState

pytestmark = pytest.mark.integration

OLD_MODULE = "console.services.invoices"


def _pickle_with_a_moved_class() -> bytes:
    """The review page's state as a console before the move saved it: its rows are instances
    of a view class that lived in a module that no longer exists."""
    old = types.ModuleType(OLD_MODULE)

    @dataclasses.dataclass(frozen=True)
    class ReviewRow:
        id: int
        number: str

    ReviewRow.__module__ = OLD_MODULE
    ReviewRow.__qualname__ = "ReviewRow"
    old.ReviewRow = ReviewRow
    sys.modules[OLD_MODULE] = old
    try:
        root = rx.State(_reflex_internal_init=True)
        review = root.get_substate(ReviewState.get_full_name().split(".")[1:])
        review.rows = [ReviewRow(1, "INV-2026-000001")]
        return review._serialize()
    finally:
        del sys.modules[OLD_MODULE]


def test_a_pickle_of_a_moved_class_is_refused_not_misread():
    with pytest.raises(StateSchemaMismatchError):
        BaseState._deserialize(data=_pickle_with_a_moved_class())


def test_the_disk_manager_starts_a_fresh_state_from_a_stale_file(tmp_path, monkeypatch):
    monkeypatch.setattr(StateManagerDisk, "states_directory", tmp_path)
    manager = StateManagerDisk()
    token = BaseStateToken(ident="browser-tab-1", cls=ReviewState)
    stale = manager.token_path(token)
    stale.write_bytes(_pickle_with_a_moved_class())

    state = asyncio.run(manager.get_state(token))

    review = state.get_substate(ReviewState.get_full_name().split(".")[1:])
    assert stale.exists() and review.rows == []


def test_setup_forgets_the_ui_states_of_the_previous_server(tmp_path, monkeypatch):
    states = tmp_path / ".states"
    states.mkdir()
    (states / "0123abcd.pkl").write_bytes(_pickle_with_a_moved_class())
    (states / "keep.txt").write_text("not a state")
    monkeypatch.setattr(cli, "ROOT", tmp_path)

    cli._forget_ui_states()

    assert sorted(p.name for p in states.iterdir()) == ["keep.txt"]
