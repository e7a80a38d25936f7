"""Evidence files: which types a dispute accepts and how large they may be.

The type is decided by the file's extension and must agree with its first bytes for binary
formats (a PDF starts ``%PDF-``, a PNG with its 8-byte signature, a JPEG ``FF D8 FF``); text
formats must decode as UTF-8. Anything else is refused with a message naming the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Largest evidence file accepted (10 MB).
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

#: extension -> content type.
EVIDENCE_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
    "csv": "text/csv",
    "eml": "message/rfc822",
}

_MAGIC: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}
_TEXT = frozenset({"txt", "csv", "eml"})


class EvidenceError(ValueError):
    """A file is refused as evidence (message for the user)."""


@dataclass(frozen=True, slots=True)
class EvidenceCheck:
    """An accepted file: its cleaned name, content type and size."""

    filename: str
    content_type: str
    size_bytes: int


def _clean_name(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:255]


def human_size(size: int) -> str:
    """``"512 B"``, ``"12.3 KB"``, ``"4.0 MB"``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def allowed_text() -> str:
    """The accepted types for messages and the upload hint."""
    return "PDF, PNG, JPG, TXT, CSV or EML up to 10 MB"


def check_evidence(filename: str, content: bytes, *, max_bytes: int = MAX_EVIDENCE_BYTES
                   ) -> EvidenceCheck:
    """Accept or refuse an evidence file.

    Args:
        filename: the uploaded file's name (any path is dropped).
        content: the whole file.
        max_bytes: the size limit.

    Returns:
        The accepted file's cleaned name, content type and size.

    Raises:
        EvidenceError: empty, too large, an extension not accepted, or contents that do not
            match the extension.
    """
    name = _clean_name(filename)
    if not name:
        raise EvidenceError("The file has no name.")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EVIDENCE_TYPES:
        raise EvidenceError(f"{name}: files of this type are not accepted. Attach "
                            f"{allowed_text()}.")
    size = len(content)
    if size == 0:
        raise EvidenceError(f"{name} is empty.")
    if size > max_bytes:
        raise EvidenceError(f"{name} is {human_size(size)}; evidence files may be at most "
                            f"{human_size(max_bytes)}.")
    magic = _MAGIC.get(ext)
    if magic and not any(content.startswith(m) for m in magic):
        raise EvidenceError(f"{name} does not look like a {ext.upper()} file; its contents "
                            "do not match its extension.")
    if ext in _TEXT:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise EvidenceError(f"{name} is not a text file (it is not UTF-8).") from None
    return EvidenceCheck(name, EVIDENCE_TYPES[ext], size)
