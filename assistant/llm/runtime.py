"""The local runtime: llama.cpp's OpenAI-compatible server (xllamacpp) in this process, on loopback.

One server per process, started on first use and stopped at exit."""

from __future__ import annotations

import atexit
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from assistant.llm.errors import LLMServerError
from assistant.llm.modelfiles import LOCAL_MODEL_NAME, ensure_local_gguf

if TYPE_CHECKING:
    from core.settings import Settings

SERVER_START_TIMEOUT_S = 180.0
# llama.cpp keeps old prompts' KV state in RAM for prefix reuse; its default budget (8 GiB)
# is far more than a 24 GB shared machine should give one Streamlit process. RAG prompts
# share little beyond the system prompt, so a small budget loses almost nothing.
PROMPT_CACHE_MIB = 256
# 0 = quiet (errors only): llama.cpp otherwise writes hundreds of lines per request to stderr.
SERVER_VERBOSITY = 0


# A user's HTTP_PROXY must not capture loopback traffic; neither urllib nor httpx exempts it.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def is_loopback(url: str) -> bool:
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
