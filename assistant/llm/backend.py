"""The chat backend: one LangChain chat model (local or openai, or any BaseChatModel a test plugs in),
one generation at a time per process, errors translated to LLMError with a user-facing message."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, convert_to_messages

from assistant.llm.errors import (
    LLMBusyError,
    LLMConnectionError,
    LLMError,
    LLMResponseError,
    LLMTimeoutError,
)
from assistant.llm.modelfiles import LOCAL_MODEL_NAME
from assistant.llm.runtime import get_local_server, is_loopback

if TYPE_CHECKING:
    from core.settings import Settings

BUSY_WAIT_S = 2.0
# One retry covers a dropped connection to a remote endpoint; more would multiply the
# user's wait by the timeout for an endpoint that is really down. A loopback server that
# timed out or refused will do so again, so it gets none.
MAX_RETRIES_REMOTE = 1
MAX_RETRIES_LOOPBACK = 0


_GENERATION_LOCK = threading.Lock()

_ROLES = {"system", "user", "assistant"}


_LC_ROLES = {"system": "system", "human": "user", "ai": "assistant"}

Messages = Sequence["dict[str, str] | BaseMessage"]


def _check_messages(messages: Messages) -> list[BaseMessage]:
    """Role/content dicts or LangChain messages, as LangChain messages (system, human, ai only)."""
    if not messages:
        raise ValueError("messages is empty")
    out: list[BaseMessage] = []
    for message in messages:
        if isinstance(message, BaseMessage):
            if message.type not in _LC_ROLES or not isinstance(message.content, str):
                raise ValueError(
                    f"bad message (need a system, human or ai message with str content): {message!r}"
                )
            out.append(message)
            continue
        if message.get("role") not in _ROLES or not isinstance(message.get("content"), str):
            raise ValueError(f"bad message (need role in {sorted(_ROLES)} and str content): {message!r}")
        out.append(convert_to_messages([(message["role"], message["content"])])[0])
    return out


class ChatBackend:
    """One LangChain chat model (our `local` and `openai` models are ChatOpenAI instances pointed
    at an OpenAI-compatible endpoint; a test may plug in LangChain's fake chat models), one
    generation at a time per process."""

    def __init__(
        self,
        chat: BaseChatModel,
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

    def generate(self, messages: Messages) -> str:
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

    def stream(self, messages: Messages) -> Iterator[str]:
        """Text deltas as they arrive, within one total deadline (``timeout_s``) for the call.

        The model is read on a worker thread, so the deadline holds even when the stream
        stalls between chunks (an HTTP client's timeout is per read). The generation lock is
        taken at the first `next()` and released when the iterator ends or is closed.
        """
        payload = _check_messages(messages)
        self._acquire()
        try:
            deadline = time.monotonic() + self.timeout_s
            chunks: queue.Queue = queue.Queue()
            stop = threading.Event()
            threading.Thread(target=self._pump, args=(payload, chunks, stop), daemon=True).start()
            while True:
                remaining = deadline - time.monotonic()
                try:
                    kind, value = chunks.get(timeout=max(remaining, 0.0))
                except queue.Empty:
                    stop.set()
                    raise LLMTimeoutError(
                        f"模型服务 {self.endpoint} 在 {self.timeout_s:g} 秒内未完成回答 (已中止)。"
                    ) from None
                if kind == "done":
                    return
                if kind == "error":
                    raise value if isinstance(value, LLMError) else self._translate(value) from value
                yield value
        finally:
            self._lock.release()

    def _pump(self, payload: list[BaseMessage], out: queue.Queue, stop: threading.Event) -> None:
        """Read the model's stream into ``out``: ("text", delta)…, then ("done", None) or ("error", exc)."""
        try:
            for chunk in self.chat.stream(payload):
                if stop.is_set():
                    return
                if isinstance(chunk.content, str) and chunk.content:
                    out.put(("text", chunk.content))
            out.put(("done", None))
        except Exception as exc:  # noqa: BLE001 - handed to the reader, translated there
            out.put(("error", exc))

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


def make_chat_model(
    base_url: str, *, model: str, api_key: str, timeout_s: float, max_tokens: int
) -> BaseChatModel:
    """A LangChain chat model for any OpenAI-compatible endpoint (no server is started here)."""
    from langchain_openai import ChatOpenAI

    extra: dict[str, Any] = {"max_retries": MAX_RETRIES_REMOTE}
    if is_loopback(base_url):
        import httpx

        extra["http_client"] = httpx.Client(trust_env=False, timeout=timeout_s)
        extra["max_retries"] = MAX_RETRIES_LOOPBACK
    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=api_key,
        timeout=timeout_s,
        temperature=0,
        max_tokens=max_tokens,
        **extra,
    )


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
    chat = make_chat_model(base_url, model=model, api_key=api_key, timeout_s=timeout_s, max_tokens=max_tokens)
    return ChatBackend(chat, endpoint=base_url, timeout_s=timeout_s, busy_wait_s=busy_wait_s)


def local_chat_model(settings: Settings) -> BaseChatModel:
    """The `local` mode's chat model: the bundled Qwen model behind the in-process llama.cpp server."""
    server = get_local_server(settings)
    return make_chat_model(
        server.base_url,
        model=LOCAL_MODEL_NAME,
        api_key="not-needed",
        timeout_s=settings.llm_timeout_s,
        max_tokens=settings.llm_max_tokens,
    )


def openai_chat_model(settings: Settings) -> BaseChatModel:
    """The `openai` mode's chat model: any OpenAI-compatible endpoint named by the settings."""
    return make_chat_model(
        settings.openai_base_url,
        model=settings.openai_model,
        api_key=settings.openai_api_key.get_secret_value(),
        timeout_s=settings.llm_timeout_s,
        max_tokens=settings.llm_max_tokens,
    )


def make_backend(settings: Settings) -> ChatBackend:
    """The backend for `settings.answer_mode` ('local' starts the in-process server on first use)."""
    if settings.answer_mode == "local":
        endpoint = get_local_server(settings).base_url
        chat = local_chat_model(settings)
    elif settings.answer_mode == "openai":
        endpoint, chat = settings.openai_base_url, openai_chat_model(settings)
    else:
        raise ValueError(f"answer_mode {settings.answer_mode!r} uses no LLM")
    return ChatBackend(chat, endpoint=endpoint, timeout_s=settings.llm_timeout_s)
