"""The FastAPI application: every router under ``/api/v1`` (and ``/api/v1/{tenant}``, the
form of Kestra's newer paths), ``/health``, ``/metrics``, OpenAPI at
``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Response

from headway import __version__
from headway.api import errors
from headway.api.context import ServerContext
from headway.api.metrics import CONTENT_TYPE, Metrics
from headway.api.routes import executions, flows, kv, logs, namespace_files

API = "/api/v1"
ROUTERS: list[APIRouter] = [
    flows.router,
    executions.router,
    logs.router,
    kv.router,
    namespace_files.router,
]


def create_app(ctx: ServerContext) -> FastAPI:
    app = FastAPI(
        title="Headway",
        version=__version__,
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router, prefix=API)
        app.include_router(router, prefix=f"{API}/{ctx.tenant}", include_in_schema=False)
    metrics = Metrics(ctx)

    @app.get("/health", tags=["server"])
    async def health() -> dict[str, Any]:
        return {"status": "UP", "version": __version__, "components": sorted(ctx.components)}

    @app.get("/metrics", tags=["server"])
    async def prometheus() -> Response:
        return Response(await metrics.render(), media_type=CONTENT_TYPE)

    return app
