"""The webhook and trigger routes of the API, on a real engine and SQLite, through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from headway.api.app import create_app
from headway.api.context import ServerContext
from headway.engine.engine import Engine
from headway.settings import Settings
from headway.store import open_store

HOOKED = """\
id: hooked
namespace: demo
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body.text }}"
outputs:
  - id: text
    type: STRING
    value: "{{ trigger.body.text }} {{ trigger.parameters.p[0] }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: "{{ secret('HOOK') }}"
    wait: true
    returnOutputs: true
  - id: plain
    type: io.kestra.plugin.core.trigger.Webhook
    key: plain-key
  - id: daily
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 6 * * *"
"""


@dataclass
class Api:
    client: httpx.AsyncClient
    ctx: ServerContext


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    settings = Settings.load({"home": tmp_path}, environ={"HEADWAY_SECRET_HOOK": "k3y"})
    store = open_store(settings.database_url)
    await store.open()
    engine = Engine(store, settings)
    await engine.start()
    await store.save_flow("main", "demo", "hooked", HOOKED)
    ctx = ServerContext(engine, settings, components={"executor": True, "worker": True})
    transport = httpx.ASGITransport(app=create_app(ctx))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://headway") as client:
            yield Api(client, ctx)
    finally:
        await engine.stop()
        await store.close()


async def test_a_webhook_with_wait_returns_the_outputs(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/executions/webhook/demo/hooked/k3y?p=q", json={"text": "hello"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"text": "hello q"}


async def test_a_webhook_without_wait_returns_the_created_execution(api: Api) -> None:
    for method in ("GET", "PUT"):
        response = await api.client.request(
            method, "/api/v1/executions/webhook/demo/hooked/plain-key"
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["flowId"] == "hooked" and body["trigger"]["id"] == "plain"


@pytest.mark.parametrize(
    "path", ["demo/hooked/wrong", "demo/missing/k3y", "other/hooked/k3y", "demo/hooked/daily"]
)
async def test_an_unknown_webhook_is_404_without_saying_which_part(api: Api, path: str) -> None:
    response = await api.client.post(f"/api/v1/executions/webhook/{path}", json={})
    assert response.status_code == 404
    assert response.json()["message"] == "no webhook matches this namespace, flow and key"


async def test_a_webhook_body_over_the_limit_is_413(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headway.scheduler import webhooks

    monkeypatch.setattr(webhooks, "MAX_BODY_BYTES", 10)
    response = await api.client.post(
        "/api/v1/executions/webhook/demo/hooked/plain-key", content=b"x" * 11
    )
    assert response.status_code == 413
    assert "larger than 10 bytes" in response.json()["message"]


async def test_triggers_search_disable_unlock_and_backfill(api: Api) -> None:
    found = (await api.client.get("/api/v1/triggers/search", params={"namespace": "demo"})).json()
    assert found["total"] == 3
    assert [t["triggerContext"]["triggerId"] for t in found["results"]] == [
        "hook",
        "plain",
        "daily",
    ]
    assert found["results"][2]["abstractTrigger"]["cron"] == "0 6 * * *"
    ref = {"namespace": "demo", "flowId": "hooked", "triggerId": "plain"}
    disabled = await api.client.put("/api/v1/triggers", json={**ref, "disabled": True})
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    hook = await api.client.post("/api/v1/executions/webhook/demo/hooked/plain-key")
    assert hook.status_code == 404  # a disabled webhook is not found
    unlocked = await api.client.post("/api/v1/triggers/demo/hooked/plain/unlock")
    assert unlocked.status_code == 200 and unlocked.json()["executionId"] is None

    daily = {"namespace": "demo", "flowId": "hooked", "triggerId": "daily"}
    backfill = {"start": "2024-05-01T00:00:00Z", "end": "2024-05-03T00:00:00Z",
                "labels": [{"key": "why", "value": "replay"}]}  # fmt: skip
    created = await api.client.put("/api/v1/triggers", json={**daily, "backfill": backfill})
    assert created.status_code == 200, created.text
    assert created.json()["backfill"]["currentDate"] == "2024-05-01T06:00:00.000000Z"
    again = await api.client.put("/api/v1/triggers", json={**daily, "backfill": backfill})
    assert again.status_code == 409
    paused = await api.client.put("/api/v1/triggers/backfill/pause", json=daily)
    assert paused.json()["backfill"]["paused"] is True
    resumed = await api.client.put("/api/v1/triggers/backfill/unpause", json=daily)
    assert resumed.json()["backfill"]["paused"] is False
    deleted = await api.client.post("/api/v1/triggers/backfill/delete", json=daily)
    assert deleted.json()["backfill"] is None
    not_schedule = await api.client.put("/api/v1/triggers", json={**ref, "backfill": backfill})
    assert not_schedule.status_code == 400
    assert "only schedules can be backfilled" in not_schedule.json()["message"]
    missing = await api.client.post("/api/v1/triggers/demo/hooked/nope/unlock")
    assert missing.status_code == 404
    assert missing.json()["message"] == "flow 'demo.hooked' has no trigger 'nope'"
