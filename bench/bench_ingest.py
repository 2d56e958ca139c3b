"""Ingest benchmark: cold ingest of the bundled gazette, re-ingest unchanged, and ingest memory.

Each run is a fresh child process (so model load, imports and VmHWM are that run's own),
in a fresh temp data dir (var/ is never touched). The converted embedding model must
already be cached in ``Settings().models_dir`` (conversion is excluded; model load is
measured on its own). Per run:

* cold: imports, model load, parse, embed, BM25 + manifest write; chunks embedded; VmHWM
* re-ingest unchanged, in a second fresh process as `gazette-assistant ingest` would run it:
  model load, parse, sync (Chroma lookups + docstore/BM25/manifest rewrite); texts embedded
  (goal 0); plus `up_to_date()`, the `ingest --if-needed` fast path that needs no model

    nice -n 19 .venv/bin/python bench/bench_ingest.py [--runs 3] [--json OUT]

Goals: cold ingest ≤ 45 s (model conversion excluded), re-ingest unchanged ≤ 3 s with 0 texts embedded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_ask import loadavg, paused, proc_status_kb  # shared helpers (run as bench/<script>.py)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

GOAL_COLD_S = 45.0
GOAL_REINGEST_S = 3.0


class Timers:
    """Accumulates wall time of wrapped callables, by label."""

    def __init__(self):
        self.s: dict[str, float] = {}
        self.n: dict[str, int] = {}

    def wrap(self, label: str, fn, count=None):
        def wrapped(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.s[label] = self.s.get(label, 0.0) + time.perf_counter() - t
                self.n[label] = self.n.get(label, 0) + (count(*a, **kw) if count else 1)

        return wrapped


def child(phase: str, data_dir: Path) -> dict:
    """One measured ingest in this process; returns its numbers."""
    t_start = time.perf_counter()
    import ingest.pipeline as pipeline_mod
    import store.index as index_mod
    from core.embedding import load_embedder
    from core.settings import Settings
    from store.index import IndexStore

    import_s = time.perf_counter() - t_start
    settings = Settings(data_dir=data_dir)
    out: dict = {"phase": phase, "import_s": import_s}

    if phase == "reingest":
        t = time.perf_counter()
        out["up_to_date"] = pipeline_mod.up_to_date(settings, pipeline_mod.default_paths(settings))
        out["up_to_date_s"] = time.perf_counter() - t

    t = time.perf_counter()
    embedder = load_embedder(settings)
    out["embedder_init_s"] = time.perf_counter() - t  # lazy: weights load on first use
    if phase == "cold":
        # measure the weight load on its own (torch import + weights + one short query), so
        # that "embed" below is embedding only
        t = time.perf_counter()
        embedder.embed_query("预热")
        out["model_load_s"] = time.perf_counter() - t
    else:
        out["model_load_s"] = 0.0  # re-ingest: loaded only if something must be embedded (in embed_s)

    tm = Timers()
    embedder.embed_passages = tm.wrap(
        "embed", embedder.embed_passages, count=lambda texts, *a, **k: len(texts)
    )
    pipeline_mod.parse_source = tm.wrap("parse", pipeline_mod.parse_source)
    index_mod.chroma_client = tm.wrap("chroma_open", index_mod.chroma_client)
    IndexStore.sync = tm.wrap("sync", IndexStore.sync)
    IndexStore._write_bm25 = tm.wrap("bm25_write", IndexStore._write_bm25)
    IndexStore._finish = tm.wrap("finish", IndexStore._finish)

    t = time.perf_counter()
    stats = pipeline_mod.run_ingest(settings, embedder)
    out["ingest_s"] = time.perf_counter() - t
    out["total_s"] = time.perf_counter() - t_start
    out["chunks"] = sum(s.added + s.unchanged for s in stats)
    out["added"] = sum(s.added for s in stats)
    out["embedded_texts"] = tm.n.get("embed", 0)
    out["parse_s"] = tm.s.get("parse", 0.0)
    out["embed_s"] = tm.s.get("embed", 0.0)
    out["chroma_open_s"] = tm.s.get("chroma_open", 0.0)
    out["bm25_write_s"] = tm.s.get("bm25_write", 0.0)
    out["manifest_etc_s"] = tm.s.get("finish", 0.0) - out["bm25_write_s"]
    # sync minus embed and finish: Chroma lookups/upserts and docstore writes
    out["sync_other_s"] = (
        tm.s.get("sync", 0.0) - out["embed_s"] - tm.s.get("finish", 0.0) - out["chroma_open_s"]
    )
    out["vmhwm_mb"] = proc_status_kb("VmHWM") / 1024
    out["vmrss_mb"] = proc_status_kb("VmRSS") / 1024
    return out


def run_child(phase: str, data_dir: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", phase, "--data-dir", str(data_dir)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.stderr.write(res.stderr)
        raise SystemExit(f"child {phase} failed (exit {res.returncode})")
    return json.loads(res.stdout.strip().splitlines()[-1])


def med(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", default=None, help="write all runs and medians to this file")
    ap.add_argument(
        "--pause-pid", type=int, default=None, help="SIGSTOP this (own, background) process while timing"
    )
    ap.add_argument("--child", choices=["cold", "reingest"], help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        print(json.dumps(child(args.child, Path(args.data_dir))))
        return

    from core.e5convert import ensure_e5_model  # noqa: F401  (fails early if the package is missing)
    from core.settings import Settings

    models = Settings().models_dir
    if not any(models.glob("e5-small-*")):
        raise SystemExit(f"no converted model in {models}: run `gazette-assistant ingest` once first")

    load_start = loadavg()
    cold, re_ = [], []
    with paused(args.pause_pid):
        for i in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="gazette-bench-ingest-") as tmp:
                c = run_child("cold", Path(tmp))
                r = run_child("reingest", Path(tmp))
            cold.append(c)
            re_.append(r)
            print(
                f"run {i + 1}: cold {c['total_s']:.1f} s ({c['added']} chunks embedded, model load {c['model_load_s']:.1f} s, "
                f"HWM {c['vmhwm_mb']:.0f} MB); re-ingest {r['total_s']:.1f} s / in-process {r['ingest_s']:.2f} s "
                f"({r['embedded_texts']} embedded); load {' '.join(loadavg())}",
                flush=True,
            )
    load_end = loadavg()

    rows = [
        ("wall, whole process", "total_s"),
        ("  imports", "import_s"),
        ("  embedder init (lazy)", "embedder_init_s"),
        ("  model load (weights + 1 query)", "model_load_s"),
        ("  run_ingest", "ingest_s"),
        ("    parse", "parse_s"),
        ("    embed", "embed_s"),
        ("    Chroma open", "chroma_open_s"),
        ("    Chroma lookups/upserts + docstore", "sync_other_s"),
        ("    BM25 write", "bm25_write_s"),
        ("    manifest", "manifest_etc_s"),
    ]
    print(f"\nmedians of {args.runs} runs (seconds); load avg {' '.join(load_start)} -> {' '.join(load_end)}")
    print("| step | cold ingest | re-ingest unchanged |")
    print("|---|---:|---:|")
    for label, key in rows:
        print(f"| {label} | {med(cold, key):.2f} | {med(re_, key):.2f} |")
    print(f"| texts embedded | {med(cold, 'embedded_texts'):.0f} | {med(re_, 'embedded_texts'):.0f} |")
    print(f"| chunks in index | {med(cold, 'chunks'):.0f} | {med(re_, 'chunks'):.0f} |")
    print(f"| VmHWM (MB) | {med(cold, 'vmhwm_mb'):.0f} | {med(re_, 'vmhwm_mb'):.0f} |")
    print(f"| `up_to_date()` (--if-needed check, no model) | | {med(re_, 'up_to_date_s'):.3f} |")
    cold_wo_model = med(cold, "total_s")
    rate = med(cold, "added") / med(cold, "embed_s")
    print(
        f"\ncold ingest {cold_wo_model:.1f} s vs goal {GOAL_COLD_S:.0f} s: {cold_wo_model / GOAL_COLD_S:.2f}x of budget; "
        f"embedding {rate:.1f} chunks/s"
    )
    print(
        f"re-ingest {med(re_, 'total_s'):.1f} s (process) / {med(re_, 'ingest_s'):.2f} s (run_ingest, model loaded) "
        f"vs goal {GOAL_REINGEST_S:.0f} s: {med(re_, 'total_s') / GOAL_REINGEST_S:.2f}x; "
        f"texts embedded {max(r['embedded_texts'] for r in re_)} (goal 0)"
    )
    if args.json:
        keys = [k for _, k in rows] + ["embedded_texts", "chunks", "vmhwm_mb", "added"]
        result = {
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "loadavg_start": load_start,
            "loadavg_end": load_end,
            "runs": args.runs,
            "cold": cold,
            "reingest": re_,
            "median": {
                "cold": {k: med(cold, k) for k in keys},
                "reingest": {k: med(re_, k) for k in [*keys, "up_to_date_s"]},
            },
            "goals": {"cold_s": GOAL_COLD_S, "reingest_s": GOAL_REINGEST_S, "reingest_embedded": 0},
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
