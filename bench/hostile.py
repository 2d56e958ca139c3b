"""Hostile-input run against any checkout: writers killed (timed kill -9, and with this tree's
fault hook at every step), two writers at once, readers during writes.

    python bench/hostile.py [--repo PATH] [--trials N] [--out FILE.json]

Every scenario runs in subprocesses that import the checkout named by --repo (default: this one)
with the fake keyword embedder, so it measures the store, not the model; the same script run
with --repo on an older checkout gives the figures to compare. Counted per scenario: trials,
tracebacks (a writer or reader that died with one instead of an `error:`), damaged (an index
that cannot answer, or whose chunks, keyword rows and vectors disagree), lost (a source a writer
reported done that is not in the index afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
GAZETTE = HERE / "data" / "gazettes" / "changzhi-2024-05.txt"
SYNTH = HERE / "tests" / "fixtures" / "synthetic-2024-06.txt"
OTHER = HERE / "tests" / "fixtures" / "issues" / "qingshi-2026-01" / "issue.txt"

# Runs inside the checkout under test: `python -c CHILD REPO DATA_DIR OP ARGS...`
CHILD = r"""
import sys, json, traceback
repo, data_dir, op, *args = sys.argv[1:]
sys.path.insert(0, repo)
from pathlib import Path
import numpy as np, zlib
from core.settings import Settings
from core.keywords import tokenize
class Fake:
    name = "fake-keyword"; dim = 256
    def _vec(self, t):
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in tokenize(t): v[zlib.crc32(tok.encode()) % self.dim] += 1.0
        n = np.linalg.norm(v); return v / n if n else v
    def embed_passages(self, texts, batch_size=32, show_progress=False):
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
    def embed_query(self, t): return self._vec(t)
s = Settings(data_dir=Path(data_dir), _env_file=None)
try:
    if op == "check":
        from store.index import IndexStore
        from assistant.retrieval import Retriever
        st = IndexStore(s)
        chunks = [c.chunk_id for c in st.all_chunks()]
        assert all(st.load_source(x) is not None for x in st.sources()), "a docstore file is missing"
        kw = st.keyword_index()[0]
        assert sorted(kw) == sorted(chunks), "keyword rows and chunks disagree"
        got = st.collection.get(ids=chunks, include=[])["ids"] if chunks else []
        assert sorted(got) == sorted(chunks), "chunks without vectors"
        Retriever(s, Fake()).search("建筑施工噪声超标由哪个部门处罚？")
        print(json.dumps({"sources": st.sources()}))
    elif op == "read":
        from assistant.retrieval import Retriever
        import time
        n = 0; end = time.time() + float(args[0])
        while time.time() < end:
            Retriever(s, Fake()).search("建筑施工噪声超标由哪个部门处罚？"); n += 1
        print(json.dumps({"reads": n}))
    else:
        from ingest.pipeline import remove_source, run_ingest
        if op == "remove":
            remove_source(s, Fake(), args[0])
        else:
            run_ingest(s, Fake(), [Path(a) for a in args], rebuild=op == "rebuild")
        print("ok")
except Exception as e:
    # what the CLI reports as one `error:` line (KeyError: --remove of a source not indexed)
    if type(e).__name__ in ("IndexBusyError", "IndexWriteError", "IndexUnavailableError", "KeyError"):
        print("error: " + str(e)); sys.exit(1)
    traceback.print_exc(); sys.exit(3)
"""


def child(repo: Path, data: Path, *args: str, env: dict | None = None, wait: bool = True):
    cmd = [sys.executable, "-c", CHILD, str(repo), str(data), *args]
    e = {**os.environ, "ANONYMIZED_TELEMETRY": "False", **(env or {})}
    if not wait:
        return subprocess.Popen(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=600)


def check(repo: Path, data: Path) -> tuple[bool, list[str]]:
    got = child(repo, data, "check")
    if got.returncode != 0:
        return False, []
    return True, json.loads(got.stdout.strip().splitlines()[-1])["sources"]


def fresh(repo: Path, root: Path, *paths: Path) -> Path:
    data = Path(tempfile.mkdtemp(dir=root)) / "var"
    got = child(repo, data, "ingest", *map(str, paths))
    assert got.returncode == 0, got.stderr[-2000:]
    return data


def tally(rows: list[dict]) -> dict:
    return {k: sum(r[k] for r in rows) for k in ("tracebacks", "damaged", "lost")} | {"trials": len(rows)}


def timed_kill(repo: Path, root: Path, op: str, trials: int) -> dict:
    rows = []
    for _ in range(trials):
        data = fresh(repo, root, GAZETTE, SYNTH) if op != "ingest" else fresh(repo, root, GAZETTE)
        args = {"ingest": ("ingest", str(SYNTH)), "remove": ("remove", SYNTH.name), "rebuild": ("rebuild",)}[
            op
        ]
        p = child(repo, data, *args, wait=False)
        time.sleep(random.uniform(2.0, 5.0))  # import takes ~2 s; the write follows
        p.kill()
        p.wait()
        ok, _ = check(repo, data)
        again = child(repo, data, *args)  # the next writer must be able to finish the job
        ok2, sources = check(repo, data)
        want = {GAZETTE.name, SYNTH.name} - ({SYNTH.name} if op == "remove" else set())
        rows.append(
            {
                "tracebacks": int(again.returncode == 3),
                "damaged": int(not ok or not ok2),
                "lost": len(want - set(sources)),
            }
        )
    return tally(rows)


def fault_at_every_step(repo: Path, root: Path, op: str) -> dict:
    sys.path.insert(0, str(repo))
    try:
        from store.faults import STEPS
    except ImportError:
        return {"skipped": "this checkout has no fault hook (store/faults.py)"}
    rows = []
    for step in STEPS:
        data = fresh(repo, root, GAZETTE, SYNTH) if op != "ingest" else fresh(repo, root, GAZETTE)
        args = {"ingest": ("ingest", str(SYNTH)), "remove": ("remove", SYNTH.name), "rebuild": ("rebuild",)}[
            op
        ]
        got = child(repo, data, *args, env={"GAZETTE_FAULT_AT": f"{step}:exit"})
        ok, _ = check(repo, data)
        child(repo, data, "ingest", str(GAZETTE))
        ok2, sources = check(repo, data)
        want = {GAZETTE.name} | ({SYNTH.name} if op == "rebuild" else set())
        rows.append(
            {
                "tracebacks": int(got.returncode == 3),
                "damaged": int(not ok or not ok2),
                "lost": len(want - set(sources)),
            }
        )
    return tally(rows)


def two_writers(repo: Path, root: Path, trials: int) -> dict:
    rows = []
    for _ in range(trials):
        data = fresh(repo, root, GAZETTE)
        procs = [child(repo, data, "ingest", str(p), wait=False) for p in (SYNTH, OTHER)]
        outs = [(p.communicate(timeout=600), p.returncode) for p in procs]
        done = {
            p.name
            for p, ((o, _), rc) in zip((SYNTH, OTHER), outs, strict=True)
            if rc == 0 and o.strip() == "ok"
        }
        ok, sources = check(repo, data)
        rows.append(
            {
                "tracebacks": sum(rc == 3 for _, rc in outs),
                "damaged": int(not ok),
                "lost": len((done | {GAZETTE.name}) - set(sources)),
            }
        )
    return tally(rows)


def readers_during(repo: Path, root: Path, op: str, trials: int) -> dict:
    rows = []
    for _ in range(trials):
        data = fresh(repo, root, GAZETTE, SYNTH)
        reader = child(repo, data, "read", "14", wait=False)
        time.sleep(2.5)
        args = {"ingest": ("ingest", str(OTHER)), "remove": ("remove", SYNTH.name), "rebuild": ("rebuild",)}[
            op
        ]
        w = child(repo, data, *args)
        out, err = reader.communicate(timeout=600)
        ok, _ = check(repo, data)
        rows.append(
            {
                "tracebacks": int(reader.returncode != 0) + int(w.returncode == 3),
                "damaged": int(not ok),
                "lost": 0,
            }
        )
    return tally(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, default=HERE)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    random.seed(args.seed)
    repo = args.repo.resolve()
    result: dict = {"repo": str(repo)}
    with tempfile.TemporaryDirectory(prefix="hostile.") as tmp:
        root = Path(tmp)
        for op in ("ingest", "remove", "rebuild"):
            result[f"kill -9 during {op} (timed)"] = timed_kill(repo, root, op, args.trials)
            result[f"kill at every step of {op} (hook)"] = fault_at_every_step(repo, root, op)
            result[f"readers during {op}"] = readers_during(repo, root, op, args.trials)
        result["two writers at once"] = two_writers(repo, root, args.trials)
    for k, v in result.items():
        print(f"{k:40} {v}")
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
