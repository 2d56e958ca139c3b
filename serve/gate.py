"""The door every request passes (pure ASGI, so streamed answers pass untouched):

- a request id (the caller's ``X-Request-ID`` when it is a plain token, else a new one),
  returned in the response's ``X-Request-ID`` and written in every log line of the request;
- the API key, when one is configured, for everything under ``/v1/``;
- the body size limit: a body over ``GAZETTE_API_MAX_BODY_BYTES`` gets a 413 before any of it
  is parsed;
- one access log line and the request metrics, by route template (never the raw path).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid

from serve.errors import error_body
from serve.telemetry import Metrics

log = logging.getLogger("serve.access")

_PLAIN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
OPEN_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json", "/static-offline-docs")


class Gate:
    def __init__(self, app, *, max_body: int, key_ok, metrics: Metrics):
        self.app, self.max_body, self.key_ok, self.metrics = app, max_body, key_ok, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        rid = given if _PLAIN_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        t0 = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            refusal = await asyncio.to_thread(self._refuse, scope, headers)  # a key hash takes ~0.1 s
            if refusal is None:
                body, too_big = await _read_body(receive, self.max_body, headers)
                if too_big:
                    refusal = (413, "body_too_large", f"the request body is over {self.max_body} bytes")
            if refusal is not None:
                await _send_error(send_with_id, *refusal, rid, auth=refusal[0] == 401)
            else:
                await self.app(scope, _replay(body, receive), send_with_id)
        finally:
            self.metrics.in_flight.dec()
            route = getattr(scope.get("route"), "path", None) or (
                "unmatched" if status["code"] == 404 else "other"
            )
            seconds = time.perf_counter() - t0
            self.metrics.requests.labels(scope["method"], route, str(status["code"])).inc()
            self.metrics.latency.labels(route).observe(seconds)
            log.info(
                "request",
                extra={
                    "request_id": rid,
                    "method": scope["method"],
                    "route": route,
                    "status": status["code"],
                    "ms": round(seconds * 1000, 1),
                },
            )

    def _refuse(self, scope, headers: dict[str, str]):
        path = scope.get("path", "")
        if path.startswith(OPEN_PATHS) or not path.startswith("/v1/") or scope["method"] == "OPTIONS":
            return None
        auth = headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else headers.get("x-api-key", "")
        if self.key_ok(key):
            return None
        return (401, "invalid_api_key", "an API key is needed: send it as `Authorization: Bearer KEY`")


async def _read_body(receive, limit: int, headers: dict[str, str]) -> tuple[bytes, bool]:
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"", True
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the client's disconnect, for streamed answers

    return replay


async def _send_error(send, status: int, code: str, message: str, rid: str, auth: bool = False) -> None:
    payload = json.dumps(error_body(status, code, message, rid), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if auth:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
