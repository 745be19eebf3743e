"""Flow triggers, webhooks and the HTTP polling trigger on the real engine and SQLite: a
chain of flows passing outputs as inputs, an end recorded before a crash and evaluated by
the next scheduler, preconditions waiting for two flows, a webhook found by its secret key,
a poll against a local HTTP server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from headway.engine.engine import Engine
from headway.engine.flows import FlowRepository
from headway.execution import Execution
from headway.plugins.registry import default_registry
from headway.scheduler import ManualClock, Scheduler, webhooks
from headway.settings import Settings
from headway.state import State
from headway.store import open_store
from headway.store.base import ExecutionQuery

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


class Harness:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self.clock = ManualClock(T0)
        self.scheduler = Scheduler(self.store, engine.flows, engine.executor, clock=self.clock)

    async def save(self, source: str) -> None:
        namespace = source.split("namespace:")[1].split()[0]
        flow_id = source.split("id:")[1].split()[0]
        await self.store.save_flow("main", namespace, flow_id, source)

    async def run(self, flow_id: str, namespace: str = "chain") -> Execution:
        flow, revision = await self.engine.flows.latest(namespace, flow_id)
        created = await self.engine.executor.create_execution(flow, revision, {})
        return await asyncio.wait_for(self.engine.wait(created.id), 10)

    async def executions(self, flow_id: str) -> list[Execution]:
        found, _ = await self.store.search_executions(
            ExecutionQuery(flow_id=flow_id, descending=False, size=100)
        )
        return found


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    settings = Settings.load(
        {"home": tmp_path, "lease_seconds": 5.0},
        environ={"HEADWAY_SECRET_HOOK_KEY": "s3cr3t-key"},
    )
    store = open_store(f"sqlite:///{tmp_path / 'headway.db'}")
    await store.open()
    registry = default_registry()
    repo = FlowRepository(store, registry, tenant=settings.tenant)
    engine = Engine(store, settings, registry=registry, flows=repo)
    await engine.start()
    try:
        yield Harness(engine)
    finally:
        await engine.stop()
        await store.close()


UPSTREAM = """
id: extract
namespace: chain
tasks:
  - id: day
    type: io.kestra.plugin.core.debug.Return
    format: "2024-04-29"
outputs:
  - id: date
    type: STRING
    value: "{{ outputs.day.value }}"
"""

DOWNSTREAM = """
id: transform
namespace: chain
inputs:
  - id: date
    type: STRING
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.date }} from {{ trigger.executionId }}"
triggers:
  - id: after_extract
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      date: "{{ trigger.outputs.date }}"
    preconditions:
      id: upstream
      flows:
        - namespace: chain
          flowId: extract
          states: [SUCCESS]
"""


async def test_a_flow_trigger_chains_executions_with_outputs_as_inputs(harness: Harness) -> None:
    await harness.save(UPSTREAM)
    await harness.save(DOWNSTREAM)
    await harness.scheduler.tick()
    upstream = await harness.run("extract")
    assert upstream.current is State.SUCCESS
    assert await harness.scheduler.process_ended() == 1
    [downstream] = await harness.executions("transform")
    done = await asyncio.wait_for(harness.engine.wait(downstream.id), 10)
    assert done.current is State.SUCCESS
    assert done.inputs == {"date": "2024-04-29"}
    assert done.trigger is not None and done.trigger["variables"]["executionId"] == upstream.id
    assert done.trigger["variables"]["state"] == "SUCCESS"
    # Evaluated once: the end was acknowledged with what it triggered.
    assert await harness.scheduler.process_ended() == 1  # the downstream's own end
    assert len(await harness.executions("transform")) == 1


async def test_an_end_recorded_before_a_crash_is_evaluated_by_the_next_scheduler(
    harness: Harness,
) -> None:
    await harness.save(UPSTREAM)
    await harness.save(DOWNSTREAM)
    await harness.scheduler.tick()
    await harness.run("extract")  # recorded by the first scheduler's hook, never evaluated
    harness.engine.executor.end_hooks.clear()  # that scheduler is gone
    restarted = Scheduler(
        harness.store, harness.engine.flows, harness.engine.executor, clock=harness.clock
    )
    await restarted.tick()
    assert len(await harness.executions("transform")) == 1


FAILING = """
id: flaky
namespace: chain
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
"""

ON_FAILURE = """
id: alert
namespace: chain
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.flowId }} ended {{ trigger.state }}"
triggers:
  - id: on_failure
    type: io.kestra.plugin.core.trigger.Flow
    states: [FAILED, WARNING]
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionNamespace
        namespace: cha
        comparison: PREFIX
"""


async def test_states_and_conditions_select_the_executions(harness: Harness) -> None:
    await harness.save(UPSTREAM)
    await harness.save(FAILING)
    await harness.save(ON_FAILURE)
    await harness.scheduler.tick()
    await harness.run("extract")
    await harness.run("flaky")
    await harness.scheduler.process_ended()
    [alert] = await harness.executions("alert")
    assert alert.trigger is not None and alert.trigger["variables"]["flowId"] == "flaky"


BOTH = """
id: both
namespace: chain
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: both ran
triggers:
  - id: both_done
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: pair
      timeWindow:
        type: SLIDING_WINDOW
        window: PT1H
      flows:
        - {namespace: chain, flowId: extract, states: [SUCCESS]}
        - {namespace: chain, flowId: flaky}
"""


async def test_preconditions_wait_for_every_upstream_flow(harness: Harness) -> None:
    await harness.save(UPSTREAM)
    await harness.save(FAILING)
    await harness.save(BOTH)
    await harness.scheduler.tick()
    await harness.run("extract")
    await harness.run("extract")
    await harness.scheduler.process_ended()
    assert await harness.executions("both") == []
    await harness.run("flaky")
    await harness.scheduler.process_ended()
    assert len(await harness.executions("both")) == 1
    await harness.run("flaky")  # the window was reset when it fired
    await harness.scheduler.process_ended()
    assert len(await harness.executions("both")) == 1


HOOKED = """
id: hooked
namespace: chain
inputs:
  - id: severity
    type: INT
    defaults: 1
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body.alert }}"
outputs:
  - id: alert
    type: STRING
    value: "{{ trigger.body.alert }} / {{ trigger.parameters.source[0] }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: "{{ secret('HOOK_KEY') }}"
    inputs:
      severity: "{{ trigger.body.severity }}"
    conditions:
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ trigger.body.alert != 'ignore me' }}"
"""


async def test_a_webhook_is_found_by_its_secret_key_and_creates_its_execution(
    harness: Harness,
) -> None:
    await harness.save(HOOKED)
    env = harness.engine.env
    args = (harness.store, harness.engine.flows, env, "chain", "hooked")
    assert await webhooks.find_webhook(*args, "wrong") is None
    assert await webhooks.find_webhook(harness.store, harness.engine.flows, env, "chain",
                                       "nope", "s3cr3t-key") is None  # fmt: skip
    target = await webhooks.find_webhook(*args, "s3cr3t-key")
    assert target is not None and target.trigger.id == "hook"
    variables = webhooks.request_variables(
        b'{"alert": "disk full", "severity": 3}',
        {"Content-Type": ["application/json"]},
        {"source": ["pager"]},
    )
    assert variables["headers"] == {"content-type": ["application/json"]}
    execution = await webhooks.fire_webhook(harness.engine.executor, target, variables)
    assert execution is not None
    done = await asyncio.wait_for(harness.engine.wait(execution.id), 10)
    assert done.current is State.SUCCESS
    assert done.inputs == {"severity": 3}
    assert done.outputs == {"alert": "disk full / pager"}
    ignored = webhooks.request_variables(b'{"alert": "ignore me"}', {}, {})
    assert await webhooks.fire_webhook(harness.engine.executor, target, ignored) is None
    invalid = webhooks.request_variables(b'{"alert": "x", "severity": "high"}', {}, {})
    failed = await webhooks.fire_webhook(harness.engine.executor, target, invalid)
    assert failed is not None and failed.current is State.FAILED
    logs = [entry.message for _, entry in await harness.store.list_logs(failed.id)]
    assert "input 'severity'" in logs[0]


class _Price(BaseHTTPRequestHandler):
    price = 120

    def do_GET(self) -> None:
        body = f'{{"price": {type(self).price}}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def price_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Price)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/price"
    finally:
        server.shutdown()
        server.server_close()


def polled(uri: str) -> str:
    return f"""
id: polled
namespace: chain
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.body }}}}"
outputs:
  - id: price
    type: INT
    value: "{{{{ fromJson(trigger.body).price }}}}"
triggers:
  - id: http
    type: io.kestra.plugin.core.http.Trigger
    uri: {uri}
    responseCondition: "{{{{ fromJson(response.body).price <= 110 }}}}"
    interval: PT30S
    stopAfter: [SUCCESS]
"""


async def test_the_http_trigger_polls_until_its_condition_holds(
    harness: Harness, price_server: str
) -> None:
    await harness.save(polled(price_server))

    async def poll_at(moment: datetime) -> None:
        harness.clock.set(moment)
        await harness.scheduler.tick()
        for task in list(harness.scheduler.polls.values()):
            await asyncio.wait_for(task, 10)

    await poll_at(T0)
    assert await harness.executions("polled") == []
    state = await harness.store.get_trigger("main", "chain", "polled", "http")
    assert state is not None and state.next_date == T0 + timedelta(seconds=30)
    _Price.price = 100
    await poll_at(T0 + timedelta(seconds=10))  # not due yet
    assert await harness.executions("polled") == []
    await poll_at(T0 + timedelta(seconds=30))
    [execution] = await harness.executions("polled")
    done = await asyncio.wait_for(harness.engine.wait(execution.id), 10)
    assert done.current is State.SUCCESS and done.outputs == {"price": 100}
    assert done.trigger is not None and done.trigger["variables"]["code"] == 200
    await poll_at(T0 + timedelta(seconds=31))  # its end is seen: stopAfter SUCCESS
    state = await harness.store.get_trigger("main", "chain", "polled", "http")
    assert state is not None and state.disabled
    await poll_at(T0 + timedelta(minutes=5))
    assert len(await harness.executions("polled")) == 1


async def test_a_flow_trigger_whose_inputs_fail_to_render_creates_a_failed_execution(
    harness: Harness,
) -> None:
    await harness.save(UPSTREAM)
    await harness.save(DOWNSTREAM.replace("trigger.outputs.date", "trigger.outputs.missing"))
    await harness.scheduler.tick()
    await harness.run("extract")
    await harness.scheduler.process_ended()
    [failed] = await harness.executions("transform")
    assert failed.current is State.FAILED
    [(_, entry)] = await harness.store.list_logs(failed.id)
    assert entry.level == "ERROR"
    assert entry.message.startswith("trigger 'after_extract' could not create the execution:")
    assert "missing" in entry.message
