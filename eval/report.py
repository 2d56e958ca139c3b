"""Renders an eval run as report.md and a self-contained report.html (inline CSS and SVG, no JS).

Written for QA staff who did not write the code: a summary box first (gate PASS/FAIL and the
key numbers), then charts, breakdowns, the failing items with reasons, the comparison with
the previous run and with the naive baseline, and what every metric means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from eval.metrics import K_VALUES, LOWER_IS_BETTER, METRIC_NAMES

MARGIN = "first_sentence_margin_over_naive"

HELP: dict[str, str] = {
    "pass_rate": "share of questions that pass every check for their kind",
    **{f"hit_at_{k}": f"a gold quote is among the top {k} retrieved passages" for k in K_VALUES},
    **{f"recall_at_{k}": f"share of gold quotes found in the top {k} passages" for k in K_VALUES},
    "mrr": "1 / rank of the first passage holding a gold quote (1.0 = always first)",
    "citation_verbatim": "citations whose quote appears word for word in the cited document",
    "citation_precision": "citations that are verbatim and support the answer (keypoint, number or gold quote)",
    "citation_recall": "gold quotes that the citations cover (≥ 50 % overlap, or inside a cited passage)",
    "keypoint_accuracy": "expected key facts present anywhere in the answer (一百五十 = 150)",
    "keypoints_first_sentence": "expected key facts present in the answer's first sentence",
    "faithfulness": "answers whose every 文号, date and amount/age/percent is in the cited text",
    "refusal_accuracy": "questions the gazette does not answer that the assistant declined",
    "false_refusal_rate": "answerable questions the assistant wrongly declined (lower is better)",
    "latency_p50_ms": "median answer time, milliseconds (lower is better)",
    "latency_p95_ms": "95th-percentile answer time, milliseconds (lower is better)",
    MARGIN: "first-sentence keypoints: this assistant minus the naive baseline",
}
KEY_NUMBERS = (
    "pass_rate",
    "hit_at_5",
    "citation_verbatim",
    "faithfulness",
    "keypoint_accuracy",
    "keypoints_first_sentence",
    "refusal_accuracy",
    "false_refusal_rate",
    "latency_p50_ms",
    "latency_p95_ms",
)
BREAKDOWN_COLUMNS = (
    "pass_rate",
    "hit_at_5",
    "mrr",
    "keypoint_accuracy",
    "keypoints_first_sentence",
    "faithfulness",
    "citation_verbatim",
    "citation_recall",
    "refusal_accuracy",
    "false_refusal_rate",
)
BREAKDOWNS = (("by_type", "question type"), ("by_persona", "persona"), ("by_document", "gold document"))
ANSWER_EXCERPT = 200


# --------------------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------------------


def fmt(name: str, value: Any) -> str:
    """A metric value as QA staff read it: rates in %, latencies in ms, '—' when not measured."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else str(value)
    if name.endswith("_ms"):
        return f"{value:,.0f} ms"
    if name in ("n", "n_answerable", "n_unanswerable", "n_passed", "n_citations"):
        return str(int(value))
    if name == "mrr":
        return f"{value:.3f}"
    if name == MARGIN:
        return f"{value * 100:+.1f} pt"
    return f"{value * 100:.1f} %"


def fmt_delta(name: str, delta: float | None) -> str:
    if delta is None:
        return "—"
    if name.endswith("_ms"):
        return f"{delta:+,.0f} ms"
    return f"{delta * 100:+.1f} pt"


def _delta_class(name: str, delta: float | None) -> str:
    if not delta:
        return ""
    better = delta < 0 if name in LOWER_IS_BETTER else delta > 0
    return "good" if better else "bad"


def gate_status(metrics: Mapping[str, Any]) -> str:
    gate = metrics.get("gate")
    if not gate:
        return "NOT CHECKED"
    return "PASS" if gate.get("passed") else "FAIL"


def _overall(metrics: Mapping[str, Any], section: str | None = None) -> Mapping[str, Any]:
    block = metrics.get(section, {}) if section else metrics
    return block.get("overall", {}) if block else {}


def _failing(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in rows if not r.get("pass")]


def _excerpt(text: str, n: int = ANSWER_EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _gate_rows(metrics: Mapping[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(metric, bound, value, ok) for every gated metric."""
    gate = metrics.get("gate") or {}
    overall = _overall(metrics)
    out = []
    for name, bounds in gate.get("thresholds", {}).items():
        value = overall.get(name, metrics.get(name))
        for bound, limit in bounds.items():
            if value is None:
                ok = None
            elif bound == "min":
                ok = value >= limit - 1e-9
            else:
                ok = value <= limit + 1e-9
            sign = "≥" if bound == "min" else "≤"
            if name.endswith("_ms") or name == "mrr":
                limit_text = f"{limit:g}"
            else:
                limit_text = f"{limit * 100:g} {'pt' if name == MARGIN else '%'}"
            out.append((name, f"{sign} {limit_text}", fmt(name, value), ok))
    return out


# --------------------------------------------------------------------------------------
# SVG charts (hand-drawn: no plotting library is shipped)
# --------------------------------------------------------------------------------------

_FONT = 'font-family="sans-serif" font-size="12"'


def svg_bars(data: Sequence[tuple[str, float | None]], title: str, width: int = 560) -> str:
    """Horizontal bars of shares (0–1), one per label."""
    bar_h, gap, left, top = 18, 6, 150, 28
    height = top + len(data) * (bar_h + gap) + 10
    plot_w = width - left - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" {_FONT} font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(data):
        y = top + i * (bar_h + gap)
        v = 0.0 if value is None else max(0.0, min(1.0, value))
        colour = "#2e7d32" if v >= 0.95 else "#f9a825" if v >= 0.8 else "#c62828"
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" {_FONT}>{escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{plot_w}" height="{bar_h}" fill="#eee"/>')
        parts.append(f'<rect x="{left}" y="{y}" width="{v * plot_w:.1f}" height="{bar_h}" fill="{colour}"/>')
        text = "—" if value is None else f"{value * 100:.0f} %"
        parts.append(f'<text x="{left + plot_w + 6}" y="{y + 13}" {_FONT}>{text}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_histogram(values: Sequence[float], title: str, bins: int = 12, width: int = 560) -> str:
    """Histogram of latencies (ms)."""
    height, left, bottom, top = 200, 40, 30, 28
    plot_w, plot_h = width - left - 10, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" {_FONT} font-weight="bold">{escape(title)}</text>',
    ]
    if not values:
        parts.append(f'<text x="{left}" y="{top + 40}" {_FONT}>no timings recorded</text></svg>')
        return "".join(parts)
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    peak = max(counts)
    bw = plot_w / bins
    for i, c in enumerate(counts):
        h = c / peak * plot_h
        x = left + i * bw
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" fill="#1565c0">'
            f"<title>{lo + i * span / bins:,.0f}–{lo + (i + 1) * span / bins:,.0f} ms: {c}</title></rect>"
        )
        if c:
            parts.append(
                f'<text x="{x + bw / 2:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle" {_FONT}>{c}</text>'
            )
    axis_y = top + plot_h
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="#333"/>')
    parts.append(f'<text x="{left}" y="{axis_y + 16}" {_FONT}>{lo:,.0f} ms</text>')
    parts.append(f'<text x="{left + plot_w}" y="{axis_y + 16}" text-anchor="end" {_FONT}>{hi:,.0f} ms</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_lines(series: Mapping[str, Sequence[tuple[int, float | None]]], title: str, width: int = 560) -> str:
    """Line chart of shares (0–1) against k, one line per series (hit@k)."""
    height, left, bottom, top = 220, 44, 30, 40
    plot_w, plot_h = width - left - 20, height - top - bottom
    xs = sorted({k for pts in series.values() for k, _ in pts}) or [1]
    colours = ["#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32"]

    def px(k: int) -> float:
        return left + (xs.index(k) / max(1, len(xs) - 1)) * plot_w

    def py(v: float) -> float:
        return top + (1 - v) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" {_FONT} font-weight="bold">{escape(title)}</text>',
    ]
    for tick in (0.0, 0.5, 1.0):
        parts.append(
            f'<line x1="{left}" y1="{py(tick):.1f}" x2="{left + plot_w}" y2="{py(tick):.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{py(tick) + 4:.1f}" text-anchor="end" {_FONT}>{tick * 100:.0f}%</text>'
        )
    for k in xs:
        parts.append(
            f'<text x="{px(k):.1f}" y="{top + plot_h + 16}" text-anchor="middle" {_FONT}>k={k}</text>'
        )
    for n, (name, pts) in enumerate(series.items()):
        colour = colours[n % len(colours)]
        coords = [(px(k), py(v)) for k, v in pts if v is not None]
        if coords:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for x, y in coords:
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        parts.append(f'<rect x="{left + 130 * n}" y="24" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{left + 130 * n + 14}" y="33" {_FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def charts(metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The report's SVG charts: pass rate by type, hit@k curve, latency histogram."""
    by_type = metrics.get("by_type", {})
    out = [svg_bars([(t, b.get("pass_rate")) for t, b in by_type.items()], "Pass rate by question type")]
    series = {metrics.get("label", "this run"): [(k, _overall(metrics).get(f"hit_at_{k}")) for k in K_VALUES]}
    if "naive" in metrics:
        series["naive"] = [(k, _overall(metrics, "naive").get(f"hit_at_{k}")) for k in K_VALUES]
    out.append(svg_lines(series, "hit@k: a gold quote among the top k passages"))
    latencies = [
        r["answer"]["timings_ms"]["total"]
        for r in rows
        if isinstance(r.get("answer", {}).get("timings_ms", {}).get("total"), int | float)
    ]
    out.append(svg_histogram(latencies, "Answer time (timings_ms.total)"))
    return out


# --------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------


def _md(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _md_table(header: Sequence[str], body: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in body]
    return lines + [""]


def _metric_rows(metrics: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the overall metrics table (with naive and baseline columns when present)."""
    overall = _overall(metrics)
    naive = _overall(metrics, "naive") if "naive" in metrics else None
    deltas = (metrics.get("baseline") or {}).get("deltas")
    header = ["metric", "this run"]
    if naive is not None:
        header.append("naive")
    if deltas is not None:
        header += ["previous run", "change"]
    header.append("meaning")
    rows = []
    for name in (*METRIC_NAMES, MARGIN):
        if name not in overall and not (deltas and name in deltas):
            continue
        row = [name, fmt(name, overall.get(name))]
        if naive is not None:
            row.append("" if name == MARGIN else fmt(name, naive.get(name)))
        if deltas is not None:
            d = deltas.get(name, {})
            row += [fmt(name, d.get("before")), fmt_delta(name, d.get("delta"))]
        row.append(HELP.get(name, ""))
        rows.append(row)
    return header, rows


def render_markdown(metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """The report as Markdown (tables; charts are in the HTML version)."""
    overall = _overall(metrics)
    gate = metrics.get("gate") or {}
    lines = [f"# Eval report — {_md(metrics.get('label', ''))}", ""]
    lines += [
        f"**Gate: {gate_status(metrics)}** · {overall.get('n', 0)} questions · {metrics.get('created_at', '')}",
        "",
    ]
    for v in gate.get("violations", []):
        lines.append(f"- ❌ {_md(v)}")
    if gate.get("violations"):
        lines.append("")
    lines += _md_table(["key number", "value"], [[n, fmt(n, overall.get(n))] for n in KEY_NUMBERS])
    base = metrics.get("baseline")
    if base and "error" not in base:
        lines += [
            f"Compared with the previous run: {len(base['regressions'])} regressions, {len(base['fixes'])} fixes.",
            "",
        ]

    if gate.get("thresholds"):
        lines += ["## Release gate", ""]
        lines += _md_table(
            ["metric", "threshold", "value", "ok"],
            [
                [n, b, v, "✅" if ok else "❌" if ok is False else "not measured"]
                for n, b, v, ok in _gate_rows(metrics)
            ],
        )
    lines += ["## Metrics", ""]
    header, body = _metric_rows(metrics)
    lines += _md_table(header, body)

    for key, title in BREAKDOWNS:
        lines += [f"## By {title}", ""]
        lines += _md_table(
            [title, "n", *BREAKDOWN_COLUMNS],
            [
                [g, b.get("n", 0), *(fmt(c, b.get(c)) for c in BREAKDOWN_COLUMNS)]
                for g, b in metrics.get(key, {}).items()
            ],
        )

    failing = _failing(rows)
    lines += [f"## Failing questions ({len(failing)})", ""]
    if failing:
        lines += _md_table(
            ["id", "type", "question", "reasons", "answer"],
            [
                [r["id"], r["type"], r["question"], "; ".join(r["reasons"]), _excerpt(r["answer"]["answer"])]
                for r in failing
            ],
        )
    else:
        lines += ["None.", ""]

    if base:
        lines += ["## Compared with the previous run", ""]
        if "error" in base:
            lines += [_md(base["error"]), ""]
        else:
            lines += [
                f"Previous run: {_md(base.get('label'))} ({_md(base.get('created_at'))}), `{_md(base['dir'])}`",
                "",
            ]
            lines += [f"### Regressions ({len(base['regressions'])}): passed before, fail now", ""]
            lines += [
                f"- {_md(r['id'])}: {_md(r['question'])} — {_md('; '.join(r['reasons']))}"
                for r in base["regressions"]
            ]
            lines += ["", f"### Fixes ({len(base['fixes'])}): failed before, pass now", ""]
            lines += [f"- {_md(r['id'])}: {_md(r['question'])}" for r in base["fixes"]]
            lines += ["", f"Added items: {len(base['added'])} · removed items: {len(base['removed'])}", ""]
    if "naive" in metrics:
        lines += ["## This assistant vs the naive baseline", ""]
        lines += [
            "Naive = fixed 500-character windows, dense retrieval only, the top passage as the answer.",
            "",
        ]
        naive_types = metrics["naive"].get("by_type", {})
        lines += _md_table(
            ["question type", "pass rate (this run)", "pass rate (naive)"],
            [
                [
                    t,
                    fmt("pass_rate", b.get("pass_rate")),
                    fmt("pass_rate", naive_types.get(t, {}).get("pass_rate")),
                ]
                for t, b in metrics.get("by_type", {}).items()
            ],
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
 margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3} td.num{text-align:right;white-space:nowrap}
.summary{border:3px solid;border-radius:8px;padding:1rem 1.2rem;margin:1rem 0}
.summary.PASS{border-color:#2e7d32;background:#e8f5e9} .summary.FAIL{border-color:#c62828;background:#ffebee}
.summary.NOT{border-color:#999;background:#f5f5f5}
.gate{font-size:1.6rem;font-weight:bold}
.keys{display:flex;flex-wrap:wrap;gap:.6rem;margin-top:.6rem}
.key{background:#fff;border:1px solid #ccc;border-radius:6px;padding:.3rem .6rem;min-width:9rem}
.key b{display:block;font-size:1.2rem}
.good{color:#2e7d32} .bad{color:#c62828;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
.muted{color:#666;font-size:.9rem}
"""


def _h(text: Any) -> str:
    return escape(str(text))


def _html_table(header: Sequence[str], body: Sequence[Sequence[Any]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in header)
    out = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for row in body:
        cells = "".join(
            f'<td class="num">{_h(c)}</td>' if 0 < numeric_from <= i else f"<td>{_h(c)}</td>"
            for i, c in enumerate(row)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """The report as one self-contained HTML page: every text escaped, CSS and SVG inline, no scripts."""
    overall = _overall(metrics)
    gate = metrics.get("gate") or {}
    status = gate_status(metrics)
    label = metrics.get("label", "")
    base = metrics.get("baseline")
    p: list[str] = [
        '<!doctype html><html lang="zh"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Eval report — {_h(label)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Eval report — {_h(label)}</h1>",
        f'<p class="muted">{_h(metrics.get("created_at", ""))} · {_h(overall.get("n", 0))} questions</p>',
        f'<div class="summary {status.split()[0]}"><div class="gate">Gate: {_h(status)}</div>',
    ]
    if gate.get("violations"):
        p.append("<ul>" + "".join(f"<li>{_h(v)}</li>" for v in gate["violations"]) + "</ul>")
    elif status == "PASS":
        p.append("<p>Every gated metric is within its threshold: the release may ship.</p>")
    p.append('<div class="keys">')
    for name in KEY_NUMBERS:
        p.append(
            f'<div class="key" title="{_h(HELP.get(name, ""))}">{_h(name)}<b>{_h(fmt(name, overall.get(name)))}</b></div>'
        )
    p.append("</div>")
    if base and "error" not in base:
        p.append(
            f"<p>Compared with the previous run: <b>{len(base['regressions'])}</b> regressions, "
            f"<b>{len(base['fixes'])}</b> fixes.</p>"
        )
    p.append("</div>")

    if gate.get("thresholds"):
        p.append("<h2>Release gate</h2>")
        body = [
            [n, b, v, "ok" if ok else "FAILED" if ok is False else "not measured"]
            for n, b, v, ok in _gate_rows(metrics)
        ]
        p.append(_html_table(["metric", "threshold", "value", "status"], body))

    p.append('<h2>Charts</h2><div class="charts">' + "".join(charts(metrics, rows)) + "</div>")

    p.append("<h2>Metrics</h2>")
    header, body = _metric_rows(metrics)
    p.append(_html_table(header, body))

    for key, title in BREAKDOWNS:
        p.append(f"<h2>By {_h(title)}</h2>")
        body = [
            [g, b.get("n", 0), *(fmt(c, b.get(c)) for c in BREAKDOWN_COLUMNS)]
            for g, b in metrics.get(key, {}).items()
        ]
        p.append(_html_table([title, "n", *BREAKDOWN_COLUMNS], body))

    failing = _failing(rows)
    p.append(f"<h2>Failing questions ({len(failing)})</h2>")
    if failing:
        p.append(
            "<table><thead><tr><th>id</th><th>type</th><th>question</th><th>reasons</th><th>answer</th></tr></thead><tbody>"
        )
        for r in failing:
            reasons = "".join(f"<li>{_h(x)}</li>" for x in r["reasons"])
            p.append(
                f"<tr><td>{_h(r['id'])}</td><td>{_h(r['type'])}<br><span class=muted>{_h(r['persona'])}</span></td>"
                f"<td>{_h(r['question'])}</td><td><ul>{reasons}</ul></td><td>{_h(_excerpt(r['answer']['answer']))}</td></tr>"
            )
        p.append("</tbody></table>")
    else:
        p.append("<p>None.</p>")

    if base:
        p.append("<h2>Compared with the previous run</h2>")
        if "error" in base:
            p.append(f'<p class="bad">{_h(base["error"])}</p>')
        else:
            p.append(
                f'<p class="muted">Previous run: {_h(base.get("label"))} ({_h(base.get("created_at"))}), {_h(base["dir"])}</p>'
            )
            p.append(f"<h3>Regressions ({len(base['regressions'])}): passed before, fail now</h3><ul>")
            p += [
                f'<li class="bad">{_h(r["id"])}: {_h(r["question"])} — {_h("; ".join(r["reasons"]))}</li>'
                for r in base["regressions"]
            ]
            p.append(f"</ul><h3>Fixes ({len(base['fixes'])}): failed before, pass now</h3><ul>")
            p += [f'<li class="good">{_h(r["id"])}: {_h(r["question"])}</li>' for r in base["fixes"]]
            p.append(f"</ul><p>Added items: {len(base['added'])} · removed items: {len(base['removed'])}</p>")
            p.append(
                "<h3>Change in key metrics</h3><table><thead><tr><th>metric</th><th>before</th><th>now</th><th>change</th></tr></thead><tbody>"
            )
            for name, d in base["deltas"].items():
                cls = _delta_class(name, d.get("delta"))
                p.append(
                    f"<tr><td>{_h(name)}</td><td class=num>{_h(fmt(name, d.get('before')))}</td>"
                    f"<td class=num>{_h(fmt(name, d.get('now')))}</td>"
                    f'<td class="num {cls}">{_h(fmt_delta(name, d.get("delta")))}</td></tr>'
                )
            p.append("</tbody></table>")

    if "naive" in metrics:
        p.append("<h2>This assistant vs the naive baseline</h2>")
        p.append(
            "<p>Naive = fixed 500-character windows, dense retrieval only, the top passage as the answer.</p>"
        )
        naive_types = metrics["naive"].get("by_type", {})
        body = [
            [
                t,
                fmt("pass_rate", b.get("pass_rate")),
                fmt("pass_rate", naive_types.get(t, {}).get("pass_rate")),
            ]
            for t, b in metrics.get("by_type", {}).items()
        ]
        p.append(_html_table(["question type", "pass rate (this run)", "pass rate (naive)"], body))

    p.append("<h2>What the metrics mean</h2><dl>")
    p += [f"<dt><b>{_h(n)}</b></dt><dd>{_h(t)}</dd>" for n, t in HELP.items()]
    p.append(
        "</dl><p class=muted>Text is compared after folding (NFKC, no whitespace, no &lt;p&gt;/&lt;br&gt;, 〔〕 = []) "
        "and Chinese numerals read as Arabic. Per-question results are in results.jsonl, all numbers in metrics.json.</p>"
    )
    p.append("</body></html>")
    return "\n".join(p)


def write_reports(
    out_dir: Path, metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> tuple[Path, Path]:
    """Write report.md and report.html into ``out_dir``; return their paths."""
    md, html = Path(out_dir) / "report.md", Path(out_dir) / "report.html"
    md.write_text(render_markdown(metrics, rows), encoding="utf-8")
    html.write_text(render_html(metrics, rows), encoding="utf-8")
    return md, html
