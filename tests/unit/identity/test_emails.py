"""An account's email address has one form: trimmed and lower-cased."""

import pytest

from console.identity.domain.emails import normalize_email
from console.kernel.errors import InvalidInput


@pytest.mark.parametrize(("typed", "stored"), [
    ("Finance@Demo.test ", "finance@demo.test"),
    ("  a.b@corp.example", "a.b@corp.example"),
])
def test_normalize_email(typed: str, stored: str) -> None:
    assert normalize_email(typed) == stored


@pytest.mark.parametrize("typed", ["", "   ", "no-at-sign", "@corp.test", "a@localhost",
                                   "a b@corp.test", None])
def test_not_an_address_is_refused(typed: str | None) -> None:
    with pytest.raises(InvalidInput, match="valid email"):
        normalize_email(typed)  # type: ignore[arg-type]
