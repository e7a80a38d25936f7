"""The guardrail check after a rollout stage: each rate among moved and not-moved customers,
what breached, the sentence the owner reads and the form stored on the stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from console.experiments.domain.formatting import DASH, pct, pts
from console.experiments.domain.guardrails import RATE_LABELS, GuardrailBreach


@dataclass(frozen=True)
class GuardrailRow:
    """One guardrail: the rate among moved customers and among those not moved yet."""

    metric: str
    label: str
    moved: float
    baseline: float
    threshold: float | None
    breached: bool

    @property
    def moved_text(self) -> str:
        """``12.5%``."""
        return pct(self.moved)

    @property
    def baseline_text(self) -> str:
        """``3.0%``."""
        return pct(self.baseline)

    @property
    def threshold_text(self) -> str:
        """``+2.0 pts`` (``—`` when not guarded)."""
        return pts(self.threshold) if self.threshold is not None else DASH


@dataclass(frozen=True)
class GuardrailReport:
    """The guardrail check after a stage."""

    stage_position: int
    checked_on: date
    moved_customers: int
    baseline_customers: int
    rows: tuple[GuardrailRow, ...]
    breaches: tuple[GuardrailBreach, ...]

    @property
    def passed(self) -> bool:
        """True when no guardrail is breached."""
        return not self.breaches

    def describe(self) -> str:
        """Return a sentence for the owner: what breached, by how much."""
        if self.passed:
            return "All guardrails hold."
        parts = [f"{RATE_LABELS.get(b.metric, b.metric)} {pct(b.moved)} among moved customers "
                 f"vs {pct(b.baseline)} not moved (tolerated rise {pts(b.threshold)})"
                 for b in self.breaches]
        return f"Guardrail breached after stage {self.stage_position}: " + "; ".join(parts) + "."

    def to_json(self) -> dict[str, Any]:
        """Return the form stored on ``rollout_stage.guardrail_result`` (NaN rates as None)."""
        doc: dict[str, Any] = {"passed": self.passed, "checked_on": self.checked_on.isoformat(),
                               "moved": self.moved_customers,
                               "baseline": self.baseline_customers, "rates": {},
                               "breaches": [{"metric": b.metric, "moved": b.moved,
                                             "baseline": b.baseline, "threshold": b.threshold}
                                            for b in self.breaches]}
        for row in self.rows:
            doc[row.metric] = None if row.moved != row.moved else row.moved
            doc["rates"][row.metric] = {"moved": None if row.moved != row.moved else row.moved,
                                        "baseline": row.baseline, "threshold": row.threshold}
        return doc
