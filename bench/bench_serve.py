"""Load test of the HTTP API: concurrent clients asking `POST /v1/ask` of 1 and of 2 replicas.

Everything runs on loopback in a temp dir: a Chroma server (`chroma run`), one
`gazette-assistant ingest` of the bundled gazette into it (the real embedding model), then
`gazette-assistant serve` replicas, each with its own empty GAZETTE_DATA_DIR (they fetch the
generation from the server) and GAZETTE_ANSWER_MODE=extractive, all started at once and used by
every configuration. After /readyz, one warm-up request per replica and 10 sequential requests
alone (one question's latency without contention), `--clients` clients loop for `--seconds`,
asking the first `--questions` questions of eval/dataset.jsonl round-robin; with 2 replicas
client i uses replica i % 2 (no proxy). Per configuration: requests, errors by kind (non-200 or
exception), throughput, latency p50/p95/p99 over every request, CPU used by the replicas,
Chroma and this script; and the throughput ratio 2 / 1 replicas. Targets (issue): 0 errors and
p95 ≤ 1000 ms at 8 clients for 60 s; the ratio is reported, not gated. Every process started is
stopped at the end. The embedding model must already be in ~/.cache/gazette-assistant/models.

    nice -n 19 .venv/bin/python bench/bench_serve.py              # 8 clients, 60 s, 1 and 2 replicas
    nice -n 19 .venv/bin/python bench/bench_serve.py --quick      # smoke run: 2 clients, 5 s
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import itertools
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SOLO = 10  # sequential requests alone on replica 0, before the load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def questions(n: int) -> list[str]:
    lines = (REPO / "eval" / "dataset.jsonl").read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [r["question"] for r in rows if r.get("split") != "holdout"][:n]


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as f:
        return subprocess.Popen(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    why = f"exited ({proc.returncode})" if proc.poll() is not None else f"not ready in {timeout:.0f} s"
    raise RuntimeError(f"{url} {why}; end of {log}:\n{log.read_text(errors='replace')[-3000:]}")


def summary(results: list[tuple[float, str]], wall: float) -> dict:
    ms = sorted(m for m, _ in results)

    def pct(p: float) -> float:  # nearest rank
        return round(ms[min(len(ms) - 1, max(0, -(-len(ms) * p // 100) - 1))], 1)

    return {
        "requests": len(results),
        "errors": dict(collections.Counter(kind for _, kind in results if kind != "ok")),
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(results) / wall, 2),
        **{f"p{p}_ms": pct(p) for p in (50, 95, 99, 100)},
    }


async def ask(client: httpx.AsyncClient, port: int, q: str) -> tuple[float, str]:
    """(latency ms, "ok" or the error's kind) of one question."""
    t = time.perf_counter()
    try:
        r = await client.post(f"http://127.0.0.1:{port}/v1/ask", json={"question": q})
        kind = "ok" if r.status_code == 200 and "answer" in r.json() else f"HTTP {r.status_code}"
    except Exception as e:  # noqa: BLE001 - every failure is counted by its kind
        kind = type(e).__name__
    return (time.perf_counter() - t) * 1000, kind


async def load(ports: list[int], qs: list[str], clients: int, seconds: float, timeout: float) -> dict:
    """``clients`` clients (client i on ports[i % len(ports)]) asking for ``seconds``; requests
    started before the end are waited for and counted."""
    turn = itertools.count()
    results: list[tuple[float, str]] = []

    async def client(i: int, end: float) -> None:
        async with httpx.AsyncClient(timeout=timeout) as c:
            while time.monotonic() < end:
                results.append(await ask(c, ports[i % len(ports)], qs[next(turn) % len(qs)]))

    t0 = time.monotonic()
    await asyncio.gather(*(client(i, t0 + seconds) for i in range(clients)))
    return summary(results, time.monotonic() - t0)


async def sequential(port: int, qs: list[str], n: int, timeout: float) -> dict:
    t0 = time.monotonic()
    async with httpx.AsyncClient(timeout=timeout) as c:
        results = [await ask(c, port, qs[i % len(qs)]) for i in range(n)]
    return summary(results, time.monotonic() - t0)


def run(args, qs: list[str], tmp: Path, procs: list[subprocess.Popen], out: dict) -> None:
    """Start Chroma, ingest, start the replicas (each appended to ``procs``), then measure."""
    configs = [int(x) for x in args.replicas.split(",")]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GAZETTE_ANSWER_MODE": "extractive",
        "GAZETTE_CHROMA_HOST": "127.0.0.1",
        "GAZETTE_CHROMA_PORT": str(free_port()),
    }
    t = time.monotonic()
    chroma_cmd = ["run", "--path", str(tmp / "chroma"), "--host", "127.0.0.1", "--port"]
    procs.append(
        start([str(BIN / "chroma"), *chroma_cmd, env["GAZETTE_CHROMA_PORT"]], env, tmp / "chroma.log")
    )
    heartbeat = f"http://127.0.0.1:{env['GAZETTE_CHROMA_PORT']}/api/v2/heartbeat"
    wait_ready(heartbeat, procs[0], tmp / "chroma.log", args.ready_timeout)
    out["setup_s"]["chroma"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    writer = {**env, "GAZETTE_DATA_DIR": str(tmp / "writer")}
    subprocess.run([str(BIN / "gazette-assistant"), "ingest", "--quiet"], env=writer, check=True, timeout=600)
    out["setup_s"]["ingest"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    ports = [free_port() for _ in range(max(configs))]
    for i, port in enumerate(ports):
        (tmp / f"replica-{i}").mkdir()
        cmd = [str(BIN / "gazette-assistant"), "serve", "--port", str(port)]
        procs.append(
            start(cmd, {**env, "GAZETTE_DATA_DIR": str(tmp / f"replica-{i}")}, tmp / f"replica-{i}.log")
        )
    for i, port in enumerate(ports):
        wait_ready(
            f"http://127.0.0.1:{port}/readyz", procs[1 + i], tmp / f"replica-{i}.log", args.ready_timeout
        )
    out["setup_s"]["replicas_ready"] = round(time.monotonic() - t, 1)
    print(f"setup, s: {out['setup_s']}", flush=True)
    out["warm_up"] = [asyncio.run(sequential(p, qs, 1, args.timeout)) for p in ports]
    print("warm-up, first request per replica: " + ", ".join(f"{w['p50_ms']:.0f} ms" for w in out["warm_up"]))
    out["alone"] = asyncio.run(sequential(ports[0], qs, SOLO, args.timeout))
    print(
        f"alone, {SOLO} sequential requests: p50 {out['alone']['p50_ms']} ms, max {out['alone']['p100_ms']} ms"
    )
    for n in configs:
        print(f"{n} replica(s), {args.clients} clients, {args.seconds:g} s ...", flush=True)
        before = [cpu_s(p.pid) for p in procs]
        me = resource.getrusage(resource.RUSAGE_SELF)
        r = asyncio.run(load(ports[:n], qs, args.clients, args.seconds, args.timeout))
        me2 = resource.getrusage(resource.RUSAGE_SELF)
        used = [cpu_s(p.pid) - b for p, b in zip(procs, before, strict=True)]
        r["cpu_s"] = {
            "replicas": round(sum(used[1:]), 1),
            "chroma": round(used[0], 1),
            "clients": round(me2.ru_utime + me2.ru_stime - me.ru_utime - me.ru_stime, 1),
        }
        r["replica_cpu_ms_per_request"] = round(1000 * sum(used[1:]) / max(r["requests"], 1), 1)
        r.update(
            replicas=n, loadavg_after=os.getloadavg(), targets_met=not r["errors"] and r["p95_ms"] <= 1000
        )
        out["configs"].append(r)


def report(out: dict, args) -> None:
    head = ["replicas", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    head += ["CPU s replicas/chroma/clients", "load 1 min after"]
    print("\n| " + " | ".join(head) + " |\n|" + "---:|" * len(head))
    for c in out["configs"]:
        errs = ", ".join(f"{k}: {v}" for k, v in c["errors"].items()) or "0"
        cpu = "/".join(str(v) for v in c["cpu_s"].values())
        row = [c["replicas"], c["requests"], errs, c["throughput_rps"], c["p50_ms"], c["p95_ms"], c["p99_ms"]]
        row += [c["p100_ms"], cpu, f"{c['loadavg_after'][0]:.1f}"]
        print("| " + " | ".join(map(str, row)) + " |")
    print(f"\nthroughput 2 / 1 replicas: {out['ratio_2_over_1']} (reported, not gated: {out['cpus']} cores)")
    target_run = args.clients == 8 and args.seconds >= 60
    for c in out["configs"]:
        print(
            f"targets (0 errors, p95 ≤ 1000 ms at 8 clients, 60 s), {c['replicas']} replica(s): "
            + ("met" if c["targets_met"] else "MISSED")
            + ("" if target_run else f" (not a target run: {args.clients} clients, {args.seconds:g} s)")
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--replicas", default="1,2", help="configurations (default 1,2)")
    ap.add_argument("--questions", type=int, default=40, help="the first N questions of eval/dataset.jsonl")
    ap.add_argument("--out", default=str(REPO / "var" / "bench" / "serve.json"))
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 clients, 5 s")
    ap.add_argument("--timeout", type=float, default=30, help="client timeout of one request, s")
    ap.add_argument("--ready-timeout", type=float, default=300, help="wait for Chroma / a replica, s")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (every process's log)")
    args = ap.parse_args()
    if args.quick:
        args.clients, args.seconds = 2, 5
    qs = questions(args.questions)
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve."))
    out: dict = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "questions": len(qs),
        "clients": args.clients,
        "seconds": args.seconds,
        "setup_s": {},
        "configs": [],
    }
    print(f"temp dir {tmp}; load average {out['loadavg_start']}; {len(qs)} questions", flush=True)
    procs: list[subprocess.Popen] = []
    try:
        run(args, qs, tmp, procs, out)
    finally:
        for p in reversed(procs):
            stop(p)
        if args.keep:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    by = {c["replicas"]: c["throughput_rps"] for c in out["configs"]}
    out["ratio_2_over_1"] = round(by[2] / by[1], 2) if 1 in by and 2 in by and by[1] else None
    report(out, args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
