"""Collections rules: promises to pay and write-offs (maker-checker)."""

from __future__ import annotations

from datetime import date


class CollectionsError(ValueError):
    """A collections action is not valid (message for the user)."""


NOTE_KINDS: tuple[str, ...] = ("note", "promise_to_pay")


def check_promise(*, promised_on: date | None, amount_minor: int | None, open_minor: int,
                  today: date) -> None:
    """A promise to pay needs a date from today on and an amount within the open balance.

    Raises:
        CollectionsError: naming what is wrong.
    """
    if promised_on is None:
        raise CollectionsError("A promise to pay needs the date the customer promised.")
    if promised_on < today:
        raise CollectionsError("The promised date is in the past.")
    if amount_minor is None or amount_minor <= 0:
        raise CollectionsError("A promise to pay needs a positive amount.")
    if amount_minor > open_minor:
        raise CollectionsError("The promised amount is more than the open balance.")


def check_write_off_decider(*, requested_by: int, decider: int | None) -> None:
    """Maker-checker: whoever asked for a write-off never approves it.

    Raises:
        CollectionsError: for the requester or a system actor.
    """
    if decider is None:
        raise CollectionsError("Write-offs are approved by people.")
    if decider == requested_by:
        raise CollectionsError("You requested this write-off; another finance user must "
                               "approve it.")
