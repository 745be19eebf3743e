"""Every error the API returns is JSON with a ``message`` naming the problem.

Bad input is a 4xx: Headway's own errors map to their status here; a request that does not
fit a route's parameters is a 422 naming the parameter. A 500 is a bug: it is logged with its
traceback and answered without details.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path

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


class Problem(BaseModel):
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None


class ErrorBody(BaseModel):
    """What every error answers: ``message`` names the problem; ``problems`` for an invalid
    flow, ``input`` for an invalid input."""

    message: str
    problems: list[Problem] | None = None
    input: str | None = None


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# The errors any API route may answer, in its OpenAPI document.
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("A malformed request"),
    401: _error("No valid token (with access control on)"),
    403: _error("The caller's role is too small"),
    404: _error("An unknown flow, execution, TaskRun, key, file or trigger"),
    409: _error("An action the current state does not allow"),
    422: _error("An invalid flow, input, parameter or body"),
}
# Routes that read a body themselves add these.
BODY_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: _error("The body is too large"),
    415: _error("An unsupported content type"),
}


def errors_as_json(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with every error answer as JSON, also on routes whose success
    is text or events (FastAPI documents them with the route's media type)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if str(status)[0] in "45" and content and "application/json" not in content:
                    response["content"] = {"application/json": next(iter(content.values()))}
    return document


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
    message = error.get("msg", "invalid")
    return f"{place} '{name}': {message}" if name else f"{place}: {message}"


class MethodIndex:
    """Which methods the API documents at a path, for a 405's ``Allow`` (Starlette's names
    those of the first route whose template matched, which may be another path's)."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], str, set[str]]] = []

    def add(self, prefix: str, router: APIRouter) -> None:
        for route in router.routes:
            if isinstance(route, APIRoute):
                template = prefix + route.path
                self._routes.append((compile_path(template)[0], template, route.methods or set()))

    def allowed(self, path: str) -> str | None:
        """The methods of the most specific template that matches ``path`` (the fewest
        parameters, as OpenAPI matches concrete paths first)."""
        matching = [
            (t.count("{"), i, t)
            for i, (regex, t, _) in enumerate(self._routes)
            if regex.match(path)
        ]
        if not matching:
            return None
        template = min(matching)[2]
        methods = set().union(*(m for _, t, m in self._routes if t == template))
        return ", ".join(sorted(methods))


def install(app: FastAPI) -> MethodIndex:
    """Answer every error as JSON; add the API's routers to the index returned."""
    methods = MethodIndex()

    @app.exception_handler(HeadwayError)
    async def headway_error(request: Request, exc: HeadwayError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=status_of(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        messages = [_describe(dict(e)) for e in exc.errors()]
        return JSONResponse({"message": "; ".join(messages)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = exc.headers
        if exc.status_code == 405:
            allowed = methods.allowed(request.scope["path"])
            if allowed is not None:
                headers = {**(headers or {}), "Allow": allowed}
        return JSONResponse(
            {"message": str(exc.detail)}, status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client left while its body was read: nobody to answer, nothing to log.
        return Response(status_code=499)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"message": "internal error (logged by the server)"}, 500)

    return methods
