"""Law-index build speed: chunks/s of the embedder on a sample of law chunks, embedded the way
``IndexStore.sync`` does it today (one ``embed_passages`` call per source file, so each file's
few dozen chunks make their own short, partly empty batches) against one call over all of them
(sentence-transformers sorts one call's texts by length, so batches hold texts of like length:
length-bucketed batches across files). Same process, same model, same texts, one run; the
vectors of the two ways are compared (cosine).

    nice -n 19 .venv/bin/python bench/bench_embed_batches.py [--chunks 2000] [--seed 14]

Parsing only reads the corpus; nothing is written; no index is built.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.embedding import load_embedder  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingest.sources import parse_source  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def sample(root: Path, n: int, seed: int) -> list[list[str]]:
    """Whole files in a seeded random order until ``n`` chunks: per file, its chunks' texts."""
    files = sorted(root.rglob("*.md"))
    random.Random(seed).shuffle(files)
    out, total = [], 0
    for f in files:
        texts = [c.embed_text() for c in parse_source(f).chunks]
        if not texts:
            continue
        texts = texts[: n - total]
        out.append(texts)
        total += len(texts)
        if total >= n:
            break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chunks", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--pooled-first", action="store_true", help="time the pooled call first (order bias)")
    args = ap.parse_args()
    settings = Settings(_env_file=None)
    per_file = sample(settings.laws_dir, args.chunks, args.seed)
    texts = [t for f in per_file for t in f]
    embedder = load_embedder(settings)
    embedder.embed_passages(texts[:8])  # load the weights outside the timings
    lengths = [embedder.token_count(t) for t in texts]
    print(
        f"{len(texts)} chunks from {len(per_file)} files; tokens p50 {int(np.median(lengths))}, "
        f"p90 {int(np.percentile(lengths, 90))}, over {embedder.max_seq_length}: "
        f"{sum(n > embedder.max_seq_length for n in lengths)}; model {embedder.name}"
    )
    load0 = os.getloadavg()[0]

    def per_source_way():
        t = time.perf_counter()
        vectors = np.concatenate([embedder.embed_passages(f, batch_size=args.batch_size) for f in per_file])
        return vectors, time.perf_counter() - t

    def pooled_way():
        t = time.perf_counter()
        vectors = embedder.embed_passages(texts, batch_size=args.batch_size)
        return vectors, time.perf_counter() - t

    if args.pooled_first:
        pooled, b = pooled_way()
        per_source, a = per_source_way()
    else:
        per_source, a = per_source_way()
        pooled, b = pooled_way()
    cos = np.sum(per_source * pooled, axis=1)
    print(f"per source file (as sync does): {a:.1f} s, {len(texts) / a:.1f} chunks/s")
    print(f"one call, length-bucketed:      {b:.1f} s, {len(texts) / b:.1f} chunks/s ({a / b:.2f}x)")
    print(
        f"cosine per-source vs pooled: min {cos.min():.6f}; load average {load0:.1f} -> {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
