"""Plotly figures of the KPI dashboards, built from the service's small series (no arithmetic).

Each chart records which drill-down metric every trace opens, in trace order, so a click's
``curveNumber`` maps to the customers or invoices behind the bar.
"""

from dataclasses import dataclass

import plotly.graph_objects as go

from console.kpis import Dashboard

#: Colours of the movement kinds and churn reasons.
COLORS = {
    "new": "#2f9e44", "expansion": "#74b816", "reactivation": "#1c7ed6",
    "contraction": "#f59f00", "churn": "#e03131", "mrr": "#343a40",
    "voluntary": "#f08c00", "involuntary": "#c92a2a", "other": "#868e96",
    "nrr": "#1c7ed6", "grr": "#5f3dc4", "dso": "#0b7285", "receivables": "#99e9f2",
    "disputes": "#e8590c", "median": "#343a40", "tickets": "#74c0fc", "load": "#343a40",
}
#: Plotly config: modebar with the PNG download, no logo.
CONFIG = {"displaylogo": False, "displayModeBar": True, "responsive": True,
          "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


@dataclass
class Chart:
    """A figure and the drill-down metric of each of its traces."""

    figure: go.Figure
    metrics: list[str]


def config(filename: str) -> dict:
    """Plotly config whose camera button downloads ``<filename>.png``."""
    return {**CONFIG, "toImageButtonOptions": {"format": "png", "filename": filename,
                                               "scale": 2}}


def _layout(fig: go.Figure, *, barmode: str | None = None, y2: str | None = None,
            ytitle: str = "") -> go.Figure:
    fig.update_layout(
        height=300, margin={"l": 50, "r": 50 if y2 else 15, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.18}, template="plotly_white",
        hovermode="closest", barmode=barmode, clickmode="event",
        xaxis={"type": "category"}, yaxis={"title": ytitle},
    )
    if y2:
        fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "title": y2,
                                  "showgrid": False})
    return fig


def _pct_text(values: tuple) -> list[str]:
    return ["" if v is None else f"{v:.1f}%" for v in values]


def waterfall(d: Dashboard) -> Chart:
    """MRR movements per month, stacked (gains up, losses down), with MRR on a second axis."""
    fig = go.Figure()
    metrics = []
    order = ("new", "expansion", "reactivation", "contraction", "churn")
    series = dict(d.movements)
    counts = dict(d.movement_counts)
    for kind in order:
        fig.add_trace(go.Bar(
            x=list(d.months), y=list(series[kind]), name=kind.capitalize(),
            marker_color=COLORS[kind], customdata=list(counts[kind]),
            hovertemplate=f"{kind}: %{{y:,.0f}} {d.currency} (%{{customdata}} customers)"
                          "<extra></extra>"))
        metrics.append(kind)
    fig.add_trace(go.Scatter(x=list(d.months), y=list(d.mrr), name="MRR", yaxis="y2",
                             mode="lines+markers", line={"color": COLORS["mrr"]},
                             hovertemplate="MRR %{y:,.0f} " + d.currency + "<extra></extra>"))
    metrics.append("mrr")
    return Chart(_layout(fig, barmode="relative", y2=f"MRR ({d.currency})",
                         ytitle=f"Movement ({d.currency})"), metrics)


def retention(d: Dashboard) -> Chart:
    """Month-over-month NRR and GRR."""
    fig = go.Figure()
    for key, values in (("nrr", d.nrr), ("grr", d.grr)):
        fig.add_trace(go.Scatter(x=list(d.months), y=list(values), name=key.upper(),
                                 mode="lines+markers", line={"color": COLORS[key]},
                                 hovertemplate=key.upper() + " %{y:.2f}%<extra></extra>"))
    return Chart(_layout(fig, ytitle="% of last month's MRR"), ["nrr_month", "nrr_month"])


def churn(d: Dashboard) -> Chart:
    """Churned customers per month by reason (voluntary / involuntary / other)."""
    fig = go.Figure()
    metrics = []
    for reason, values in d.churn_split:
        if reason == "other" and not any(values):
            continue
        fig.add_trace(go.Bar(x=list(d.months), y=list(values), name=reason.capitalize(),
                             marker_color=COLORS[reason],
                             hovertemplate=reason + ": %{y} customers<extra></extra>"))
        metrics.append(f"churn_{reason}")
    return Chart(_layout(fig, barmode="stack", ytitle="Customers lost"), metrics)


def aging(d: Dashboard) -> Chart:
    """Open balance per aging bucket at the as-of date."""
    fig = go.Figure(go.Bar(x=list(d.aging_buckets), y=list(d.aging_amounts),
                           text=list(d.aging_labels), textposition="auto",
                           marker_color=["#2f9e44", "#fab005", "#f76707", "#e03131", "#862e9c"],
                           hovertemplate="%{x}: %{text}<extra></extra>", name="Open balance"))
    return Chart(_layout(fig, ytitle=f"Open ({d.currency})"), ["aging"])


def dso(d: Dashboard) -> Chart:
    """DSO per month (line) over open receivables at each month end (bars)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=list(d.months), y=list(d.receivables), name="Receivables",
                         marker_color=COLORS["receivables"], yaxis="y2",
                         hovertemplate="%{y:,.0f} " + d.currency + "<extra></extra>"))
    fig.add_trace(go.Scatter(x=list(d.months), y=list(d.dso), name="DSO (days)",
                             mode="lines+markers", line={"color": COLORS["dso"]},
                             hovertemplate="DSO %{y:.1f} days<extra></extra>"))
    return Chart(_layout(fig, y2=f"Receivables ({d.currency})", ytitle="Days"),
                 ["receivables", "receivables"])


def disputes(d: Dashboard) -> Chart:
    """Dispute rate (bars) and median days to resolve (line)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=list(d.months), y=list(d.dispute_rate), name="Dispute rate (%)",
                         marker_color=COLORS["disputes"], text=_pct_text(d.dispute_rate),
                         hovertemplate="%{y:.2f}% of invoices<extra></extra>"))
    fig.add_trace(go.Scatter(x=list(d.months), y=list(d.dispute_median_days), yaxis="y2",
                             name="Median days to resolve", mode="lines+markers",
                             line={"color": COLORS["median"]},
                             hovertemplate="median %{y:.1f} days<extra></extra>"))
    return Chart(_layout(fig, y2="Days", ytitle="% of invoices"), ["disputes", "disputes"])


def support(d: Dashboard) -> Chart:
    """Disputes and billing tickets opened (stacked) and the load per 100 customers."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=list(d.months), y=list(d.support_tickets), name="Billing tickets",
                         marker_color=COLORS["tickets"]))
    fig.add_trace(go.Bar(x=list(d.months), y=list(d.support_disputes), name="Disputes",
                         marker_color=COLORS["disputes"]))
    fig.add_trace(go.Scatter(x=list(d.months), y=list(d.support_load), yaxis="y2",
                             name="Per 100 customers", mode="lines+markers",
                             line={"color": COLORS["load"]}))
    return Chart(_layout(fig, barmode="stack", y2="Per 100 customers", ytitle="Opened"),
                 ["support", "support", "support"])


def build_all(d: Dashboard) -> dict[str, Chart]:
    """Every chart of the dashboard by name."""
    return {"waterfall": waterfall(d), "retention": retention(d), "churn": churn(d),
            "aging": aging(d), "dso": dso(d), "disputes": disputes(d), "support": support(d)}
