"""Every error the API returns is JSON with a ``message`` naming the problem.

Bad input is a 4xx: Headway's own errors map to their status here; a request that does not
fit a route's parameters is a 422 naming the parameter. A 500 is a bug: it is logged with its
traceback and answered without details.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from headway.errors import (
    ConflictError,
    ExpressionError,
    FlowInvalidError,
    HeadwayError,
    IllegalTransitionError,
    InputInvalidError,
    NotFoundError,
)
from headway.storage import FileNotFoundInStorage

log = logging.getLogger("headway.api")


class ApiError(HeadwayError):
    """A request the API refuses, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def status_of(exc: HeadwayError) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, NotFoundError | FileNotFoundInStorage):
        return 404
    if isinstance(exc, ConflictError | IllegalTransitionError):
        return 409
    if isinstance(exc, FlowInvalidError | InputInvalidError | ExpressionError):
        return 422
    return 400


def error_body(exc: HeadwayError) -> dict[str, Any]:
    body: dict[str, Any] = {"message": exc.message}
    if isinstance(exc, FlowInvalidError):
        body["problems"] = [
            {
                "message": p.message,
                "path": p.location.dotted_path() or None,
                "line": p.location.line,
                "column": p.location.column,
            }
            for p in exc.problems
        ]
    if isinstance(exc, InputInvalidError):
        body["input"] = exc.input_id
    return body


def _describe(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
    where = loc[0] if loc else "request"
    name = ".".join(loc[1:])
    place = {"query": "query parameter", "path": "path parameter", "header": "header"}.get(
        where, where
    )
    return f"{place} '{name}': {error.get('msg', 'invalid')}" if name else error.get("msg", "")


def install(app: FastAPI) -> None:
    @app.exception_handler(HeadwayError)
    async def headway_error(request: Request, exc: HeadwayError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=status_of(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        messages = [_describe(dict(e)) for e in exc.errors()]
        return JSONResponse({"message": "; ".join(messages)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"message": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"message": "internal error (logged by the server)"}, 500)
