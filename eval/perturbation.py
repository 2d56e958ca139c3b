"""The perturbation evaluation: the dev set run on the issue as printed and on transformed
copies of it (:mod:`eval.perturb`), each with a fresh index, so the release gate can show that
answers do not depend on this issue's particular words.

Gate: on every transformation, ``pass_rate`` and ``keypoints_first_sentence`` stay within
:data:`TOLERANCE` of the untransformed run (on the same items), and the untransformed run passes
its own gate (eval/thresholds.toml). Writes ``perturbation.md`` and ``perturbation.json`` to
the output folder, and one folder per run with the issue, the dataset and the eval report.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant import REPO_ROOT, Assistant, Settings, fold
from core.embedding import Embedder, load_embedder
from eval.dataset import split_of
from eval.perturb import TRANSFORMS, Item, Perturbed, perturb
from eval.runner import MARGIN, RESULTS
from eval.session import doc_texts_by_number, evaluate, load_items
from ingest import run_ingest

DEFAULT_ISSUE = REPO_ROOT / "data" / "gazettes" / "changzhi-2024-05.txt"
ORIGINAL = "original"
GATED = ("pass_rate", "keypoints_first_sentence")
TOLERANCE = 0.02
_EPS = 1e-9


def parse_names(spec: str | None) -> list[str]:
    """``"headers,city"`` -> those transformations; ``None``, ``""`` or ``"all"`` -> all of them."""
    names = [n.strip() for n in (spec or "all").split(",") if n.strip()]
    if not names or names == ["all"]:
        return list(TRANSFORMS)
    unknown = [n for n in names if n not in TRANSFORMS]
    if unknown:
        raise ValueError(f"unknown perturbation {', '.join(unknown)} (known: {', '.join(TRANSFORMS)}, all)")
    return list(dict.fromkeys(names))


def read_items(path: Path) -> list[Item]:
    """The dataset's lines as plain dicts (the strict check comes when a run loads them)."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def write_items(path: Path, items: Iterable[Item]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")


class CachedEmbedder:
    """The embedder, remembering passage vectors by text: runs share the chunks they did not change."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self._vectors: dict[str, np.ndarray] = {}

    def embed_passages(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if new:
            self._vectors.update(
                zip(new, self.inner.embed_passages(new, batch_size, show_progress), strict=True)
            )
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


def _indexed_check(bot: Assistant, run: Perturbed) -> None:
    """Drop (and count) items whose quotes or documents the index does not hold as printed."""
    texts, _ = doc_texts_by_number(bot)
    corpus, known = fold("\n".join(texts.values())), {fold(k) for k in texts}
    kept = []
    for item in run.items:
        docs = [item["gold_doc"]] if isinstance(item["gold_doc"], str) else item["gold_doc"] or []
        lost = [q for q in item["gold_quotes"] if fold(q) not in corpus]
        lost += [f"gold_doc {d}" for d in docs if fold(d) not in known]
        if lost:
            run.dropped.append((item["id"], "not in the indexed documents: " + "; ".join(lost)))
        else:
            kept.append(item)
    run.items = kept


def _rows(eval_dir: Path) -> dict[str, dict[str, Any]]:
    rows = {}
    for line in (eval_dir / RESULTS).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows[row["id"]] = {
            "pass": bool(row["pass"]),
            "answerable": row["answerable"],
            "kfs": row["metrics"].get("keypoints_first_sentence"),
            "question": row["question"],
        }
    return rows


def summarize(rows: dict[str, dict[str, Any]], ids: Iterable[str]) -> dict[str, float | None]:
    """pass_rate and keypoints_first_sentence of ``ids`` (as eval.metrics.summary computes them)."""
    chosen = [rows[i] for i in ids if i in rows]
    kfs = [r["kfs"] for r in chosen if r["answerable"] and r["kfs"] is not None]
    return {
        "pass_rate": sum(r["pass"] for r in chosen) / len(chosen) if chosen else None,
        "keypoints_first_sentence": sum(kfs) / len(kfs) if kfs else None,
    }


def _evaluate_run(
    run: Perturbed,
    issue_name: str,
    out_dir: Path,
    data_root: Path,
    settings: Settings,
    embedder: Embedder,
    with_naive: bool,
    progress: bool,
) -> dict[str, Any]:
    run_dir = out_dir / run.name
    issue_file = run_dir / issue_name
    issue_file.parent.mkdir(parents=True, exist_ok=True)
    issue_file.write_text(run.issue, encoding="utf-8")
    run_settings = settings.model_copy(update={"data_dir": data_root / run.name, "chroma_host": None})
    run_ingest(run_settings, embedder, [issue_file])
    bot = Assistant.load(run_settings)
    _indexed_check(bot, run)
    write_items(run_dir / "dataset.jsonl", run.items)
    items = load_items(bot, run_dir / "dataset.jsonl")
    metrics = evaluate(
        bot,
        items,
        run_dir / "eval",
        label=f"{settings.answer_mode} · {run.name}",
        with_naive=with_naive,
        progress=progress,
    )
    gate = metrics.get("gate", {})
    skipped = [v for v in gate.get("violations", []) if not with_naive and v.startswith(f"{MARGIN}:")]
    return {
        "name": run.name,
        "dir": str(run_dir),
        "n_items": len(items),
        "items_changed": run.items_changed,
        "dropped": run.dropped,
        "warnings": run.warnings,
        "changes": run.changes,
        "overall": {k: metrics["overall"].get(k) for k in (*GATED, "hit_at_5", "refusal_accuracy")},
        "gate_violations": [v for v in gate.get("violations", []) if v not in skipped],
        "gate_skipped": skipped,
        "rows": _rows(run_dir / "eval"),
    }


def _compare(original: dict[str, Any], run: dict[str, Any]) -> None:
    ids = list(run["rows"])
    run["now"] = summarize(run["rows"], ids)
    run["before"] = summarize(original["rows"], ids)
    run["delta"] = {
        k: None if run["now"][k] is None or run["before"][k] is None else run["now"][k] - run["before"][k]
        for k in GATED
    }
    run["within"] = all(d is not None and abs(d) <= TOLERANCE + _EPS for d in run["delta"].values())
    run["regressions"] = [
        {"id": i, "question": r["question"]}
        for i, r in run["rows"].items()
        if original["rows"].get(i, {}).get("pass") and not r["pass"]
    ]
    run["fixes"] = [
        i for i, r in run["rows"].items() if r["pass"] and not original["rows"].get(i, {}).get("pass")
    ]


def run_perturbations(
    dataset_path: Path,
    issue_path: Path,
    out_dir: Path,
    transforms: Sequence[str],
    seed: int | None,
    embedder_settings: Settings,
    *,
    limit: int | None = None,
    split: str | None = None,
    naive_original: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Evaluate the untransformed issue and each transformation; write the report; return it.

    ``seed`` None draws one (printed through ``log``, and in the report, to repeat the run).
    ``naive_original`` also runs the naive baseline on the untransformed run, so its own gate
    covers ``first_sentence_margin_over_naive``; otherwise that one metric is skipped there.
    ``split`` keeps one half of the dev set (the release gate runs on "calib")."""
    seed = random.SystemRandom().randrange(1_000_000) if seed is None else seed
    log(f"perturbation seed: {seed} (repeat with --seed {seed})")
    out_dir, issue_path = Path(out_dir), Path(issue_path)
    text = issue_path.read_text(encoding="utf-8")
    items = read_items(Path(dataset_path))
    if split is not None:  # one half of the dev set (eval.dataset.split_of)
        items = [i for i in items if split_of(i["id"]) == split]
    items = items[: limit or None]
    embedder = CachedEmbedder(load_embedder(embedder_settings))
    runs = [Perturbed(name=ORIGINAL, seed=seed, issue=text, items=items, changes={})]
    runs += [perturb(name, text, items, seed) for name in transforms]
    results = []
    with tempfile.TemporaryDirectory(prefix="gazette-perturb-") as tmp:
        for run in runs:
            log(f"[{run.name}] {len(run.items)} items ({len(run.dropped)} dropped): ingest and evaluate")
            with_naive = naive_original and run.name == ORIGINAL
            results.append(
                _evaluate_run(
                    run,
                    issue_path.name,
                    out_dir,
                    Path(tmp),
                    embedder_settings,
                    embedder,
                    with_naive,
                    progress,
                )
            )
    original = results[0]
    for run in results[1:]:
        _compare(original, run)
    violations = [f"untransformed run: {v}" for v in original["gate_violations"]]
    for run in results[1:]:
        for k in GATED:
            d = run["delta"][k]
            if d is None or abs(d) > TOLERANCE + _EPS:
                violations.append(
                    f"{run['name']}: {k} {_num(run['now'][k])} vs {_num(run['before'][k])} untransformed "
                    f"(Δ {_signed(d)}, allowed ±{TOLERANCE:g})"
                )
    report = {
        "seed": seed,
        "issue": str(issue_path),
        "dataset": str(dataset_path),
        "mode": embedder_settings.answer_mode,
        "tolerance": TOLERANCE,
        "passed": not violations,
        "violations": violations,
        "runs": results,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "perturbation.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out_dir / "perturbation.md").write_text(render_markdown(report), encoding="utf-8")
    return report


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def _signed(v: float | None) -> str:
    return "–" if v is None else f"{v:+.3f}"


def render_markdown(report: dict[str, Any]) -> str:
    """The perturbation report: one table row per run, then what changed and what broke."""
    runs = report["runs"]
    orig = runs[0]
    lines = [
        "# Perturbation evaluation",
        "",
        f"seed **{report['seed']}** · issue `{report['issue']}` · dataset `{report['dataset']}` · "
        f"mode {report['mode']} · allowed change ±{report['tolerance']:g} on pass_rate and "
        "keypoints_first_sentence (against the untransformed run on the same items)",
        "",
        "| run | items (dropped) | pass_rate | Δ | keypoints_first_sentence | Δ | hit_at_5 | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    own = "own gate PASS" if not orig["gate_violations"] else "own gate FAIL"
    lines.append(
        f"| {ORIGINAL} | {orig['n_items']} | {_num(orig['overall']['pass_rate'])} | | "
        f"{_num(orig['overall']['keypoints_first_sentence'])} | | {_num(orig['overall']['hit_at_5'])} | {own} |"
    )
    for r in runs[1:]:
        lines.append(
            f"| {r['name']} | {r['n_items']} ({len(r['dropped'])}) | {_num(r['now']['pass_rate'])} | "
            f"{_signed(r['delta']['pass_rate'])} | {_num(r['now']['keypoints_first_sentence'])} | "
            f"{_signed(r['delta']['keypoints_first_sentence'])} | {_num(r['overall']['hit_at_5'])} | "
            f"{'within' if r['within'] else 'OUT'} |"
        )
    lines += ["", f"**Gate: {'PASS' if report['passed'] else 'FAIL'}**", ""]
    lines += [f"- {v}" for v in report["violations"]]
    if orig["gate_skipped"]:
        lines += [
            f"- skipped on the untransformed run (no naive baseline): {v}" for v in orig["gate_skipped"]
        ]
    for r in runs[1:]:
        lines += ["", f"## {r['name']}", "", f"{r['items_changed']} items rewritten; changes drawn:", ""]
        lines += [f"- {k} → {v}" for k, v in r["changes"].items()]
        if r["dropped"]:
            lines += ["", f"Dropped ({len(r['dropped'])}):", ""] + [
                f"- {i}: {why}" for i, why in r["dropped"]
            ]
        if r["warnings"]:
            lines += ["", "Warnings:", ""] + [f"- {w}" for w in r["warnings"]]
        lines += ["", f"Pass untransformed, fail here ({len(r['regressions'])}):", ""]
        lines += [f"- {x['id']}: {x['question']}" for x in r["regressions"]]
        if r["fixes"]:
            lines += ["", f"Fail untransformed, pass here: {', '.join(r['fixes'])}"]
    return "\n".join(lines) + "\n"


__all__ = [
    "DEFAULT_ISSUE",
    "GATED",
    "ORIGINAL",
    "TOLERANCE",
    "CachedEmbedder",
    "parse_names",
    "read_items",
    "render_markdown",
    "run_perturbations",
    "summarize",
    "write_items",
]
