"""Every error the API sends has one JSON shape (OpenAI's envelope, which its clients parse):

    {"error": {"type": "...", "code": "...", "message": "...", "request_id": "..."}}

and never a traceback: an unexpected exception is logged (its type, with the request id) and
answered with a 500 in this shape.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

log = logging.getLogger("serve")

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "unavailable_error",
    504: "timeout_error",
}


class ApiError(Exception):
    """An error a route answers with: HTTP status, a stable code, a readable message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_body(status: int, code: str, message: str, request_id: str = "") -> dict:
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"type": kind, "code": code, "message": message, "request_id": request_id}}


def error_response(status: int, code: str, message: str, request_id: str = "", headers=None) -> JSONResponse:
    return JSONResponse(error_body(status, code, message, request_id), status_code=status, headers=headers)


def request_id(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id", "")


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the JSON shape above."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, request_id(request), exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), request_id(request))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors()[:5]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            problems.append(f"{where or 'body'}: {e.get('msg', 'invalid')}")
        return error_response(422, "invalid_request", "; ".join(problems), request_id(request))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.error(
            "unexpected %s", type(exc).__name__, extra={"request_id": request_id(request)}, exc_info=exc
        )
        return error_response(
            500,
            "internal_error",
            "the server failed to answer; the log has the request id",
            request_id(request),
        )
