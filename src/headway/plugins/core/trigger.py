"""Toggle: enable or disable a trigger of a flow from a flow."""

from __future__ import annotations

from headway.errors import NotFoundError, TaskFailure
from headway.flows.tasks import Dynamic
from headway.plugins.base import Outputs, RunContext, RunnableTask


class Toggle(RunnableTask):
    """Enable (`enabled: true`) or disable a trigger of a flow (this flow by default)."""

    type_name = "trigger.toggle"
    aliases = ("io.kestra.plugin.core.trigger.Toggle", "io.kestra.core.tasks.trigger.Toggle")

    trigger: str
    enabled: Dynamic[bool] = False
    namespace: str | None = None
    flow_id: str | None = None

    async def run(self, ctx: RunContext) -> Outputs | None:
        namespace = self.namespace or ctx.namespace
        flow_id = self.flow_id or ctx.flow_id
        try:
            await ctx.triggers.set_disabled(namespace, flow_id, self.trigger, not self.enabled)
        except NotFoundError as exc:
            raise TaskFailure(exc.message, retryable=False) from None
        state = "enabled" if self.enabled else "disabled"
        ctx.log("INFO", f"trigger '{self.trigger}' of {namespace}.{flow_id} {state}")
        return None
