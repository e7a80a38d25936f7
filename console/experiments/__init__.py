"""Pricing experiments and staged rollouts with guardrails.

The public face: what pages, the CLI and other areas call. Page-facing functions take the
signed-in user's id, open their own unit of work and raise
:class:`~console.kernel.errors.ServiceError` on a refusal; the use-cases named here
(``start_due_experiments``, ``run_due_rollouts``, ``check_rollout_guardrails``,
``refresh_results``) are the scheduled upkeep's.
"""

from console.experiments.domain.guardrails import DEFAULT_GUARDRAILS, guardrails_from_form
from console.experiments.domain.metrics import PRIMARY_METRICS
from console.experiments.queries.experiment_detail import (
    ArmResultRow,
    ArmRow,
    ComparisonRow,
    experiment,
)
from console.experiments.queries.overview import (
    ExperimentRow,
    RolloutRow,
    VersionChoice,
    overview,
)
from console.experiments.queries.rollout_detail import (
    GuardrailView,
    MemberRow,
    StageRate,
    StageRow,
    rollout,
)
from console.experiments.queries.simulation import SimTotalRow, simulate
from console.experiments.queries.stage_preview import PreviewLine, PreviewTotal, preview
from console.experiments.queries.timeline import TimelineRow
from console.experiments.usecases.enrolment import offered_version, renewal_version
from console.experiments.usecases.experiment_approvals import (
    approve,
    reject,
    withdraw,
)
from console.experiments.usecases.experiment_approvals import (
    request_conclusion_as_user as request_conclusion,
)
from console.experiments.usecases.experiment_approvals import (
    request_start_as_user as request_start,
)
from console.experiments.usecases.experiment_lifecycle import (
    pause,
    resume,
    roll_back,
    start_due_experiments,
)
from console.experiments.usecases.experiment_setup import ArmInput, ExperimentInput
from console.experiments.usecases.experiment_setup import (
    create_experiment_as_user as create_experiment,
)
from console.experiments.usecases.result_refresh import refresh, refresh_results
from console.experiments.usecases.rollout_moves import rollback, run_due_rollouts
from console.experiments.usecases.rollout_stages import (
    check_guardrails,
    check_rollout_guardrails,
    confirm,
)
from console.experiments.usecases.rollouts import RolloutInput
from console.experiments.usecases.rollouts import (
    complete_rollout_as_user as complete_rollout,
)
from console.experiments.usecases.rollouts import (
    create_rollout_as_user as create_rollout,
)
from console.experiments.usecases.rollouts import (
    pause_rollout_as_user as pause_rollout,
)
from console.experiments.usecases.rollouts import (
    resume_rollout_as_user as resume_rollout,
)

__all__ = [
    "DEFAULT_GUARDRAILS",
    "PRIMARY_METRICS",
    "ArmInput",
    "ArmResultRow",
    "ArmRow",
    "ComparisonRow",
    "ExperimentInput",
    "ExperimentRow",
    "GuardrailView",
    "MemberRow",
    "PreviewLine",
    "PreviewTotal",
    "RolloutInput",
    "RolloutRow",
    "SimTotalRow",
    "StageRate",
    "StageRow",
    "TimelineRow",
    "VersionChoice",
    "approve",
    "check_guardrails",
    "check_rollout_guardrails",
    "complete_rollout",
    "confirm",
    "create_experiment",
    "create_rollout",
    "experiment",
    "guardrails_from_form",
    "offered_version",
    "overview",
    "pause",
    "pause_rollout",
    "preview",
    "refresh",
    "refresh_results",
    "reject",
    "renewal_version",
    "request_conclusion",
    "request_start",
    "resume",
    "resume_rollout",
    "roll_back",
    "rollback",
    "rollout",
    "run_due_rollouts",
    "simulate",
    "start_due_experiments",
    "withdraw",
]
