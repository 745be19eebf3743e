"""Subflow: start an execution of another flow and (by default) wait for it."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from headway.plugins.base import Advance, FlowableContext, FlowableTask, SubflowRequest
from headway.state import State


class Subflow(FlowableTask):
    """Start an execution of `namespace`.`flowId` with `inputs`; with `wait` (default) end
    with its state (FAILED only with `transmitFailed`) and expose its `outputs`."""

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
            labels = self.labels
            if isinstance(labels, list):
                labels = {item["key"]: item["value"] for item in labels}
            return Advance(
                subflow=SubflowRequest(
                    namespace=ctx.render(self.namespace),
                    flow_id=ctx.render(self.flow_id),
                    revision=self.revision,
                    inputs=ctx.render(self.inputs),
                    labels={k: str(v) for k, v in ctx.render(labels).items()},
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
        if state.failed:
            end = State.FAILED if self.transmit_failed else State.WARNING
            ctx.log(
                "WARN" if end is State.WARNING else "ERROR",
                f"subflow execution {child_id} ended {state.value}",
            )
            return Advance(done=end, outputs=outputs)
        return Advance(
            done=State.WARNING if state is State.WARNING else State.SUCCESS, outputs=outputs
        )
