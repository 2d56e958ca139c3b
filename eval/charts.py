"""The evaluation charts, specified once with Altair (Vega-Lite) for every front end.

The HTML report embeds them as inline SVG (:func:`to_svg`, rendered offline by vl-convert: no
JavaScript, no network); the QA page shows the same specs with ``st.altair_chart``. Every
function takes a run's metrics dict (metrics.json) or its rows (results.jsonl) and returns an
``alt.Chart``. Rates are plotted on a fixed 0–100 % axis, so runs compare at a glance and a
small dip never looks like a collapse. No chart is interactive (no zoom, no pan).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

from eval.metrics import K_VALUES

#: Rates (0–1) always span the full 0–100 % axis; values outside are clamped, not rescaled.
RATE_DOMAIN = (0.0, 1.0)
RATE_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
WIDTH = 480
ROW_HEIGHT = 22
FONT = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", system-ui, sans-serif'
COLOURS = ("#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32")
THIS_RUN = "this run"
NAIVE = "naive"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _series_label(metrics: Mapping[str, Any]) -> str:
    return str(metrics.get("label") or THIS_RUN)


def rate_scale() -> alt.Scale:
    """The fixed 0–100 % scale of every rate axis."""
    return alt.Scale(domain=list(RATE_DOMAIN), clamp=True, nice=False, zero=True)


def rate_axis(title: str) -> alt.Axis:
    return alt.Axis(title=title, format=".0%", values=list(RATE_TICKS), grid=True)


def _styled(chart: alt.Chart, height: int) -> alt.Chart:
    """Size and fonts shared by every chart (CJK-capable fonts first)."""
    return (
        chart.properties(width=WIDTH, height=height)
        .configure(font=FONT)
        .configure_axis(labelFontSize=12, titleFontSize=12, labelLimit=220)
        .configure_legend(labelFontSize=12, titleFontSize=12, orient="bottom")
        .configure_view(stroke=None)
    )


def _colour(series: Sequence[str]) -> alt.Color:
    return alt.Color(
        "series:N",
        title=None,
        sort=list(series),
        scale=alt.Scale(domain=list(series), range=list(COLOURS[: len(series)])),
    )


def pass_rate_by_type(metrics: Mapping[str, Any]) -> alt.Chart:
    """Horizontal bars: the pass rate of every question type, side by side with the naive baseline."""
    ours = _series_label(metrics)
    blocks = {ours: metrics.get("by_type") or {}}
    if "naive" in metrics:
        blocks[NAIVE] = (metrics.get("naive") or {}).get("by_type") or {}
    types = list(blocks[ours]) + [t for t in blocks.get(NAIVE, {}) if t not in blocks[ours]]
    values = [
        {
            "type": str(t),
            "series": name,
            "pass_rate": _number((block.get(t) or {}).get("pass_rate")),
            "n": (block.get(t) or {}).get("n"),
        }
        for t in types
        for name, block in blocks.items()
    ]
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            x=alt.X("pass_rate:Q", scale=rate_scale(), axis=rate_axis("通过率 pass rate")),
            y=alt.Y("type:N", sort=types, title="题型 question type"),
            yOffset=alt.YOffset("series:N", sort=list(blocks)),
            color=_colour(list(blocks)),
            tooltip=[
                alt.Tooltip("type:N", title="题型"),
                alt.Tooltip("series:N", title="run"),
                alt.Tooltip("pass_rate:Q", title="通过率", format=".1%"),
                alt.Tooltip("n:Q", title="n"),
            ],
        )
    )
    return _styled(chart, max(1, len(types)) * ROW_HEIGHT * len(blocks))


def hit_at_k(metrics: Mapping[str, Any]) -> alt.Chart:
    """Lines: hit@k (a gold quote among the top k passages) for k = 1, 3, 5, 10, with the naive baseline."""
    ours = _series_label(metrics)
    overalls = {ours: metrics.get("overall") or {}}
    if "naive" in metrics:
        overalls[NAIVE] = (metrics.get("naive") or {}).get("overall") or {}
    values = [
        {"k": k, "series": name, "hit": _number(overall.get(f"hit_at_{k}"))}
        for name, overall in overalls.items()
        for k in K_VALUES
    ]
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("k:O", sort=list(K_VALUES), title="前 k 段 top k passages", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("hit:Q", scale=rate_scale(), axis=rate_axis("命中率 hit@k")),
            color=_colour(list(overalls)),
            tooltip=[
                alt.Tooltip("series:N", title="run"),
                alt.Tooltip("k:O", title="k"),
                alt.Tooltip("hit:Q", title="hit@k", format=".1%"),
            ],
        )
    )
    return _styled(chart, 200)


def latencies_ms(rows: Sequence[Mapping[str, Any]]) -> list[float]:
    """Every row's timings_ms.total (answer time), skipping rows without one."""
    out = []
    for row in rows:
        value = _number(((row.get("answer") or {}).get("timings_ms") or {}).get("total"))
        if value is not None:
            out.append(value)
    return out


# whole questions only: Vega places ticks at 0.5 for small counts, whose labels are left blank
_COUNT_AXIS = alt.Axis(format="d", tickMinStep=1, labelExpr="datum.value % 1 ? '' : datum.label")


def latency_histogram(rows: Sequence[Mapping[str, Any]], bins: int = 12) -> alt.Chart:
    """Histogram of answer times in milliseconds (timings_ms.total)."""
    values = [{"ms": ms} for ms in latencies_ms(rows)]
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar(color=COLOURS[0])
        .encode(
            x=alt.X("ms:Q", bin=alt.Bin(maxbins=bins), title="用时 answer time (ms)"),
            y=alt.Y("count():Q", title="题数 questions", axis=_COUNT_AXIS),
            tooltip=[alt.Tooltip("count():Q", title="题数")],
        )
    )
    if not values:
        chart = chart.properties(title="no timings recorded")
    return _styled(chart, 180)


def report_charts(
    metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> list[tuple[str, alt.Chart]]:
    """(heading, chart) for every chart of the report, in order."""
    return [
        ("Pass rate by question type", pass_rate_by_type(metrics)),
        ("hit@k: a gold quote among the top k passages", hit_at_k(metrics)),
        ("Answer time (timings_ms.total)", latency_histogram(rows)),
    ]


def vega_lite_version() -> str:
    """The Vega-Lite version Altair writes ('v6.4'), which vl-convert must render with."""
    major, minor, *_ = alt.SCHEMA_VERSION.lstrip("v").split(".")
    return f"v{major}.{minor}"


def to_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as standalone SVG text, rendered offline (no data or font is fetched)."""
    import vl_convert  # imported here: only the report renders SVG

    svg = vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=vega_lite_version(), allowed_base_urls=[])
    return svg[svg.find("<svg") :]  # drop any XML prolog: the SVG is inlined into HTML


__all__ = [
    "RATE_DOMAIN",
    "hit_at_k",
    "latencies_ms",
    "latency_histogram",
    "pass_rate_by_type",
    "rate_scale",
    "report_charts",
    "to_svg",
]
