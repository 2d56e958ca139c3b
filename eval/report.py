"""Renders an eval run as report.md and a self-contained report.html.

Written for QA staff who did not write the code: a summary box first (gate PASS/FAIL and the
key numbers), then charts, breakdowns, the failing items with reasons, the comparison with
the previous run and with the naive baseline, and what every metric means.

Both reports are Jinja2 templates (``eval/templates``) over one context built here
(:func:`report_context`). The HTML template autoescapes every value; the Markdown one runs
every value through :func:`md_cell`. The charts are :mod:`eval.charts` specs rendered to
inline SVG: the HTML page has no script and loads nothing, so it reads offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from eval.charts import report_charts, to_svg
from eval.metrics import K_VALUES, LOWER_IS_BETTER, METRIC_NAMES

TEMPLATES = Path(__file__).resolve().parent / "templates"

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


def _gate_rows(metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """name, bound, value, ok (None: not measured), status and mark for every gated metric."""
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
            status = "ok" if ok else "FAILED" if ok is False else "not measured"
            mark = "✅" if ok else "❌" if ok is False else "not measured"
            row = {"name": name, "bound": f"{sign} {limit_text}", "value": fmt(name, value), "ok": ok}
            out.append({**row, "status": status, "mark": mark})
    return out


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


# --------------------------------------------------------------------------------------
# the context both templates render
# --------------------------------------------------------------------------------------


def _baseline_context(base: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not base:
        return None
    if "error" in base:
        return {"error": base["error"]}
    return {
        "error": None,
        "label": base.get("label"),
        "created_at": base.get("created_at"),
        "dir": base.get("dir"),
        "regressions": [
            {"id": r["id"], "question": r["question"], "reasons": "; ".join(r["reasons"])}
            for r in base.get("regressions", [])
        ],
        "fixes": base.get("fixes", []),
        "n_added": len(base.get("added", [])),
        "n_removed": len(base.get("removed", [])),
        "deltas": [
            {
                "name": name,
                "before": fmt(name, d.get("before")),
                "now": fmt(name, d.get("now")),
                "change": fmt_delta(name, d.get("delta")),
                "class": _delta_class(name, d.get("delta")),
            }
            for name, d in base.get("deltas", {}).items()
        ],
    }


def report_context(
    metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], *, with_charts: bool = True
) -> dict[str, Any]:
    """Everything the report templates show, formatted for reading (charts as SVG text)."""
    overall = _overall(metrics)
    gate = metrics.get("gate") or {}
    status = gate_status(metrics)
    header, body = _metric_rows(metrics)
    naive = None
    if "naive" in metrics:
        naive_types = (metrics["naive"] or {}).get("by_type", {})
        naive = [
            [
                t,
                fmt("pass_rate", b.get("pass_rate")),
                fmt("pass_rate", naive_types.get(t, {}).get("pass_rate")),
            ]
            for t, b in metrics.get("by_type", {}).items()
        ]
    return {
        "label": metrics.get("label", ""),
        "created_at": metrics.get("created_at", ""),
        "n": overall.get("n", 0),
        "status": status,
        "status_class": status.split()[0],
        "violations": gate.get("violations", []),
        "key_numbers": [
            {"name": n, "value": fmt(n, overall.get(n)), "help": HELP.get(n, "")} for n in KEY_NUMBERS
        ],
        "gate_rows": _gate_rows(metrics),
        "metrics_header": header,
        "metrics_rows": body,
        "breakdowns": [
            {
                "title": title,
                "header": [title, "n", *BREAKDOWN_COLUMNS],
                "rows": [
                    [g, b.get("n", 0), *(fmt(c, b.get(c)) for c in BREAKDOWN_COLUMNS)]
                    for g, b in metrics.get(key, {}).items()
                ],
            }
            for key, title in BREAKDOWNS
        ],
        "failing": [
            {
                "id": r["id"],
                "type": r["type"],
                "persona": r.get("persona", ""),
                "question": r["question"],
                "reasons": list(r["reasons"]),
                "answer": _excerpt((r.get("answer") or {}).get("answer") or ""),
            }
            for r in _failing(rows)
        ],
        "baseline": _baseline_context(metrics.get("baseline")),
        "naive": naive,
        "help": HELP,
        # vl-convert escapes every label it draws, so its SVG is safe to inline as markup
        "charts": [{"title": t, "svg": Markup(to_svg(c))} for t, c in report_charts(metrics, rows)]
        if with_charts
        else [],
    }


# --------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------


def md_cell(value: Any) -> str:
    """A value as one line of Markdown text: no line breaks, no table-breaking '|', no raw HTML."""
    return " ".join(str(value).split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def md_table(rows: Sequence[Any], header: Sequence[str], keys: Sequence[str] | None = None) -> Markup:
    """A Markdown table, every cell escaped; with ``keys``, rows are dicts and lists are joined by '; '."""

    def cells(row: Any) -> list[Any]:
        if keys is None:
            return list(row)
        return ["; ".join(map(str, v)) if isinstance(v, list) else v for v in (row[k] for k in keys)]

    lines = ["| " + " | ".join(md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md_cell(c) for c in cells(row)) + " |" for row in rows]
    return Markup("\n".join(lines) + "\n")


def _md_finalize(value: Any) -> str:
    """Every value the Markdown template prints: escaped, unless a filter already built it."""
    if isinstance(value, Markup):
        return value
    return "" if value is None else md_cell(value)


@cache
def environment(kind: str) -> jinja2.Environment:
    """'html': every value autoescaped; 'md': every value through :func:`md_cell`."""
    loader = jinja2.FileSystemLoader(TEMPLATES)
    options: dict[str, Any] = {
        "loader": loader,
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }
    if kind == "html":
        return jinja2.Environment(autoescape=True, **options)
    env = jinja2.Environment(autoescape=False, finalize=_md_finalize, **options)
    env.filters["md_table"] = md_table
    return env


def render_markdown(metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """The report as Markdown (tables; the charts are in the HTML version)."""
    context = report_context(metrics, rows, with_charts=False)
    return environment("md").get_template("report.md.j2").render(context)


def render_html(metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """The report as one self-contained HTML page: every text escaped, CSS and SVG inline, no scripts."""
    return environment("html").get_template("report.html.j2").render(report_context(metrics, rows))


def write_reports(
    out_dir: Path, metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> tuple[Path, Path]:
    """Write report.md and report.html into ``out_dir``; return their paths."""
    md, html = Path(out_dir) / "report.md", Path(out_dir) / "report.html"
    md.write_text(render_markdown(metrics, rows), encoding="utf-8")
    html.write_text(render_html(metrics, rows), encoding="utf-8")
    return md, html
