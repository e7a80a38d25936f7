"""The evidence files of a case, for download."""

from __future__ import annotations

from console.kernel.errors import NotFound
from models import DisputeEvidence
from models.db import read_session

# --- page-facing


def evidence_file(dispute_id: int, evidence_id: int) -> tuple[str, str, bytes]:
    """Page-facing: an evidence file's name, content type and bytes (for a download).

    Args:
        dispute_id: the case the file must be attached to.
        evidence_id: the file.

    Returns:
        (file name, content type, the file's bytes).

    Raises:
        NotFound: the file is not on this dispute.
    """
    with read_session() as s:
        ev = s.get(DisputeEvidence, evidence_id)
        if ev is None or ev.dispute_id != dispute_id:
            raise NotFound("That file is not attached to this dispute.")
        return ev.filename, ev.content_type, bytes(ev.content)
