"""Roles from an identity provider's claims, through the configured group-to-role map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from console.kernel.roles import Role, parse_roles


def groups_from_claims(claims: Mapping[str, Any], claim: str) -> list[str]:
    """The user's groups from ``claim`` (a list, or a space/comma separated string)."""
    value = claims.get(claim)
    if value is None:
        return []
    if isinstance(value, str):
        return [g for g in value.replace(",", " ").split() if g]
    if isinstance(value, Sequence):
        return [str(g) for g in value]
    return []


def roles_from_groups(groups: Sequence[str], role_map: Mapping[str, Sequence[str]]
                      ) -> frozenset[Role]:
    """Map IdP groups to console roles; unmapped groups grant nothing."""
    names: list[str] = []
    for group in groups:
        names.extend(role_map.get(group, ()))
    return parse_roles(names)
