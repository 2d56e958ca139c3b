"""Calibrate the refusal thresholds on the eval set: how the numbers in settings were chosen.

For every item, the top passage's keyword coverage and cosine are recorded. A grid search
picks (min_coverage, min_dense) with the highest refusal accuracy among those whose
false-refusal rate stays at or below 3 % (the gate allows 5 %; a false refusal costs a
family its answer), ties broken by fewer false refusals. Run:

    .venv/bin/python bench/calibrate_refusal.py [--dataset eval/dataset.jsonl] [--split calib]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eval.dataset import split_of


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="eval/dataset.jsonl")
    ap.add_argument(
        "--split",
        default="calib",
        help="dev-set part to calibrate on (eval.dataset.split_of); 'all' for every item",
    )
    args = ap.parse_args()
    from assistant.chat import Assistant
    from assistant.query import parse_query

    bot = Assistant.load()
    s = bot.settings
    rows = []
    for line in Path(args.dataset).read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if args.split != "all" and split_of(item["id"]) != args.split:
            continue  # the report part is never looked at while calibrating
        q = parse_query(item["question"])
        hits = bot.retriever.search(q)
        top = hits[0]
        # the other gates, with the relevance gate switched off
        loose = s.model_copy(
            update={"refuse_min_coverage": -1.0, "refuse_min_dense": -1.0, "refuse_min_dense_english": -1.0}
        )
        other = Assistant.judge.__get__(bot)  # noqa: B009
        bot.settings, saved = loose, bot.settings
        other_refuses = other(q, hits) is not None
        bot.settings = saved
        rows.append(
            (item["answerable"], q.english, top.coverage, bot._topical_similarity(q, top), other_refuses)
        )
    ans = np.array([r[0] for r in rows])
    eng = np.array([r[1] for r in rows])
    cov = np.array([r[2] for r in rows])
    dense = np.array([r[3] for r in rows])
    other = np.array([r[4] for r in rows])
    best = None
    for c in np.arange(0.0, 0.8, 0.02):
        for d in np.arange(0.70, 0.95, 0.005):
            refuse = other | (~eng & (cov < c) & (dense < d)) | (eng & (dense < s.refuse_min_dense_english))
            acc = refuse[~ans].mean() if (~ans).any() else 1.0
            false = refuse[ans].mean()
            if false > 0.03:
                continue
            obj = acc - 0.01 * false
            if best is None or obj > best[0] + 1e-9:
                best = (obj, round(float(c), 2), round(float(d), 3), float(acc), float(false))
    print(f"items: {len(rows)} ({int((~ans).sum())} not answerable)")
    print(
        f"other gates alone: refusal accuracy {other[~ans].mean():.3f}, false refusals {other[ans].mean():.3f}"
    )
    print("cosine of top passage, answerable   p5/p50:", np.percentile(dense[ans & ~eng], [5, 50]).round(3))
    print(
        "cosine of top passage, unanswerable p50/p95:", np.percentile(dense[~ans & ~eng], [50, 95]).round(3)
    )
    print(
        "english answerable cosine min/median:",
        (dense[ans & eng].min().round(3), np.median(dense[ans & eng]).round(3)) if (ans & eng).any() else "-",
    )
    for c_show in (0.0, 0.1, 0.2, 0.3, 0.4):
        for d_show in (0.82, 0.835, 0.85):
            refuse = (
                other
                | (~eng & (cov < c_show) & (dense < d_show))
                | (eng & (dense < s.refuse_min_dense_english))
            )
            print(
                f"  coverage<{c_show:.2f} & cosine<{d_show:.3f}: refusal accuracy {refuse[~ans].mean():.3f}, false refusals {refuse[ans].mean():.3f}"
            )
    _, c, d, acc, false = best
    print(
        f"best: refuse_min_coverage={c} refuse_min_dense={d} -> refusal accuracy {acc:.3f}, false refusals {false:.3f}"
    )


if __name__ == "__main__":
    main()
