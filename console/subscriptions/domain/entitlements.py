"""What a customer gains and loses when their plan version changes (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Grant:
    """What a plan version grants for one feature (``limit`` None: unlimited or on/off)."""

    key: str
    name: str
    enabled: bool
    limit: int | None = None

    def text(self) -> str:
        """``Seats: 50``, ``SSO``, ``API calls: unlimited``."""
        if self.limit is not None:
            return f"{self.name}: {self.limit:,}"
        return self.name


@dataclass(frozen=True)
class EntitlementChange:
    """The features a change gains, loses, or whose limit changes (each a line of text)."""

    gained: tuple[str, ...]
    lost: tuple[str, ...]
    changed: tuple[str, ...]


def _limit(grant: Grant) -> str:
    return "unlimited" if grant.limit is None else f"{grant.limit:,}"


def entitlement_change(before: Mapping[str, Grant], after: Mapping[str, Grant]
                       ) -> EntitlementChange:
    """Compare two versions' grants by feature key (a disabled grant counts as not granted)."""
    old = {k: g for k, g in before.items() if g.enabled}
    new = {k: g for k, g in after.items() if g.enabled}
    gained = tuple(new[k].text() for k in sorted(new.keys() - old.keys()))
    lost = tuple(old[k].text() for k in sorted(old.keys() - new.keys()))
    changed = tuple(f"{new[k].name}: {_limit(old[k])} → {_limit(new[k])}"
                    for k in sorted(new.keys() & old.keys()) if old[k].limit != new[k].limit)
    return EntitlementChange(gained, lost, changed)
