"""Suite-level metrics: item scores aggregated overall and by type, persona and document.

refusal accuracy     share of items with answerable == false that the assistant refused.
false refusal rate   share of answerable items that it refused.
faithfulness         aggregated over answers not refused.
latency              p50 / p95 of answer.timings_ms["total"] (linear interpolation).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eval.metrics.retrieval import K_VALUES
from eval.metrics.scoring import ItemScore

# Metric names as they appear in metrics.json and thresholds.toml (higher is better unless
# listed in LOWER_IS_BETTER).
METRIC_NAMES: tuple[str, ...] = (
    "pass_rate",
    *(f"hit_at_{k}" for k in K_VALUES),
    *(f"recall_at_{k}" for k in K_VALUES),
    "mrr",
    "citation_verbatim",
    "citation_precision",
    "citation_recall",
    "keypoint_accuracy",
    "keypoints_first_sentence",
    "faithfulness",
    "refusal_accuracy",
    "false_refusal_rate",
    "latency_p50_ms",
    "latency_p95_ms",
)
LOWER_IS_BETTER = frozenset({"false_refusal_rate", "latency_p50_ms", "latency_p95_ms"})


def _mean(values: Iterable[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation; None for no values."""
    vals = sorted(values)
    if not vals:
        return None
    pos = (len(vals) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def aggregate(scores: Sequence[ItemScore]) -> dict[str, Any]:
    """Suite-level metrics of a group of item scores (None where nothing was measurable)."""
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    answered = [s for s in scores if not s.refused]
    n_cit = sum(s.citations for s in scores)
    latencies = [s.latency_ms for s in scores if s.latency_ms is not None]
    out: dict[str, Any] = {
        "n": len(scores),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "n_passed": sum(s.passed for s in scores),
        "pass_rate": _mean(s.passed for s in scores),
    }
    for k in K_VALUES:
        out[f"hit_at_{k}"] = _mean(s.hit_at.get(k) for s in answerable)
    for k in K_VALUES:
        out[f"recall_at_{k}"] = _mean(s.recall_at.get(k) for s in answerable)
    out["mrr"] = _mean(s.reciprocal_rank for s in answerable)
    out["n_citations"] = n_cit
    out["citation_verbatim"] = sum(s.citations_verbatim for s in scores) / n_cit if n_cit else None
    out["citation_precision"] = _mean(s.citation_precision for s in answerable)
    out["citation_recall"] = _mean(s.citation_recall for s in answerable)
    out["keypoint_accuracy"] = _mean(s.keypoint_accuracy for s in answerable)
    out["keypoints_first_sentence"] = _mean(s.keypoints_first_sentence for s in answerable)
    out["faithfulness"] = _mean(s.faithful for s in answered)
    out["refusal_accuracy"] = _mean(s.refused for s in unanswerable)
    out["false_refusal_rate"] = _mean(s.refused for s in answerable)
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    return out


def breakdown(scores: Sequence[ItemScore]) -> dict[str, Any]:
    """Metrics overall and by type, persona and gold document (an item counts for each of its docs)."""
    by: dict[str, dict[str, list[ItemScore]]] = {"by_type": {}, "by_persona": {}, "by_document": {}}
    for s in scores:
        by["by_type"].setdefault(s.type, []).append(s)
        by["by_persona"].setdefault(s.persona, []).append(s)
        for d in s.docs:
            by["by_document"].setdefault(d, []).append(s)
    out: dict[str, Any] = {"overall": aggregate(scores)}
    for name, groups in by.items():
        out[name] = {key: aggregate(group) for key, group in sorted(groups.items())}
    return out
