"""An API on a real engine and a temporary SQLite store, reached in-process through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from headway.api.app import create_app
from headway.api.context import ServerContext
from headway.engine.engine import Engine
from headway.settings import Settings
from headway.store import open_store

HELLO = """\
id: hello
namespace: demo
inputs:
  - id: name
    type: STRING
    defaults: World
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.name }}!"
outputs:
  - id: greeting
    type: STRING
    value: "Hello {{ inputs.name }}!"
"""


@dataclass
class Api:
    client: httpx.AsyncClient
    ctx: ServerContext

    async def create_flow(self, source: str) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/flows", content=source, headers={"Content-Type": "application/x-yaml"}
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def run(self, namespace: str, flow_id: str, **kwargs: Any) -> dict[str, Any]:
        params = {"wait": "true", **kwargs.pop("params", {})}
        response = await self.client.post(
            f"/api/v1/executions/{namespace}/{flow_id}", params=params, **kwargs
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    settings = Settings.load({"home": tmp_path}, environ={})
    store = open_store(settings.database_url)
    await store.open()
    engine = Engine(store, settings)
    await engine.start()
    ctx = ServerContext(engine, settings, components={"executor": True, "worker": True})
    transport = httpx.ASGITransport(app=create_app(ctx))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://headway") as client:
            yield Api(client, ctx)
    finally:
        await engine.stop()
        await store.close()
