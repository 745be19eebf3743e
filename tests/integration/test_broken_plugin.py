"""Errors that are not Headway's: a plugin that raises a plain Python error fails its own
TaskRun (the flow goes on as after any failure); a bug of the engine while it evaluates an
execution fails that execution only, with the error in its logs."""

from __future__ import annotations

import pytest
from pydantic import Field

from headway.engine.evaluation import Evaluation
from headway.flows.tasks import Task, TaskBase
from headway.plugins.base import Advance, FlowableContext, FlowableTask
from headway.plugins.core import PLUGINS as CORE
from headway.plugins.flowable import PLUGINS as FLOWABLE
from headway.plugins.registry import Registry
from headway.state import State
from headway.testing import run_flow


class Broken(FlowableTask):
    """Raises while it is evaluated."""

    type_name = "test.broken"

    tasks: list[Task] = Field(default_factory=list)

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.tasks]

    def advance(self, ctx: FlowableContext) -> Advance:
        raise KeyError("a bug")


REGISTRY = Registry([*CORE, *FLOWABLE, Broken])

BROKEN = """
id: broken
namespace: tests
tasks:
  - id: before
    type: log
    message: before
  - id: oops
    type: test.broken
    tasks:
      - id: never
        type: log
        message: never
errors:
  - id: handled
    type: log
    message: "handled"
"""

FINE = """
id: fine
namespace: tests
tasks:
  - id: hello
    type: log
    message: still here
  - id: again
    type: log
    message: and here
"""


async def test_a_plugin_error_fails_its_task_run() -> None:
    result = await run_flow(BROKEN, registry=REGISTRY)
    assert result.state is State.FAILED
    assert result.task_run("before").current is State.SUCCESS
    assert result.task_run("oops").current is State.FAILED
    assert result.task_run("handled").current is State.SUCCESS
    assert not result.task_runs("never")
    assert "KeyError: 'a bug'" in result.messages("ERROR")
    assert any("Traceback" in m for m in result.messages("DEBUG"))


async def test_an_engine_error_fails_the_execution_and_the_engine_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = Evaluation.run

    def run(self: Evaluation, *, slot_free: bool = True) -> None:
        if self.view.flow.id == "fine" and self.view.execution.task_runs:
            raise RuntimeError("engine bug")
        original(self, slot_free=slot_free)

    monkeypatch.setattr(Evaluation, "run", run)
    result = await run_flow(FINE, registry=REGISTRY)
    assert result.state is State.FAILED
    assert result.task_run("hello").current is State.SUCCESS
    assert not result.task_runs("again")
    assert any("internal error: RuntimeError: engine bug" in m for m in result.messages())
    monkeypatch.setattr(Evaluation, "run", original)
    assert (await run_flow(FINE, registry=REGISTRY)).state is State.SUCCESS


async def test_an_event_that_cannot_be_applied_fails_the_execution_and_the_engine_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in the handler of an event raises again while the failed execution is ended:
    it is ended as stored, its events acknowledged without being applied."""
    original = Evaluation._on_result

    def on_result(self: Evaluation, payload: dict[str, object]) -> None:
        if self.view.flow.id == "fine":
            raise RuntimeError("result bug")
        original(self, payload)

    monkeypatch.setattr(Evaluation, "_on_result", on_result)
    result = await run_flow(FINE, registry=REGISTRY)
    assert result.state is State.FAILED
    assert result.task_run("hello").current is State.FAILED
    assert not result.task_runs("again")
    assert any("internal error: RuntimeError: result bug" in m for m in result.messages())
    monkeypatch.setattr(Evaluation, "_on_result", original)
    assert (await run_flow(FINE, registry=REGISTRY)).state is State.SUCCESS
