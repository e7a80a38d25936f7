"""Password hashing (argon2id) and the local-account lockout policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()

#: Failed sign-ins in a row before an account locks, and for how long.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password`` against a stored hash; False for no hash or a mismatch."""
    if not password_hash:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable for a new account, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if password.lower() == password or password.upper() == password:
        return "Mix upper- and lower-case letters."
    return None


@dataclass(frozen=True)
class LockoutDecision:
    """The account's state after a failed sign-in."""

    failed_logins: int
    locked_until: datetime | None


def after_failed_login(failed_logins: int, *, now: datetime) -> LockoutDecision:
    """Count one more failure and lock the account once the limit is reached."""
    failures = failed_logins + 1
    if failures >= MAX_FAILED_LOGINS:
        return LockoutDecision(failures, now + LOCKOUT)
    return LockoutDecision(failures, None)
