"""How the UI is served, without a browser: its files under /static, index.html for the
client-side routes, and the API's own answers left alone."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from headway import web
from headway.api import errors


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    errors.install(app)

    @app.get("/api/v1/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    web.mount(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://headway") as http:
        yield http


@pytest.mark.parametrize("path", ["/", "/flows", "/flows/demo/hello", "/executions/abc"])
async def test_pages_answer_with_the_index(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/js/app.js">' in response.text


async def test_assets_are_served_from_the_package(client: httpx.AsyncClient) -> None:
    for path in ["/static/js/app.js", "/static/css/app.css", "/static/favicon.svg"]:
        response = await client.get(path)
        assert response.status_code == 200, path
    assert "javascript" in (await client.get("/static/js/app.js")).headers["content-type"]
    assert (await client.get("/static/js/nope.js")).status_code == 404


async def test_every_module_the_app_imports_exists() -> None:
    """No build step: each relative import of each module names a file in the package."""
    root = web.STATIC / "js"
    for module in root.rglob("*.js"):
        for target in re.findall(r'from "(\.[^"]+)"', module.read_text()):
            assert (module.parent / target).resolve().is_file(), f"{module}: {target}"


async def test_the_api_keeps_its_answers(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/ping")).json() == {"pong": "yes"}
    missing = await client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Not Found"}
    # Only page loads fall back to the index: other methods are not taken by it.
    assert (await client.post("/flows")).status_code == 404
    assert (await client.delete("/")).status_code == 404
