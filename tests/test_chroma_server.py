"""A real Chroma server on loopback (`chroma run`, from the chromadb package): ingest and query
through chromadb.HttpClient with the same code path as the embedded store."""

from __future__ import annotations

import json
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


def start_server(path: Path, port: int) -> subprocess.Popen:
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    require(Path(exe).exists(), "the `chroma` command from the chromadb package")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_server(proc)
                raise RuntimeError("chroma server did not start") from None
            time.sleep(0.3)


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    proc = start_server(tmp_path / "server-data", port)
    try:
        yield port
    finally:
        stop_server(proc)


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


READER = r"""
import json, sys
from pathlib import Path
from assistant import Assistant
from assistant.retrieval import Retriever
from core.settings import Settings
from tests.conftest import KeywordEmbedder
settings = Settings(data_dir=Path(sys.argv[1]), _env_file=None)  # the server from the environment
bot = Assistant(settings, Retriever(settings, KeywordEmbedder()))
for line in sys.stdin:
    out = []
    for q in json.loads(line):
        a = bot.ask(q)
        out.append([a.refused, a.answer, [c.quote for c in a.citations]])
    print(json.dumps(out, ensure_ascii=False), flush=True)
"""
QUESTIONS = ["建筑施工噪声超标由哪个部门处罚？", "森林防火日常监管职责由哪个部门承担？"]
SYNTH = Path(__file__).parent / "fixtures" / "synthetic-2024-06.txt"
FIXTURE_ISSUE = Path(__file__).parent / "fixtures" / "issues" / "qingshi-2026-01" / "issue.txt"


def one_machine(tmp_path, fake_embedder, *paths) -> list:
    """The answers of an embedded index of ``paths`` on this machine alone."""
    from assistant import Assistant
    from core.settings import Settings

    local = Settings(data_dir=tmp_path / f"single-{len(paths)}", _env_file=None)
    run_ingest(local, fake_embedder, list(paths))
    bot = Assistant(local, Retriever(local, fake_embedder))
    return [[a.refused, a.answer, [c.quote for c in a.citations]] for a in map(bot.ask, QUESTIONS)]


@pytest.mark.server
def test_replicas_with_empty_folders_serve_what_the_writer_wrote(tmp_path, fake_embedder, chroma_server):
    import json
    import os

    from tests.conftest import REPO_ROOT

    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "GAZETTE_CHROMA_HOST": "127.0.0.1",
        "GAZETTE_CHROMA_PORT": str(chroma_server),
    }

    def write(*args):
        got = subprocess.run(
            [sys.executable, "-m", "tests.hostile_writer", str(tmp_path / "writer"), *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert got.returncode == 0 and got.stdout.strip() == "ok", got.stdout + got.stderr

    write("ingest", str(GAZETTE))
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(tmp_path / f"replica-{i}")],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in (1, 2)
    ]

    def ask_all():
        for r in readers:
            r.stdin.write(json.dumps(QUESTIONS, ensure_ascii=False) + "\n")
            r.stdin.flush()
        return [json.loads(r.stdout.readline()) for r in readers]

    try:
        before = one_machine(tmp_path, fake_embedder, GAZETTE)
        assert ask_all() == [before, before]
        write("ingest", str(SYNTH))  # a new generation, written by a third process
        after = one_machine(tmp_path, fake_embedder, GAZETTE, SYNTH)
        assert after != before and not after[1][0] and "林业局" in after[1][1]
        assert ask_all() == [after, after]
    finally:
        for r in readers:
            r.kill()
            r.wait()
    for i in (1, 2):  # the replicas' folders hold the fetched generation, nothing written by hand
        assert (tmp_path / f"replica-{i}" / ".index" / "gens").is_dir()


@pytest.mark.server
def test_two_writers_on_one_server_one_is_told_to_wait(tmp_path, fake_embedder, chroma_server):
    from core.settings import Settings
    from store import shared
    from store.index import IndexBusyError, IndexStore

    a = Settings(data_dir=tmp_path / "a", chroma_host="127.0.0.1", chroma_port=chroma_server, _env_file=None)
    b = a.model_copy(update={"data_dir": tmp_path / "b"})
    run_ingest(a, fake_embedder, [GAZETTE])
    import json
    import time

    col = shared.meta(IndexStore(a))
    other = {
        "pid": 4242,
        "host": "another-machine",
        "since": "then",
        "token": "t",
        "expires": time.time() + 60,
    }
    col.upsert(
        ids=["lease"], documents=[json.dumps(other)], embeddings=[[1.0]], metadatas=[{"kind": "lease"}]
    )
    with pytest.raises(IndexBusyError, match="pid 4242 on another-machine"):
        run_ingest(b, fake_embedder, [SYNTH])
    col.delete(ids=["lease"])
    run_ingest(b, fake_embedder, [SYNTH])  # machine b builds on a's generation: nothing is lost
    assert IndexStore(a).sources() == [GAZETTE.name, SYNTH.name]
    # retention on the server: two generations' records, and only the docstore blobs they use
    run_ingest(a, fake_embedder, [FIXTURE_ISSUE])
    gens = col.get(where={"kind": "gen"}, include=["documents"])
    assert len(gens["ids"]) == 2
    used = {b for doc in gens["documents"] for b in json.loads(doc)["sources"].values()}
    assert set(col.get(where={"kind": "blob"}, include=[])["ids"]) == used
    assert IndexStore(b).sources() == [GAZETTE.name, FIXTURE_ISSUE.name, SYNTH.name]


@pytest.mark.server
def test_a_server_stopped_and_restarted(tmp_path, monkeypatch, capsys):
    """Stopped: `ask` and `ingest` end in one error line each; restarted: the same answers."""
    from cli.main import main as cli_main
    from core.settings import get_settings
    from tests.conftest import KeywordEmbedder

    port = free_port()
    monkeypatch.setenv("GAZETTE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("GAZETTE_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("GAZETTE_CHROMA_PORT", str(port))
    monkeypatch.setattr("cli.main.load_embedder", lambda settings: KeywordEmbedder())
    monkeypatch.setattr("assistant.chat.load_embedder", lambda settings: KeywordEmbedder())
    get_settings.cache_clear()
    proc = start_server(tmp_path / "server-data", port)
    try:
        assert cli_main(["ingest", str(GAZETTE), "--quiet"]) == 0
        assert cli_main(["ask", QUESTIONS[0], "--json"]) == 0
        first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        stop_server(proc)
        for argv in (["ask", QUESTIONS[0]], ["ingest", str(SYNTH), "--quiet"], ["docs"]):
            assert cli_main(argv) == 1
            err = capsys.readouterr().err
            assert err.startswith("error: ") and "Chroma server" in err and "Traceback" not in err, err
        proc = start_server(tmp_path / "server-data", port)
        assert cli_main(["ask", QUESTIONS[0], "--json"]) == 0
        again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert again["answer"] == first["answer"] and again["citations"] == first["citations"]
    finally:
        stop_server(proc)
        get_settings.cache_clear()


@pytest.mark.server
def test_a_replica_answers_law_articles_the_writer_indexed(tmp_path, fake_embedder, chroma_server, laws_dir):
    """The law-article catalogue lives on the server too: a replica with an empty folder looks up
    the same articles, and a removed law is gone for it as well."""
    from assistant import Assistant
    from core.settings import Settings
    from ingest.pipeline import remove_source

    law = laws_dir / "社会法" / "劳动法(2018-12-29).md"
    writer = Settings(
        data_dir=tmp_path / "writer", chroma_host="127.0.0.1", chroma_port=chroma_server, _env_file=None
    )
    replica = writer.model_copy(update={"data_dir": tmp_path / "replica"})
    run_ingest(writer, fake_embedder, [GAZETTE, law])
    asked = "《中华人民共和国劳动法》第三条"
    mine = Assistant(writer, Retriever(writer, fake_embedder)).law_article(asked)
    theirs = Assistant(replica, Retriever(replica, fake_embedder)).law_article(asked)
    assert mine is not None and theirs is not None and mine == theirs
    assert not (tmp_path / "replica" / "articles.json").exists()  # read from the server
    remove_source(writer, fake_embedder, "社会法/" + law.name)
    assert Assistant(replica, Retriever(replica, fake_embedder)).law_article(asked) is None
