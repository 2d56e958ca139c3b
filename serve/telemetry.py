"""What the API tells its operators: one JSON object per log line, and Prometheus metrics.

Logs carry no personal data: no question text (a question is named by its hash), no client
address, no header values; a request is named by its request id.
"""

from __future__ import annotations

import json
import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# the fields a log call may add (logger.info(..., extra={...})); anything else is not written
FIELDS = (
    "request_id",
    "method",
    "route",
    "status",
    "ms",
    "question_hash",
    "refused",
    "mode",
    "citations",
    "stream",
    "endpoint",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update({k: getattr(record, k) for k in FIELDS if hasattr(record, k)})
        if record.exc_info and record.exc_info[0] is not None:
            out["exc_type"] = record.exc_info[0].__name__
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(level: str = "info") -> None:
    """JSON lines on stderr for the API's and the assistant's loggers (uvicorn's own access log
    is turned off: ours has the request id and no client address)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    for chatty in ("httpx", "httpcore", "chromadb", "bm25s"):  # a line per Chroma call is noise
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


class Metrics:
    """The API's counters, one registry per app (so tests and replicas never share one)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gazette_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gazette_http_request_duration_seconds",
            "Time to answer a request.",
            ["route"],
            registry=self.registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )
        self.in_flight = Gauge(
            "gazette_http_requests_in_flight", "Requests being answered now.", registry=self.registry
        )
        self.answers = Counter(
            "gazette_answers", "Answers given.", ["mode", "refused"], registry=self.registry
        )
        self.deadlines = Counter(
            "gazette_deadline_exceeded", "Requests that ran past the deadline.", registry=self.registry
        )
        self.documents = Gauge(
            "gazette_index_documents", "Documents in the serving index generation.", registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
