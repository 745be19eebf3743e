"""Size, Delete and PurgeCurrentExecutionFiles: files of internal storage looked at and
removed. Only files of the flow's own namespace can be reached."""

from __future__ import annotations

from headway.errors import TaskFailure
from headway.flows.tasks import Dynamic
from headway.plugins.base import Outputs, RunContext, RunnableTask
from headway.plugins.core.rendered import rendered
from headway.plugins.storage.files import checked_uri


class Size(RunnableTask):
    """The ``size`` in bytes of a file of internal storage."""

    type_name = "storage.size"
    aliases = ("io.kestra.plugin.core.storage.Size", "io.kestra.core.tasks.storages.Size")

    uri: str

    async def run(self, ctx: RunContext) -> Outputs | None:
        return {"size": await ctx.storage.size(checked_uri(self.uri, "uri"))}


class Delete(RunnableTask):
    """Delete a file of internal storage. Outputs its ``uri`` and whether it was
    ``deleted``; with ``errorOnMissing: true`` a missing file fails the task."""

    type_name = "storage.delete"
    aliases = ("io.kestra.plugin.core.storage.Delete", "io.kestra.core.tasks.storages.Delete")

    uri: str
    error_on_missing: Dynamic[bool] = False

    async def run(self, ctx: RunContext) -> Outputs | None:
        uri = checked_uri(self.uri, "uri")
        deleted = await ctx.storage.delete(uri)
        if not deleted and rendered(self.error_on_missing, bool, "errorOnMissing"):
            raise TaskFailure(f"no file {uri} to delete (errorOnMissing is true)")
        return {"uri": uri, "deleted": deleted}


class PurgeCurrentExecutionFiles(RunnableTask):
    """Delete every file of the current execution (its FILE inputs and the files of its
    tasks); output their ``uris``."""

    type_name = "storage.purge-current-execution-files"
    aliases = (
        "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles",
        "io.kestra.plugin.core.storage.PurgeExecution",
        "io.kestra.core.tasks.storages.PurgeExecution",
    )

    async def run(self, ctx: RunContext) -> Outputs | None:
        uris = await ctx.storage.purge_execution()
        ctx.log("INFO", f"deleted {len(uris)} file(s) of execution {ctx.execution_id}")
        return {"uris": uris}
