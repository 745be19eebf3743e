"""The web UI: static files (plain ES modules and CSS, no build step) served by the API's
own app at ``/``.

``/static/...`` serves the assets; every other ``GET`` outside ``/api/`` answers with
``index.html``, so that the client-side routes (``/flows/demo/hello``,
``/executions/{id}``) survive a reload or a pasted link. Other methods and ``/api/...``
paths are left to the API, which answers them as before (404 with a JSON message).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Match, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
INDEX = STATIC / "index.html"
PAGE_METHODS = frozenset({"GET", "HEAD"})


class _PageRoute(Route):
    """Matches only page loads: GET or HEAD, outside the API."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] not in PAGE_METHODS:
            return Match.NONE, {}
        if scope["path"].startswith("/api/"):
            return Match.NONE, {}
        return super().matches(scope)


async def _index(request: Request) -> Response:
    return FileResponse(INDEX, headers={"Cache-Control": "no-cache"})


def mount(app: FastAPI) -> None:
    """Serve the UI on ``app``; call after every other route is declared."""
    app.mount("/static", StaticFiles(directory=STATIC), name="ui-static")
    app.router.routes.append(
        _PageRoute("/{path:path}", _index, methods=list(PAGE_METHODS), include_in_schema=False)
    )
