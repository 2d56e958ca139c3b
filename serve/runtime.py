"""One replica's working state: the Assistant (opened once, following new index generations by
itself), a bounded pool of answering threads, the deadline, and the feedback store.

Answers run in ``GAZETTE_API_CONCURRENCY`` threads; a request that waits longer than the
deadline for a thread, or whose answer takes longer, gets a 504 (its thread finishes the answer
and is then free again: an answer cannot be cut off half-checked).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from assistant import (
    Assistant,
    IndexMismatchError,
    IndexMissingError,
    IndexUnavailableError,
    LLMBusyError,
    Settings,
    open_feedback,
)
from serve.errors import ApiError
from serve.telemetry import Metrics

log = logging.getLogger("serve")


class Runtime:
    def __init__(self, settings: Settings, bot: Assistant | None = None):
        self.settings = settings
        self._given = bot
        self._bot: Assistant | None = None
        self._lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=settings.api_concurrency, thread_name_prefix="answer")
        self.metrics = Metrics()
        self._feedback = None

    # -- the assistant -----------------------------------------------------------------------
    def bot(self) -> Assistant:
        """The Assistant, opened on first need with its embedding weights loaded (so that ready
        means fast), and retried on the next request after a failure: an index built after the
        server started is picked up without a restart."""
        if self._bot is not None:
            return self._bot
        with self._lock:
            if self._bot is None:
                bot = self._given or self._open()
                bot.embedder.embed_query("预热")
                self._bot = bot
        return self._bot

    def _open(self) -> Assistant:
        try:
            return Assistant.load(self.settings)
        except IndexMissingError:
            problem = "no index yet: run `gazette-assistant ingest`"
        except IndexMismatchError as e:
            problem = f"the index needs a rebuild ({e})"
        except IndexUnavailableError as e:
            problem = str(e)
        raise ApiError(503, "not_ready", problem)

    def status(self) -> dict:
        status = self.bot().status()
        self.metrics.documents.set(status["documents"])
        return status

    def count_documents(self) -> None:
        """The documents gauge, for a scrape (not before the Assistant is open)."""
        if self._bot is not None:
            self.metrics.documents.set(len(self._bot.documents()))

    def model_name(self) -> str:
        s = self.status()
        return " + ".join(x for x in (s["embedding_model"], s["chat_model"]) if x)

    def feedback(self):
        if self._feedback is None:
            store = open_feedback(self.settings)
            store.purge(self.settings.feedback_retention_days)
            self._feedback = store
        return self._feedback

    # -- running an answer within the deadline -------------------------------------------------
    def deadline(self) -> float:
        return time.monotonic() + self.settings.api_deadline_s

    async def run(self, fn, deadline: float):
        """``fn()`` in an answering thread, or a 504 once the deadline has passed."""
        loop = asyncio.get_running_loop()

        def guarded():
            if time.monotonic() > deadline:  # waited for a thread past the deadline: do not start
                return None
            return fn()

        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self.pool, guarded), max(deadline - time.monotonic(), 0.001)
            )
        except TimeoutError:
            self.metrics.deadlines.inc()
            raise ApiError(
                504, "deadline_exceeded", f"no answer within {self.settings.api_deadline_s:g} s; try again"
            ) from None
        except Exception as e:  # noqa: BLE001 - every failure becomes an ApiError
            raise mapped(e) from None

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def mapped(exc: BaseException) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if type(exc).__module__.split(".")[0] in ("chromadb", "httpx", "httpcore"):
        return ApiError(
            503,
            "index_unavailable",
            f"the vector store failed ({type(exc).__name__}); is the Chroma server up?",
        )
    if isinstance(exc, LLMBusyError):
        return ApiError(503, "busy", str(exc) or "the language model is busy", {"Retry-After": "5"})
    if isinstance(exc, IndexUnavailableError):
        return ApiError(503, "index_unavailable", str(exc))
    log.error("unexpected %s while answering", type(exc).__name__, exc_info=exc)
    return ApiError(500, "internal_error", "the server failed to answer")


async def stream_events(rt: Runtime, make_events, deadline: float):
    """The events ``make_events()`` yields in an answering thread, as they come; an ``ApiError``
    item (last) when the answer failed or ran past the deadline (headers are sent by then)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    done = object()

    def put(item) -> None:
        with contextlib.suppress(RuntimeError):  # the server's loop is gone (shutting down)
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def produce() -> None:
        try:
            if time.monotonic() > deadline:  # waited for a thread past the deadline: do not start
                raise ApiError(504, "deadline_exceeded", f"no answer within {rt.settings.api_deadline_s:g} s")
            for event in make_events():
                put(event)
        except Exception as e:  # noqa: BLE001 - sent to the client as an error event
            put(e)
        finally:
            put(done)

    loop.run_in_executor(rt.pool, produce)
    while True:
        try:
            item = await asyncio.wait_for(queue.get(), max(deadline - time.monotonic(), 0.001))
        except TimeoutError:
            rt.metrics.deadlines.inc()
            yield ApiError(504, "deadline_exceeded", f"no answer within {rt.settings.api_deadline_s:g} s")
            return
        if item is done:
            return
        if isinstance(item, BaseException):
            yield mapped(item)
            return
        yield item
