"""Errors that services raise for the UI to show as clear messages."""


class ServiceError(Exception):
    """A refusal a user should read (the transaction is rolled back; nothing changed)."""


class NotAllowed(ServiceError):
    """The user lacks the permission, or maker-checker forbids the action."""


class NotFound(ServiceError):
    """The object does not exist (or is not visible)."""


class Conflict(ServiceError):
    """Someone else changed the object first (stale version) or the state forbids the action."""


class InvalidInput(ServiceError):
    """Input failed validation at the boundary."""


class FieldError(InvalidInput):
    """Invalid input in one field; ``field`` names it (e.g. ``properties.amount``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class FieldErrors(InvalidInput):
    """Invalid input in several fields of one form; ``errors`` maps each field to its message
    (the form shows each under its field; the text names them all)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = dict(errors)
