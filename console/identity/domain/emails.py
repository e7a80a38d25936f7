"""The one form of an account's email address."""

from __future__ import annotations

from console.kernel.errors import InvalidInput


def normalize_email(email: str) -> str:
    """Lower-case and trim an email address.

    Args:
        email: the address as typed or as the identity provider sent it.

    Returns:
        The trimmed, lower-cased address.

    Raises:
        InvalidInput: when it is not an address.
    """
    email = (email or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise InvalidInput("Enter a valid email address.")
    return email
