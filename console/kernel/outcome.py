"""The result of a page action, and the one wrapper that runs a use-case for a page.

Page-facing functions open their own unit of work, act as the signed-in user and turn a
refusal into an :class:`Outcome` the page shows as a toast (the transaction rolled back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from console.kernel.actor import actor_for
from console.kernel.errors import FieldErrors, ServiceError
from models.db import unit_of_work


@dataclass(frozen=True)
class Outcome:
    """What happened: ok or refused, the message, and the changed object's new state."""

    ok: bool
    message: str
    object_id: int | None = None
    version: int = 0
    status: str = ""
    number: str = ""
    #: field -> message when a form's fields were refused (see ``FieldErrors``)
    errors: dict[str, str] = field(default_factory=dict)


def outcome_of(result: Any, message: str, object_id: int | None = None) -> Outcome:
    """A successful outcome describing ``result`` (a row with id/version/status/number).

    ``object_id`` names the object acted on; without it, the result's own id (a creation).
    """
    return Outcome(True, message,
                   object_id if object_id is not None else getattr(result, "id", None),
                   int(getattr(result, "version", 0) or 0),
                   str(getattr(result, "status", "") or ""),
                   str(getattr(result, "number", "") or ""))


def act(user_id: int, fn: Callable[..., Any], *, done: str | Callable[[Any], str],
        object_id: int | None = None, **kwargs: Any) -> Outcome:
    """Run ``fn(session, actor=<user>, **kwargs)`` in its own transaction for a page.

    Args:
        user_id: the signed-in user (the use-case re-checks their permission).
        fn: the use-case.
        done: the success message, or a function of the result that makes it.
        object_id: the object acted on, reported when the action is refused.
        **kwargs: the use-case's arguments.

    Returns:
        The outcome; a :class:`~console.kernel.errors.ServiceError` becomes a refusal.
    """
    try:
        with unit_of_work() as s:
            result = fn(s, actor=actor_for(s, user_id), **kwargs)
            message = done(result) if callable(done) else done
            return outcome_of(result, message, object_id)
    except FieldErrors as exc:
        return Outcome(False, str(exc), object_id, errors=exc.errors)
    except ServiceError as exc:
        return Outcome(False, str(exc), object_id)
