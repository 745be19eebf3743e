"""The log lines of a running task are committed while it runs, not only at its end."""

from __future__ import annotations

import asyncio
from pathlib import Path

from headway.engine.engine import Engine
from headway.engine.flows import FlowRepository, LocalFlow
from headway.flows.loader import parse_flow
from headway.plugins.base import Outputs, RunContext, RunnableTask
from headway.plugins.core import PLUGINS as CORE
from headway.plugins.flowable import PLUGINS as FLOWABLE
from headway.plugins.registry import Registry
from headway.settings import Settings
from headway.state import State
from headway.store import open_store


class Chatty(RunnableTask):
    """Logs, waits, logs again."""

    type_name = "test.chatty"

    async def run(self, ctx: RunContext) -> Outputs | None:
        ctx.log("INFO", "first line")
        await asyncio.sleep(1.2)
        ctx.log("INFO", "last line")
        return None


FLOW = """
id: chatty
namespace: tests
tasks:
  - id: talk
    type: test.chatty
"""


async def test_logs_of_a_running_task_can_be_read_before_it_ends(tmp_path: Path) -> None:
    registry = Registry([*CORE, *FLOWABLE, Chatty])
    store = open_store(f"sqlite:///{tmp_path / 'headway.db'}")
    await store.open()
    flow = parse_flow(FLOW, task_types=registry)
    repo = FlowRepository(store, registry, local={("tests", "chatty"): LocalFlow(FLOW, "f")})
    engine = Engine(
        store, Settings.load({"home": tmp_path}, environ={}), registry=registry, flows=repo
    )
    await engine.start()
    try:
        latest, revision = await repo.latest(flow.namespace, flow.id)
        created = await engine.executor.create_execution(latest, revision, {})
        seen_while_running = False
        for _ in range(50):
            await asyncio.sleep(0.05)
            execution = await store.get_execution(created.id)
            assert execution is not None
            messages = [e.message for _, e in await store.list_logs(created.id)]
            if "first line" in messages and not execution.current.terminal:
                seen_while_running = True
                break
        assert seen_while_running
        done = await engine.wait(created.id)
        assert done.current is State.SUCCESS
        messages = [e.message for _, e in await store.list_logs(created.id)]
        assert messages.count("first line") == 1 and messages.count("last line") == 1
    finally:
        await engine.stop()
        await store.close()
