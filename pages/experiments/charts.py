"""Plotly figures of experiment results and rollout guardrails, built from aggregated rows."""

from collections.abc import Sequence

import plotly.graph_objects as go

from console.experiments import ComparisonRow, GuardrailView, StageRate

_LAYOUT = {"template": "plotly_white", "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
           "legend": {"orientation": "h"}}


def _interval_figure(rows: Sequence[ComparisonRow], title: str, axis: str) -> go.Figure:
    fig = go.Figure()
    for arm in sorted({r.arm for r in rows}):
        mine = [r for r in rows if r.arm == arm and r.has_value]
        if not mine:
            continue
        fig.add_trace(go.Scatter(
            x=[r.value for r in mine], y=[r.label for r in mine], mode="markers", name=arm,
            marker={"size": 10},
            error_x={"type": "data", "symmetric": False,
                     "array": [r.upper - r.value for r in mine],
                     "arrayminus": [r.value - r.lower for r in mine]}))
    fig.add_vline(x=0, line_dash="dash", line_color="gray")
    fig.update_layout(title={"text": title, "font": {"size": 13}}, xaxis_title=axis,
                      height=80 + 45 * max(1, len({r.label for r in rows})), **_LAYOUT)
    return fig


def lift_figure(rows: Sequence[ComparisonRow]) -> go.Figure:
    """Rate differences (variant minus control) with their 95 % intervals."""
    return _interval_figure([r for r in rows if r.metric != "arpa"],
                            "Variant minus control, 95% interval", "percentage points")


def arpa_figure(rows: Sequence[ComparisonRow], currency: str) -> go.Figure:
    """The ARPA difference with its 95 % interval (in major units of the reporting currency)."""
    return _interval_figure([r for r in rows if r.metric == "arpa"],
                            "ARPA difference, 95% interval", f"{currency} per account")


def guardrail_figure(rows: Sequence[GuardrailView]) -> go.Figure:
    """Moved vs not-moved rates per guardrail, with the tolerated limit."""
    fig = go.Figure()
    labels = [r.label for r in rows]
    fig.add_trace(go.Bar(x=labels, y=[r.moved_pct for r in rows], name="moved"))
    fig.add_trace(go.Bar(x=labels, y=[r.baseline_pct for r in rows], name="not moved yet"))
    limited = [r for r in rows if r.has_limit]
    if limited:
        fig.add_trace(go.Scatter(x=[r.label for r in limited], y=[r.limit_pct for r in limited],
                                 mode="markers", name="limit", marker={"symbol": "line-ew-open",
                                                                       "size": 30,
                                                                       "color": "red"}))
    fig.update_layout(barmode="group", yaxis_title="% of customers", height=280, **_LAYOUT)
    return fig


def history_figure(rows: Sequence[StageRate]) -> go.Figure:
    """Guardrail rates of moved customers after each checked stage."""
    fig = go.Figure()
    for metric in sorted({r.metric for r in rows}):
        mine = sorted((r for r in rows if r.metric == metric), key=lambda r: r.position)
        fig.add_trace(go.Scatter(x=[f"stage {r.position}" for r in mine],
                                 y=[r.moved_pct for r in mine], mode="lines+markers",
                                 name=metric))
    fig.update_layout(yaxis_title="% of moved customers", height=260, **_LAYOUT)
    return fig
