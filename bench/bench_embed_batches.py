"""Law-index build speed: chunks/s embedding a sample of law chunks the way ``IndexStore.sync``
did before (torch float32, one ``embed_passages`` call per source file, so each file's few dozen
chunks make their own short, partly empty batches) against the way it does now (all sources in
one longest-first pass, ``core.embedding.embed_many``, in bfloat16 where the CPU does it
natively), with the ways between (float32 pooled, on torch and on ONNX Runtime) to say which
change buys what. Same process, texts and batch size, one run; ``--rounds 2`` runs the ways
again in reverse order (load drifts); every way's vectors are compared with the first (cosine).

    nice -n 19 .venv/bin/python bench/bench_embed_batches.py [--chunks 1000] [--seed 14] [--rounds 2]

Parsing only reads the corpus; nothing is written; no index is built (the ONNX export is made
once in the models folder if it is not there yet).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.embedding import embed_many, load_embedder  # noqa: E402
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
    ap.add_argument("--chunks", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    settings = Settings(_env_file=None)
    per_file = sample(settings.laws_dir, args.chunks, args.seed)
    texts = [t for f in per_file for t in f]

    def embedder(runtime: str, bf16: bool):
        return load_embedder(
            settings.model_copy(update={"embedding_runtime": runtime, "embedding_passages_bf16": bf16})
        )

    torch_emb, onnx_emb, now_emb = embedder("torch", False), embedder("onnx", False), embedder("onnx", True)
    for emb in (torch_emb, onnx_emb, now_emb):
        emb.embed_passages(texts[:8])  # load the weights (and export, check) outside the timings
    assert onnx_emb.active_runtime == "onnx", "the ONNX export failed; see the log"
    print(f"bfloat16 passages on this CPU: {now_emb.uses_bf16}", flush=True)
    lengths = [onnx_emb.token_count(t) for t in texts]
    print(
        f"{len(texts)} chunks from {len(per_file)} files; tokens p50 {int(np.median(lengths))}, "
        f"p90 {int(np.percentile(lengths, 90))}, over {onnx_emb.max_seq_length}: "
        f"{sum(n > onnx_emb.max_seq_length for n in lengths)}; model {onnx_emb.name}",
        flush=True,
    )

    def per_file_way(emb):
        return lambda: np.concatenate([emb.embed_passages(f, batch_size=args.batch_size) for f in per_file])

    ways = {
        "before: torch float32, per source file": per_file_way(torch_emb),
        "torch float32, one longest-first pass": lambda: embed_many(torch_emb, texts),
        "ONNX Runtime float32, one longest-first pass": lambda: embed_many(onnx_emb, texts),
        "now: bfloat16 if native, one longest-first pass": lambda: embed_many(now_emb, texts),
    }
    seconds: dict[str, list[float]] = {k: [] for k in ways}
    first: np.ndarray | None = None
    worst = {k: 1.0 for k in ways}
    for r in range(args.rounds):
        for name in list(ways) if r % 2 == 0 else list(reversed(ways)):
            load = os.getloadavg()[0]
            t = time.perf_counter()
            vectors = ways[name]()
            took = time.perf_counter() - t
            seconds[name].append(took)
            if first is None:
                first = vectors
            worst[name] = min(worst[name], float(np.min(np.sum(first * vectors, axis=1))))
            print(f"round {r + 1} {name}: {len(texts) / took:.1f} chunks/s (load {load:.1f})", flush=True)
    base = len(texts) / float(np.median(seconds["before: torch float32, per source file"]))
    rows = {}
    for name, secs in seconds.items():
        rate = len(texts) / float(np.median(secs))
        rows[name] = {
            "chunks_per_s": round(rate, 2),
            "ratio": round(rate / base, 2),
            "min_cosine": worst[name],
        }
        print(f"{name:48s} {rate:6.1f} chunks/s  {rate / base:4.2f}x  min cosine {worst[name]:.6f}")
    if args.json:
        args.json.write_text(json.dumps({"chunks": len(texts), "ways": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
