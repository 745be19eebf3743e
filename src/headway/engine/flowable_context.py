"""What a flowable task sees while the executor evaluates it: the engine's implementation
of :class:`headway.plugins.base.FlowableContext` over one :class:`Evaluation`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from headway.engine import scopes
from headway.engine.rendering import Renderer
from headway.execution import TaskRun
from headway.flows.tasks import TaskBase
from headway.plugins.base import Advance
from headway.state import State, worst

if TYPE_CHECKING:
    from headway.engine.evaluation import Evaluation


class EvaluationFlowableContext:
    """:class:`headway.plugins.base.FlowableContext` over an evaluation."""

    def __init__(self, evaluation: Evaluation, tr: TaskRun) -> None:
        self._ev = evaluation
        self._tr = tr
        self._renderer: Renderer | None = None

    @property
    def task_run(self) -> TaskRun:
        return self._tr

    @property
    def now(self) -> datetime:
        return self._ev.now

    def _r(self) -> Renderer:
        if self._renderer is None:
            self._renderer = self._ev.renderer(self._tr)
        return self._renderer

    def render(self, value: Any) -> Any:
        return self._r().render(value)

    def render_typed(self, template: str) -> Any:
        return self._r().render_typed(template)

    def truthy(self, value: Any) -> bool:
        return self._r().truthy(value)

    def children(self, value: str | None = None, *, any_value: bool = False) -> list[TaskRun]:
        view = self._ev.view
        if any_value:
            return view.children(self._tr.id)
        return view.children_with_value(self._tr.id, value)

    def memo(self) -> dict[str, Any]:
        return self._ev.view.memos.setdefault(self._tr.id, {})

    def sequential(
        self,
        tasks: list[TaskBase],
        *,
        value: str | None = None,
        iteration: int | None = None,
        errors: list[TaskBase] | None = None,
        finally_: list[TaskBase] | None = None,
    ) -> Advance:
        return scopes.sequential(
            self._ev.view,
            self._tr.id,
            tasks,
            value=value,
            iteration=iteration,
            errors=errors,
            finally_=finally_,
        )

    def parallel(
        self,
        tasks: list[TaskBase],
        *,
        value: str | None = None,
        iteration: int | None = None,
        concurrent: int = 0,
    ) -> Advance:
        return scopes.parallel(
            self._ev.view,
            self._tr.id,
            tasks,
            value=value,
            iteration=iteration,
            concurrent=concurrent,
        )

    def log(self, level: str, message: str) -> None:
        self._ev.log(level, message, self._tr)

    def resume_inputs(self) -> dict[str, Any] | None:
        resumed = self._tr.extra.get("resumed")
        return resumed if isinstance(resumed, dict) else None

    def worst(self, states: list[State]) -> State:
        return worst(states)
