"""The Toggle task: a flow enables or disables a trigger, as the triggers API shows."""

from __future__ import annotations

from typing import Any

from .conftest import Api

TOGGLER = """\
id: toggler
namespace: demo
inputs:
  - id: enabled
    type: BOOLEAN
tasks:
  - id: switch
    type: io.kestra.plugin.core.trigger.Toggle
    trigger: nightly
    enabled: "{{ inputs.enabled }}"
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 3 * * *"
"""

OTHER = """\
id: other
namespace: demo
tasks:
  - id: switch
    type: io.kestra.plugin.core.trigger.Toggle
    flowId: toggler
    trigger: nope
"""


async def trigger_disabled(api: Api) -> Any:
    found = (await api.client.get("/api/v1/triggers/search", params={"flowId": "toggler"})).json()
    (trigger,) = found["results"]
    return trigger["triggerContext"]["disabled"]


async def test_toggle_disables_then_enables_a_trigger(api: Api) -> None:
    await api.create_flow(TOGGLER)
    off = await api.run("demo", "toggler", json={"enabled": False})
    assert off["state"]["current"] == "SUCCESS"
    assert await trigger_disabled(api) is True
    on = await api.run("demo", "toggler", json={"enabled": True})
    assert on["state"]["current"] == "SUCCESS"
    assert await trigger_disabled(api) is False


async def test_toggle_of_an_unknown_trigger_fails_clearly(api: Api) -> None:
    await api.create_flow(TOGGLER)
    await api.create_flow(OTHER)
    failed = await api.run("demo", "other")
    assert failed["state"]["current"] == "FAILED"
    logs = (await api.client.get(f"/api/v1/logs/{failed['id']}")).json()
    assert any("nope" in entry["message"] for entry in logs), logs
