"""Question benchmark: warm retrieval and extractive `ask` latency, memory, hit@5 by mode, local LLM.

Builds its own gazette index in a temp data dir (var/ is never touched; or pass
``--data-dir`` of an index you built), loads the embedder once, warms up on 5 questions,
then over every question of the eval dataset measures:

* retrieval p50/p95 (``Retriever.search``, query embedding included), and in a second,
  instrumented pass where the time goes: query parsing, query embedding, Chroma query,
  BM25 scoring, the stored-vector fetch for keyword-only hits, coverage + boosts, the rest;
* extractive ``Assistant.ask`` p50/p95 (wall and ``timings_ms``);
* RSS with the embedding model and index loaded;
* hit@5 of hybrid vs dense-only vs keyword-only (answerable items with gold quotes; a hit
  is any gold quote, folded, inside one of the top-5 passages' folded text);
* ``--llm N`` (default 5): local LLM mode (``answer_mode="local"``) on N questions: time to
  the first verified text (first text event of ``stream``: nothing is sent before the
  checker passed it), total, and how many answers passed
  verification (mode "local") rather than being replaced by the extractive answer.

    nice -n 19 .venv/bin/python bench/bench_ask.py [--repeats 3] [--llm 5] [--json OUT] [--profile OUT.prof]

Goals: retrieval p50 ≤ 50 ms, p95 ≤ 100 ms; extractive ask p50 ≤ 100 ms; RSS ≤ 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

GOALS = {"retrieval_p50_ms": 50.0, "retrieval_p95_ms": 100.0, "ask_p50_ms": 100.0, "rss_mb": 1536.0}
WARMUP = 5


# -- helpers shared with bench_scale.py -----------------------------------------------------
def proc_status_kb(field: str) -> int:
    """VmRSS / VmHWM of this process, in kB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def loadavg() -> list[str]:
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def pct(values: list[float], p: float) -> float:
    """Percentile with linear interpolation (numpy's default)."""
    import numpy as np

    return float(np.percentile(values, p)) if values else float("nan")


@contextmanager
def paused(pid: int | None):
    """SIGSTOP one process of ours (e.g. a background scale build) while timing, SIGCONT after."""
    if not pid:
        yield
        return
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def load_items(path: str):
    from eval.dataset import load_dataset

    return list(load_dataset(Path(path)))


def items_with_gold(items):
    return [i for i in items if i.answerable and i.gold_quotes]


def hit_at_k(retriever, items, mode: str = "hybrid", k: int = 5) -> dict:
    """hit@k: any gold quote (folded) inside one of the top-k passages' folded text."""
    from core.textnorm import fold

    hits = 0
    for it in items:
        top = [fold(h.chunk.text) for h in retriever.search(it.question, top_k=k, mode=mode)]
        if any(fold(q) in t for q in it.gold_quotes for t in top):
            hits += 1
    n = len(items)
    return {"hits": hits, "n": n, "rate": hits / n if n else float("nan")}


def retrieval_latencies(
    retriever, questions: list[str], repeats: int = 1, warmup: int = WARMUP
) -> list[float]:
    """Wall ms of ``search`` per question (after ``warmup`` untimed searches), ``repeats`` passes."""
    for q in questions[:warmup]:
        retriever.search(q)
    out = []
    for _ in range(repeats):
        for q in questions:
            t = time.perf_counter()
            retriever.search(q)
            out.append((time.perf_counter() - t) * 1000)
    return out


# -- the instrumented pass -------------------------------------------------------------------
class _Clock:
    def __init__(self):
        self.ms: dict[str, float] = {}

    def wrap(self, label, fn):
        def wrapped(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.ms[label] = self.ms.get(label, 0.0) + (time.perf_counter() - t) * 1000

        return wrapped


class _CollectionProxy:
    """Times ``query`` and ``get`` of a Chroma collection, forwarding everything else."""

    def __init__(self, col, clock: _Clock):
        self._col = col
        self.query = clock.wrap("chroma query", col.query)
        self.get = clock.wrap("chroma get (vectors of keyword-only hits)", col.get)

    def __getattr__(self, name):
        return getattr(self._col, name)


def retrieval_breakdown(retriever, questions: list[str]) -> dict:
    """Per-step ms of ``search`` (monkeypatched timers on this instance and its module; restored after)."""
    import assistant.retrieval as rmod

    clock = _Clock()
    saved = {
        "parse_query": rmod.parse_query,
        "tokenize": rmod.tokenize,
        "embed_query": retriever.embedder.embed_query,
        "collection": retriever.collection,
        "get_scores": retriever.keywords.bm25.get_scores if retriever.keywords.bm25 is not None else None,
    }
    rmod.parse_query = clock.wrap("parse query", rmod.parse_query)
    rmod.tokenize = clock.wrap("tokenize question (jieba)", rmod.tokenize)
    retriever.embedder.embed_query = clock.wrap("embed query", saved["embed_query"])
    retriever.collection = _CollectionProxy(saved["collection"], clock)
    if retriever.keywords.bm25 is not None:
        retriever.keywords.bm25.get_scores = clock.wrap("bm25 get_scores", saved["get_scores"])
    retriever.coverage = clock.wrap("coverage", retriever.coverage)
    retriever._boost = clock.wrap("boosts", retriever._boost)
    per_q: list[dict[str, float]] = []
    try:
        for q in questions:
            clock.ms = {}
            t = time.perf_counter()
            retriever.search(q)
            total = (time.perf_counter() - t) * 1000
            row = dict(clock.ms)
            # coverage's tokenize calls (first sight of a chunk) are inside coverage already
            row["rest (route, filters, RRF, sort)"] = total - sum(row.values())
            row["total"] = total
            per_q.append(row)
    finally:
        rmod.parse_query = saved["parse_query"]
        rmod.tokenize = saved["tokenize"]
        del retriever.embedder.embed_query
        retriever.collection = saved["collection"]
        if retriever.keywords.bm25 is not None:
            del retriever.keywords.bm25.get_scores
        del retriever.coverage
        del retriever._boost
    labels = sorted(
        {k for r in per_q for k in r}, key=lambda k: -statistics.mean(r.get(k, 0.0) for r in per_q)
    )
    return {
        k: {
            "mean_ms": statistics.mean(r.get(k, 0.0) for r in per_q),
            "p50_ms": pct([r.get(k, 0.0) for r in per_q], 50),
            "p95_ms": pct([r.get(k, 0.0) for r in per_q], 95),
        }
        for k in labels
    }


def embed_alone(embedder, questions: list[str]) -> list[float]:
    out = []
    for q in questions:
        t = time.perf_counter()
        embedder.embed_query(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


def llm_bench(settings, items, n: int, bot_extractive) -> dict:
    """Local LLM mode on n answerable questions that the extractive path does not refuse."""
    from assistant.chat import Assistant

    picks = []
    answerable = [i for i in items if i.answerable]
    stride = max(1, len(answerable) // (n * 2))
    for it in answerable[::stride]:
        if not bot_extractive.ask(it.question).refused:
            picks.append(it)
        if len(picks) == n:
            break
    local = settings.model_copy(update={"answer_mode": "local"})
    t = time.perf_counter()
    bot = Assistant.load(local)
    load_s = time.perf_counter() - t
    generated: list[str] = []
    real_stream = bot.backend.stream

    def recording_stream(messages):  # keep the raw generation, to show why verification failed
        parts = []
        for delta in real_stream(messages):
            parts.append(delta)
            yield delta
        generated.append("".join(parts))

    bot.backend.stream = recording_stream
    rows = []
    for it in picks:
        generated.clear()
        t = time.perf_counter()
        ttft = None
        final = None
        for ev in bot.stream(it.question):
            if isinstance(ev, str):
                if ttft is None and ev:
                    ttft = time.perf_counter() - t
            else:
                final = ev
        total = time.perf_counter() - t
        replaced = [x for x in final.notes if "replaced" in x or "instead" in x]
        rows.append(
            {
                "id": it.id,
                "question": it.question,
                "ttft_s": ttft,
                "total_s": total,
                "mode": final.mode,
                "refused": final.refused,
                "verified": final.mode == "local",
                "notes": replaced,
                "answer_chars": len(final.answer),
                "generated": generated[0] if generated else None,
            }
        )
        print(
            f"  llm {it.id}: ttft {ttft if ttft is None else round(ttft, 1)} s, total {total:.1f} s, "
            f"mode {final.mode}{' (' + replaced[0][:90] + ')' if replaced else ''}",
            flush=True,
        )
    return {
        "load_s": load_s,
        "rss_mb_with_llm": proc_status_kb("VmRSS") / 1024,
        "items": rows,
        "ttft_p50_s": pct([r["ttft_s"] for r in rows if r["ttft_s"] is not None], 50),
        "total_p50_s": pct([r["total_s"] for r in rows], 50),
        "verified": sum(r["verified"] for r in rows),
        "n": len(rows),
    }


def git_commit() -> str:
    import subprocess

    res = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, check=False
    )
    return res.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="eval/dataset.jsonl")
    ap.add_argument(
        "--data-dir", default=None, help="use the index in this data dir (default: build one in a temp dir)"
    )
    ap.add_argument("--repeats", type=int, default=3, help="timed passes over the questions")
    ap.add_argument("--llm", type=int, default=5, help="questions for the local LLM (0 = skip)")
    ap.add_argument("--profile", default=None, help="write cProfile stats of one search pass here")
    ap.add_argument(
        "--pause-pid", type=int, default=None, help="SIGSTOP this (own, background) process while timing"
    )
    ap.add_argument(
        "--llm-only", action="store_true", help="skip the extractive timings, run only the LLM part"
    )
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from assistant.chat import Assistant
    from assistant.retrieval import Retriever
    from core.embedding import load_embedder
    from core.settings import Settings
    from ingest.pipeline import run_ingest

    items = load_items(args.dataset)
    questions = [i.question for i in items]
    gold = items_with_gold(items)
    result: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "commit": git_commit(),
        "questions": len(questions),
        "gold_items": len(gold),
    }
    tmp = None
    if args.data_dir:
        data_dir = Path(args.data_dir)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="gazette-bench-ask-")
        data_dir = Path(tmp.name)
    settings = Settings(data_dir=data_dir, answer_mode="extractive")
    with paused(args.pause_pid):
        result["loadavg_start"] = loadavg()
        t = time.perf_counter()
        embedder = load_embedder(settings)
        result["model_load_s"] = time.perf_counter() - t
        if tmp is not None:
            run_ingest(settings, embedder)
        t = time.perf_counter()
        retriever = Retriever(settings, embedder)
        bot = Assistant(settings, retriever)
        result["open_s"] = time.perf_counter() - t
        result["chunks"] = len(retriever.chunks)
        if args.llm_only:
            result["llm"] = llm_bench(settings, items, args.llm, bot)
            result["loadavg_end"] = loadavg()
            m = result["llm"]
            print(
                f"\nlocal LLM on {m['n']} questions (commit {result['commit']}): load {m['load_s']:.1f} s, "
                f"TTFT p50 {m['ttft_p50_s']:.1f} s, total p50 {m['total_p50_s']:.1f} s, passed verification "
                f"{m['verified']}/{m['n']}, RSS with LLM {m['rss_mb_with_llm']:.0f} MB; load avg "
                f"{' '.join(result['loadavg_start'])} -> {' '.join(result['loadavg_end'])}"
            )
            if args.json:
                Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
            return

        lat = retrieval_latencies(retriever, questions, repeats=args.repeats)
        result["retrieval_ms"] = {"p50": pct(lat, 50), "p95": pct(lat, 95), "max": max(lat), "n": len(lat)}
        emb = embed_alone(embedder, questions)
        result["embed_query_ms"] = {"p50": pct(emb, 50), "p95": pct(emb, 95)}
        result["breakdown"] = retrieval_breakdown(retriever, questions)
        if args.profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
            for q in questions:
                retriever.search(q)
            prof.disable()
            prof.dump_stats(args.profile)

        for q in questions[:WARMUP]:
            bot.ask(q)
        wall, internal, refused = [], [], 0
        for _ in range(args.repeats):
            for q in questions:
                t = time.perf_counter()
                a = bot.ask(q)
                wall.append((time.perf_counter() - t) * 1000)
                internal.append(a.timings_ms["total"])
                refused += a.refused
        result["ask_ms"] = {
            "p50": pct(wall, 50),
            "p95": pct(wall, 95),
            "timings_total_p50": pct(internal, 50),
            "timings_total_p95": pct(internal, 95),
            "refused_share": refused / len(wall),
            "n": len(wall),
        }
        result["rss_mb"] = proc_status_kb("VmRSS") / 1024
        result["vmhwm_mb"] = proc_status_kb("VmHWM") / 1024
        result["hit_at_5"] = {m: hit_at_k(retriever, gold, mode=m) for m in ("hybrid", "dense", "keyword")}
        result["loadavg_end_extractive"] = loadavg()
        if args.llm:
            result["llm"] = llm_bench(settings, items, args.llm, bot)
        result["loadavg_end"] = loadavg()

    r, a, e = result["retrieval_ms"], result["ask_ms"], result["embed_query_ms"]
    g = GOALS
    print(
        f"\n{len(questions)} questions x {args.repeats} passes, {result['chunks']} chunks; "
        f"load avg {' '.join(result['loadavg_start'])} -> {' '.join(result['loadavg_end_extractive'])}"
    )
    print("| metric | measured | goal | ratio |")
    print("|---|---:|---:|---:|")
    print(
        f"| retrieval p50 | {r['p50']:.1f} ms | ≤ {g['retrieval_p50_ms']:.0f} ms | {r['p50'] / g['retrieval_p50_ms']:.2f} |"
    )
    print(
        f"| retrieval p95 | {r['p95']:.1f} ms | ≤ {g['retrieval_p95_ms']:.0f} ms | {r['p95'] / g['retrieval_p95_ms']:.2f} |"
    )
    print(f"| query embedding alone p50/p95 | {e['p50']:.1f} / {e['p95']:.1f} ms | | |")
    print(
        f"| extractive ask p50 | {a['p50']:.1f} ms | ≤ {g['ask_p50_ms']:.0f} ms | {a['p50'] / g['ask_p50_ms']:.2f} |"
    )
    print(f"| extractive ask p95 | {a['p95']:.1f} ms | | |")
    print(
        f"| RSS (model + index + assistant) | {result['rss_mb']:.0f} MB | ≤ {g['rss_mb']:.0f} MB | {result['rss_mb'] / g['rss_mb']:.2f} |"
    )
    print(f"| VmHWM (incl. ingest) | {result['vmhwm_mb']:.0f} MB | | |")
    h = result["hit_at_5"]
    print(
        "| hit@5 hybrid / dense / keyword | "
        + " / ".join(f"{v['hits']}/{v['n']} ({v['rate']:.1%})" for v in h.values())
        + " | | |"
    )
    print("\nwhere a search's time goes (instrumented pass, ms per question):")
    print("| step | mean | p50 | p95 |")
    print("|---|---:|---:|---:|")
    for k, v in result["breakdown"].items():
        print(f"| {k} | {v['mean_ms']:.2f} | {v['p50_ms']:.2f} | {v['p95_ms']:.2f} |")
    if "llm" in result:
        m = result["llm"]
        print(
            f"\nlocal LLM on {m['n']} questions: load {m['load_s']:.1f} s, TTFT p50 {m['ttft_p50_s']:.1f} s, "
            f"total p50 {m['total_p50_s']:.1f} s, passed verification {m['verified']}/{m['n']}, "
            f"RSS with LLM {m['rss_mb_with_llm']:.0f} MB; load avg -> {' '.join(result['loadavg_end'])}"
        )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
