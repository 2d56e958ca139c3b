"""Runs the QA suite: asks every eval item, scores it, compares runs, writes the report, checks the gate."""

from __future__ import annotations

import json
import math
import time
import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from core.schema import Answer
from eval.dataset import EvalItem
from eval.metrics import METRIC_NAMES, ItemScore, breakdown, score_item
from eval.report import write_reports

DEFAULT_THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"
MARGIN = "first_sentence_margin_over_naive"
RESULTS, METRICS = "results.jsonl", "metrics.json"
_TOLERANCE = 1e-9  # 0.85 - 0.65 is 0.19999999999999996; a floor of 0.20 must still hold


class AsksQuestions(Protocol):
    """Anything that answers like the product's Assistant (tests pass fakes)."""

    def ask(self, question: str, history: list[dict[str, str]]) -> Answer: ...


# --------------------------------------------------------------------------------------
# asking
# --------------------------------------------------------------------------------------


def ask_all(
    assistant: AsksQuestions, items: Sequence[EvalItem], label: str, progress: bool = True
) -> list[Answer]:
    """One Answer per item, in order; an exception becomes an unrefused empty answer noting the error."""
    answers: list[Answer] = []
    for item in tqdm(items, desc=f"eval {label}", unit="q", disable=not progress):
        start = time.perf_counter()
        try:
            answer = assistant.ask(item.question, [])
        except Exception as exc:  # one broken item must not hide the other results
            answer = Answer(question=item.question, answer="", notes=[f"error: {type(exc).__name__}: {exc}"])
        wall_ms = (time.perf_counter() - start) * 1000
        answer = answer.model_copy(deep=True)
        answer.id = item.id
        if "total" not in answer.timings_ms:
            answer.timings_ms["total"] = wall_ms
            answer.notes.append("eval: timings_ms.total measured by the runner")
        answers.append(answer)
    return answers


def _row(item: EvalItem, answer: Answer, score: ItemScore) -> dict[str, Any]:
    metrics = score.flat()
    for key in ("id", "type", "persona", "answerable", "passed", "reasons"):
        metrics.pop(key)
    return {
        "id": item.id,
        "type": item.type,
        "persona": item.persona,
        "question": item.question,
        "answerable": item.answerable,
        "gold_doc": item.gold_doc,
        "pass": score.passed,
        "reasons": score.reasons,
        "answer": answer.to_json_dict(),
        "metrics": metrics,
    }


# --------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------


def run_eval(
    assistant: AsksQuestions,
    items: Sequence[EvalItem],
    out_dir: Path,
    doc_texts: Mapping[str, str],
    label: str = "extractive",
    progress: bool = True,
    baseline_dir: Path | None = None,
    naive_assistant: AsksQuestions | None = None,
    thresholds_path: Path | None = DEFAULT_THRESHOLDS,
) -> dict[str, Any]:
    """Ask, score and report every item; write results.jsonl, metrics.json, report.md, report.html.

    ``doc_texts`` maps 文号 (or a law's title) to the document's folded text
    (:func:`eval.metrics.fold_doc_texts`). Returns the metrics dict written to metrics.json,
    whose ``gate`` says whether the thresholds hold (skipped when ``thresholds_path`` is None).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    answers = ask_all(assistant, items, label, progress)
    scores = [score_item(i, a, doc_texts) for i, a in zip(items, answers, strict=True)]
    rows = [_row(i, a, s) for i, a, s in zip(items, answers, scores, strict=True)]

    metrics: dict[str, Any] = {
        "label": label,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_items": len(items),
        **breakdown(scores),
    }
    if naive_assistant is not None:
        naive_answers = ask_all(naive_assistant, items, f"{label} vs naive", progress)
        naive_scores = [score_item(i, a, doc_texts) for i, a in zip(items, naive_answers, strict=True)]
        naive = breakdown(naive_scores)
        metrics["naive"] = {"overall": naive["overall"], "by_type": naive["by_type"]}
        ours, theirs = (
            metrics["overall"]["keypoints_first_sentence"],
            naive["overall"]["keypoints_first_sentence"],
        )
        metrics["overall"][MARGIN] = None if ours is None or theirs is None else ours - theirs
        for row, a, s in zip(rows, naive_answers, naive_scores, strict=True):
            row["naive"] = {"pass": s.passed, "reasons": s.reasons, "answer": a.to_json_dict()}
    if baseline_dir is not None:
        metrics["baseline"] = compare_with_baseline(rows, metrics, Path(baseline_dir))
    if thresholds_path is not None:
        violations = check_gate(metrics, thresholds_path)
        metrics["gate"] = {
            "passed": not violations,
            "violations": violations,
            "thresholds": load_thresholds(thresholds_path),
        }

    with (out_dir / RESULTS).open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out_dir / METRICS).write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    write_reports(out_dir, metrics, rows)
    return metrics


# --------------------------------------------------------------------------------------
# comparison with an earlier run
# --------------------------------------------------------------------------------------


def _read_results(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _delta(now: Any, before: Any) -> float | None:
    if isinstance(now, int | float) and isinstance(before, int | float):
        return float(now) - float(before)
    return None


def compare_with_baseline(
    rows: Sequence[Mapping[str, Any]], metrics: Mapping[str, Any], baseline_dir: Path
) -> dict[str, Any]:
    """Regressions (passed before, fail now), fixes, added/removed items and metric deltas."""
    out: dict[str, Any] = {"dir": str(baseline_dir)}
    try:
        before_rows = _read_results(baseline_dir / RESULTS)
        before = json.loads((baseline_dir / METRICS).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        out["error"] = f"baseline unreadable: {type(exc).__name__}: {exc}"
        return out
    was = {r["id"]: r for r in before_rows}
    now = {r["id"]: r for r in rows}
    out["label"] = before.get("label")
    out["created_at"] = before.get("created_at")
    out["regressions"] = [
        {"id": i, "question": r["question"], "reasons": r["reasons"]}
        for i, r in now.items()
        if i in was and was[i].get("pass") and not r["pass"]
    ]
    out["fixes"] = [
        {"id": i, "question": r["question"]}
        for i, r in now.items()
        if i in was and not was[i].get("pass") and r["pass"]
    ]
    out["added"] = [i for i in now if i not in was]
    out["removed"] = [i for i in was if i not in now]
    cur, old = metrics["overall"], before.get("overall", {})
    out["deltas"] = {
        name: {"before": old.get(name), "now": cur.get(name), "delta": _delta(cur.get(name), old.get(name))}
        for name in (*METRIC_NAMES, MARGIN)
        if name in cur or name in old
    }
    old_types = before.get("by_type", {})
    out["pass_rate_by_type"] = {
        t: {
            "before": old_types.get(t, {}).get("pass_rate"),
            "now": block.get("pass_rate"),
            "delta": _delta(block.get("pass_rate"), old_types.get(t, {}).get("pass_rate")),
        }
        for t, block in metrics.get("by_type", {}).items()
    }
    return out


# --------------------------------------------------------------------------------------
# the release gate
# --------------------------------------------------------------------------------------


def load_thresholds(path: Path) -> dict[str, dict[str, float]]:
    """``[metric]`` tables with ``min`` and/or ``max``; anything else is an error (typos must not pass)."""
    return parse_thresholds(Path(path).read_text(encoding="utf-8"), str(path))


def parse_thresholds(text: str, source: str = "thresholds") -> dict[str, dict[str, float]]:
    """Parse thresholds TOML text (see :func:`load_thresholds`)."""
    path = source
    data = tomllib.loads(text)
    out: dict[str, dict[str, float]] = {}
    for name, table in data.items():
        if not isinstance(table, dict) or not table or set(table) - {"min", "max"}:
            raise ValueError(f"{path}: [{name}] must be a table with only 'min' and/or 'max'")
        for bound, value in table.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{path}: [{name}] {bound} must be a number, got {value!r}")
        out[name] = {k: float(v) for k, v in table.items()}
    return out


def metric_value(metrics: Mapping[str, Any], name: str) -> float | None:
    """A metric of a run by name: from ``overall``, else the top level of metrics.json."""
    value = metrics.get("overall", {}).get(name, metrics.get(name))
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def check_gate(metrics: Mapping[str, Any], thresholds_path: Path) -> list[str]:
    """Gate violations of a run (empty: the release may ship); an unmeasured gated metric is one."""
    violations = []
    for name, bounds in load_thresholds(thresholds_path).items():
        value = metric_value(metrics, name)
        if value is None:
            violations.append(f"{name}: not measured (gated: {_bounds_text(bounds)})")
            continue
        if "min" in bounds and value < bounds["min"] - _TOLERANCE:
            violations.append(f"{name} = {value:.4g} is below the minimum {bounds['min']:g}")
        if "max" in bounds and value > bounds["max"] + _TOLERANCE:
            violations.append(f"{name} = {value:.4g} is above the maximum {bounds['max']:g}")
    return violations


def _bounds_text(bounds: Mapping[str, float]) -> str:
    return ", ".join(f"{'≥' if k == 'min' else '≤'} {v:g}" for k, v in bounds.items())


def compare_thresholds(
    old: Mapping[str, Mapping[str, float]], new: Mapping[str, Mapping[str, float]]
) -> list[str]:
    """Ways ``new`` loosens ``old``: a metric or bound removed, a min lowered, a max raised."""
    problems = []
    for name, bounds in old.items():
        if name not in new:
            problems.append(f"{name}: removed")
            continue
        for bound, value in bounds.items():
            if bound not in new[name]:
                problems.append(f"{name}: {bound} removed (was {value:g})")
            elif bound == "min" and new[name][bound] < value:
                problems.append(f"{name}: min lowered {value:g} -> {new[name][bound]:g}")
            elif bound == "max" and new[name][bound] > value:
                problems.append(f"{name}: max raised {value:g} -> {new[name][bound]:g}")
    return problems


__all__ = [
    "DEFAULT_THRESHOLDS",
    "AsksQuestions",
    "ask_all",
    "check_gate",
    "compare_thresholds",
    "compare_with_baseline",
    "load_thresholds",
    "parse_thresholds",
    "metric_value",
    "run_eval",
]
