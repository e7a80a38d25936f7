"""Routes of the experiments and rollouts area."""

import reflex as rx

from pages.components.layout import shell
from pages.experiments.rollout_state import RolloutState
from pages.experiments.rollout_views import rollout_view
from pages.experiments.state import ExperimentsState, ExperimentState
from pages.experiments.views import experiment_view, experiments_view
from pages.session import SessionState


def experiments_page() -> rx.Component:
    """/experiments."""
    return shell("Experiments", experiments_view())


def experiment_page() -> rx.Component:
    """/experiments/[experiment_id]."""
    return shell("Experiment", experiment_view())


def rollout_page() -> rx.Component:
    """/rollouts/[rollout_id]."""
    return shell("Rollout", rollout_view())


def register(app: rx.App) -> None:
    """Add the experiment and rollout pages."""
    app.add_page(experiments_page, route="/experiments", title="Experiments",
                 on_load=[SessionState.guard_page, ExperimentsState.load])
    app.add_page(experiment_page, route="/experiments/[experiment_id]", title="Experiment",
                 on_load=[SessionState.guard_page, ExperimentState.load])
    app.add_page(rollout_page, route="/rollouts/[rollout_id]", title="Rollout",
                 on_load=[SessionState.guard_page, RolloutState.load])
