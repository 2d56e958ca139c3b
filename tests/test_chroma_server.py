"""A real Chroma server on loopback (`chroma run`, from the chromadb package): ingest and query
through chromadb.HttpClient with the same code path as the embedded store."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.retrieval import Retriever
from ingest.pipeline import run_ingest
from tests.conftest import GAZETTE, require


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    require(Path(exe).exists(), "the `chroma` command from the chromadb package")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("chroma server did not start") from None
                time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.server
def test_ingest_and_query_through_a_chroma_server(settings, fake_embedder, chroma_server):
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    stats = run_ingest(remote, fake_embedder, [GAZETTE])[0]
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    assert client.get_collection(remote.collection).count() == stats.added > 200
    assert not (remote.index_dir / "chroma").exists()  # vectors went to the server, not to disk here
    hits = Retriever(remote, fake_embedder).search("建筑施工噪声超标由哪个部门处罚？")
    assert hits[0].chunk.doc_number == "长政办发〔2024〕27号"
    # re-ingest: nothing new to embed, the server keeps its vectors
    fake_embedder.embedded.clear()
    again = run_ingest(remote, fake_embedder, [GAZETTE])[0]
    assert again.added == 0 and fake_embedder.embedded == []
