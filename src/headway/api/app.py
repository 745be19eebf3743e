"""The FastAPI application: every router under ``/api/v1`` (and ``/api/v1/{tenant}``, the
form of Kestra's newer paths), ``/health``, ``/metrics``, OpenAPI at
``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import PlainTextResponse

from headway import __version__, web
from headway.api import errors
from headway.api.auth import Access
from headway.api.context import ServerContext
from headway.api.metrics import CONTENT_TYPE, Metrics
from headway.api.routes import (
    audit,
    execution_files,
    executions,
    flows,
    kv,
    logs,
    meta,
    namespace_files,
    tokens,
    triggers,
    webhooks,
)

API = "/api/v1"
ROUTERS: list[APIRouter] = [
    flows.router,
    executions.router,
    logs.router,
    kv.router,
    execution_files.router,
    namespace_files.router,
    meta.router,
    audit.router,
    tokens.router,
    triggers.router,
    webhooks.router,
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
    methods = errors.install(app)
    access = Access(ctx.settings)  # every route's access control (headway.api.auth)
    tenant_api = f"{API}/{ctx.tenant}"
    for router in ROUTERS:
        methods.add(API, router)
        methods.add(tenant_api, router)
        app.include_router(
            router,
            prefix=API,
            dependencies=[access.dependency(API)],
            responses=errors.RESPONSES,
        )
        app.include_router(
            router,
            prefix=tenant_api,
            include_in_schema=False,
            dependencies=[access.dependency(tenant_api)],
        )
    metrics = Metrics(ctx)

    @app.get("/health", tags=["server"])
    async def health() -> dict[str, Any]:
        return {"status": "UP", "version": __version__, "components": sorted(ctx.components)}

    @app.get("/metrics", tags=["server"], response_class=PlainTextResponse)
    async def prometheus() -> Response:
        return Response(await metrics.render(), media_type=CONTENT_TYPE)

    web.mount(app)
    generate = app.openapi
    app.openapi = lambda: errors.errors_as_json(generate())  # type: ignore[method-assign]
    return app
