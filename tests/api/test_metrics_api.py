"""Metrics recorded by scripts: on their TaskRun and through GET /metrics/{executionId}."""

from __future__ import annotations

from .conftest import Api

METRICS = """\
id: measured
namespace: demo
tasks:
  - id: count
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import headway
      from headway import Kestra
      headway.counter("rows", 42, {"table": "users"})
      Kestra.timer("load", 1.5)
      print('::{"metrics": [{"name": "bad", "type": "gauge", "value": 1}]}::')
"""


async def test_script_metrics_are_stored_and_shown(api: Api) -> None:
    await api.create_flow(METRICS)
    execution = await api.run("demo", "measured")
    assert execution["state"]["current"] == "SUCCESS", execution
    tr = execution["taskRunList"][0]
    assert tr["metrics"] == [
        {"name": "rows", "type": "counter", "value": 42, "tags": {"table": "users"}},
        {"name": "load", "type": "timer", "value": 1.5, "tags": {}},
    ]
    listed = (await api.client.get(f"/api/v1/metrics/{execution['id']}")).json()
    assert [(m["taskId"], m["name"], m["value"]) for m in listed] == [
        ("count", "rows", 42),
        ("count", "load", 1.5),
    ]
    logs = (await api.client.get(f"/api/v1/logs/{execution['id']}")).json()
    assert any("metric ignored" in e["message"] and "gauge" in e["message"] for e in logs)
    missing = await api.client.get("/api/v1/metrics/nope")
    assert missing.status_code == 404
