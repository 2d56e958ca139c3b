"""The eval report and its charts: one Altair spec per chart for the HTML report and the QA page,
a self-contained HTML page (inline SVG, no script, nothing fetched), fixed 0–100 % rate axes,
and every question, answer and label escaped."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import altair as alt
import pytest

import eval as eval_pkg
from core.settings import REPO_ROOT
from eval import charts
from eval.report import md_cell, render_html, render_markdown, report_context, write_reports

SCRIPT = "<script>alert('x')</script>"
SVG_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def metrics(**extra: Any) -> dict[str, Any]:
    """A run whose rates are all small, so an axis that followed the data would stop well below 100 %."""
    base: dict[str, Any] = {
        "label": "extractive",
        "created_at": "2024-06-01T00:00:00+00:00",
        "n_items": 3,
        "overall": {
            "n": 3,
            "pass_rate": 0.1,
            "hit_at_1": 0.05,
            "hit_at_3": 0.1,
            "hit_at_5": 0.2,
            "hit_at_10": 0.2,
            "latency_p50_ms": 100.0,
            "latency_p95_ms": 300.0,
        },
        "by_type": {"numeric": {"n": 2, "pass_rate": 0.1}, "list": {"n": 1, "pass_rate": 0.2}},
        "by_persona": {"family": {"n": 3, "pass_rate": 0.1}},
        "by_document": {},
        "gate": {
            "passed": False,
            "violations": ["hit_at_5 = 0.2 is below the minimum 0.95"],
            "thresholds": {"hit_at_5": {"min": 0.95}},
        },
    }
    return {**base, **extra}


def row(item_id: str, question: str, answer: str, passed: bool, ms: float) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "numeric",
        "persona": "family",
        "question": question,
        "pass": passed,
        "reasons": [] if passed else [f"keypoint missing: {SCRIPT}"],
        "answer": {"answer": answer, "timings_ms": {"total": ms}},
    }


ROWS = [
    row("E001", "高龄津贴一个月多少？", "不低于150元/人/月。", True, 120.0),
    row("E002", f"{SCRIPT} 每月多少？", f"{SCRIPT}每月200元", False, 480.0),
]
NAIVE = {"overall": {"hit_at_1": 0.0, "hit_at_5": 0.1}, "by_type": {"numeric": {"n": 2, "pass_rate": 0.0}}}


def svg_texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


# --- the HTML page stands alone --------------------------------------------------------------


def test_html_is_self_contained_with_inline_svg_charts() -> None:
    html = render_html(metrics(naive=NAIVE), ROWS)
    assert html.count("<svg") == len(charts.report_charts(metrics(naive=NAIVE), ROWS)) == 3
    assert not re.search(r"<(script|link|iframe|img|object|embed)\b", html, re.I)
    assert not re.search(r"\b(src|href)\s*=", html, re.I)
    assert "@import" not in html and "url(" not in html
    # the only URLs are the SVG namespaces (identifiers, never fetched)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", html)) <= SVG_NAMESPACES
    assert "vega.github.io" not in html  # the Vega-Lite $schema is not shipped, only the drawing


def test_write_reports_keeps_its_files(tmp_path: Path) -> None:
    md, html = write_reports(tmp_path, metrics(), ROWS)
    assert (md.name, html.name) == ("report.md", "report.html")
    assert "Gate: FAIL" in md.read_text(encoding="utf-8")
    assert "Gate: FAIL" in html.read_text(encoding="utf-8")


def test_svg_rendering_fetches_nothing() -> None:
    remote = alt.Chart(alt.UrlData("https://example.com/data.json")).mark_bar().encode(x="a:Q")
    with pytest.raises(ValueError, match="not allowed"):
        charts.to_svg(remote)


# --- the charts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "channel"),
    [(charts.pass_rate_by_type, "x"), (charts.hit_at_k, "y")],
    ids=["by_type", "hit_at_k"],
)
def test_rate_axes_run_from_0_to_100_percent(make, channel: str) -> None:
    chart = make(metrics(naive=NAIVE))
    encoding = chart.to_dict()["encoding"][channel]
    assert encoding["scale"]["domain"] == [0.0, 1.0]
    assert encoding["scale"].get("nice") is False and encoding["axis"]["format"].endswith("%")
    labels = svg_texts(charts.to_svg(chart))
    # every rate is ≤ 20 %, yet the drawn axis still ends at 100 %
    assert "0%" in labels and "100%" in labels, labels


def test_charts_show_the_naive_baseline_beside_the_run() -> None:
    values = charts.pass_rate_by_type(metrics(naive=NAIVE)).to_dict()["data"]["values"]
    assert {(v["type"], v["series"], v["pass_rate"]) for v in values} >= {
        ("numeric", "extractive", 0.1),
        ("numeric", "naive", 0.0),
        ("list", "naive", None),
    }
    lines = charts.hit_at_k(metrics()).to_dict()["data"]["values"]
    assert [(v["k"], v["hit"]) for v in lines] == [(1, 0.05), (3, 0.1), (5, 0.2), (10, 0.2)]


def test_latency_histogram_counts_timed_answers_only() -> None:
    rows = [*ROWS, {"id": "X", "answer": {"timings_ms": {}}}]
    assert charts.latencies_ms(rows) == [120.0, 480.0]
    spec = charts.latency_histogram(rows).to_dict()
    assert [v["ms"] for v in spec["data"]["values"]] == [120.0, 480.0]
    assert "title" in charts.latency_histogram([]).to_dict()  # "no timings recorded"


def test_no_chart_zooms_or_pans() -> None:
    for _, chart in charts.report_charts(metrics(naive=NAIVE), ROWS):
        spec = json.dumps(chart.to_dict())
        assert '"params"' not in spec and '"selection' not in spec and '"bind"' not in spec


# --- the QA page draws the same specs ----------------------------------------------------------


def test_qa_page_and_report_share_one_spec_function() -> None:
    assert eval_pkg.pass_rate_by_type is charts.pass_rate_by_type
    assert eval_pkg.hit_at_k is charts.hit_at_k
    m = metrics(naive=NAIVE)
    in_report = dict(charts.report_charts(m, ROWS))
    assert in_report["Pass rate by question type"].to_dict() == eval_pkg.pass_rate_by_type(m).to_dict()
    assert (
        in_report["hit@k: a gold quote among the top k passages"].to_dict() == eval_pkg.hit_at_k(m).to_dict()
    )
    # the QA page draws its report through ui/report_view.py, with the report's own spec function
    assert "from ui.report_view import show_metrics" in (REPO_ROOT / "ui" / "qa.py").read_text(
        encoding="utf-8"
    )
    source = (REPO_ROOT / "ui" / "report_view.py").read_text(encoding="utf-8")
    assert "st.altair_chart(pass_rate_by_type(metrics)" in source
    for page in ("qa.py", "report_view.py"):
        text = (REPO_ROOT / "ui" / page).read_text(encoding="utf-8")
        assert "st.bar_chart" not in text and ".interactive(" not in text


def test_qa_page_renders_the_report_chart_spec(tmp_path: Path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    run = tmp_path / "reports" / "run1"
    run.mkdir(parents=True)
    m = metrics(naive=NAIVE)
    (run / "metrics.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    (run / "results.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), encoding="utf-8"
    )
    from assistant import hash_token

    monkeypatch.setenv("GAZETTE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GAZETTE_STAFF_TOKEN_HASH", hash_token("staff token for tests"))
    at = AppTest.from_file(str(REPO_ROOT / "ui" / "qa.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert not at.get("vega_lite_chart")  # nothing for a visitor who is not staff
    at.text_input(key="staff_token").set_value("staff token for tests")
    at.button[0].click().run()  # the staff login form's submit button
    assert not at.exception, at.exception
    shown = at.get("vega_lite_chart")
    assert len(shown) == 2  # pass rate by type, hit@k
    page = json.loads(shown[0].proto.spec)
    spec = charts.pass_rate_by_type(m).to_dict()
    # Streamlit moves the data into the message and sizes the chart; the drawing is the spec's
    assert page["mark"] == spec["mark"]
    for channel in ("x", "y", "yOffset", "tooltip"):
        assert page["encoding"][channel] == spec["encoding"][channel], channel
    assert page["encoding"]["x"]["scale"]["domain"] == [0.0, 1.0]
    assert "params" not in page


# --- escaping ------------------------------------------------------------------------------------


def test_every_user_and_document_text_is_escaped() -> None:
    evil = metrics(
        label=SCRIPT,
        by_type={SCRIPT: {"n": 1, "pass_rate": 0.5}},
        baseline={"dir": "x", "error": f"baseline unreadable: {SCRIPT}"},
    )
    html = render_html(evil, ROWS)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html
    assert "baseline unreadable" in html
    md = render_markdown(evil, ROWS)
    assert "<script" not in md.lower() and "&lt;script&gt;" in md


def test_markdown_cells_stay_in_their_column() -> None:
    assert md_cell("a|b\n<c>") == "a\\|b &lt;c&gt;"
    md = render_markdown(metrics(), [row("E9", "问|答", "x", False, 1.0)])
    assert "| E9 | numeric | 问\\|答 |" in md
    assert "| key number | value |" in md and "**Gate: FAIL**" in md


def test_report_without_gate_or_baseline() -> None:
    m = metrics()
    del m["gate"]
    context = report_context(m, [], with_charts=False)
    assert context["status"] == "NOT CHECKED" and context["gate_rows"] == [] and context["baseline"] is None
    assert "Gate: NOT CHECKED" in render_html(m, []) and "Failing questions (0)" in render_markdown(m, [])


# --- packaging ---------------------------------------------------------------------------------


def test_templates_ship_with_the_package() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["eval"]
    shipped = {p.name for pattern in patterns for p in (REPO_ROOT / "eval").glob(pattern)}
    assert {"report.html.j2", "report.md.j2"} <= shipped
    deps = pyproject["project"]["dependencies"]
    assert {"altair==6.3.0", "jinja2==3.1.6", "vl-convert-python==1.9.0.post1"} <= set(deps)
