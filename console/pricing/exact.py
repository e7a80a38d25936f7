"""Exact Decimal arithmetic for charge computations.

The default Decimal context keeps 28 significant digits, so a long unit count times a
sub-cent price could be rounded silently. Charge models promise unrounded results, so they
compute inside a context wide enough that realistic amounts never round.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import Context, Decimal, localcontext

_EXACT = Context(prec=120)

ZERO = Decimal(0)


def exact() -> AbstractContextManager[Context]:
    """Return a context manager under which charge arithmetic does not round."""
    return localcontext(_EXACT)
