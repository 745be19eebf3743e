"""Subflow: start an execution of another flow and (by default) wait for it."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from headway.plugins.base import Advance, FlowableContext, FlowableTask, SubflowRequest
from headway.state import State


class Subflow(FlowableTask):
    """Start an execution of `namespace`.`flowId` with `inputs`; with `wait` (default) end
    with its state when it fails or warns and `transmitFailed` (default), else in SUCCESS,
    and expose its `outputs`."""

    type_name = "subflow"
    aliases = (
        "io.kestra.plugin.core.flow.Subflow",
        "io.kestra.core.tasks.flows.Subflow",
        "io.kestra.core.tasks.flows.Flow",
    )

    namespace: str
    flow_id: str = Field(validation_alias=AliasChoices("flowId"))
    revision: int | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, str] | list[dict[str, str]] = Field(default_factory=dict)
    wait: bool = True
    transmit_failed: bool = True
    inherit_labels: bool = False

    def advance(self, ctx: FlowableContext) -> Advance:
        extra = ctx.task_run.extra
        if "subflowRequested" not in extra:
            given = self.labels
            if isinstance(given, list):
                given = {item["key"]: item["value"] for item in given}
            labels = {k: str(v) for k, v in ctx.render(given).items()}
            if self.inherit_labels:
                labels = {**ctx.render_typed("{{ labels }}"), **labels}
            return Advance(
                subflow=SubflowRequest(
                    namespace=ctx.render(self.namespace),
                    flow_id=ctx.render(self.flow_id),
                    revision=self.revision,
                    inputs=ctx.render(self.inputs),
                    labels=labels,
                    wait=self.wait,
                )
            )
        if "subflowError" in extra:
            return Advance(done=State.FAILED)
        child_id = extra.get("executionId")
        if child_id is None:
            return Advance()
        if not self.wait:
            return Advance(done=State.SUCCESS, outputs={"executionId": child_id})
        child_state = extra.get("subflowState")
        if child_state is None:
            return Advance()
        state = State(child_state)
        outputs = {
            "executionId": child_id,
            "state": state.value,
            "outputs": extra.get("subflowOutputs") or {},
        }
        # As Kestra: with transmitFailed, a FAILED, KILLED or WARNING child ends this task in
        # the same state; otherwise (or for any other end) the task succeeds.
        end = State.SUCCESS
        if self.transmit_failed and state in (State.FAILED, State.KILLED, State.WARNING):
            end = state
        if state is not State.SUCCESS:
            ctx.log(
                "WARN" if end is not State.FAILED else "ERROR",
                f"subflow execution {child_id} ended {state.value}",
            )
        return Advance(done=end, outputs=outputs)
