"""The files of an execution (task outputs, FILE inputs) from internal storage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from headway.api.context import ServerContext, get_ctx
from headway.api.errors import ApiError
from headway.storage import StorageURI, execution_prefix

router = APIRouter(tags=["executions"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]


@router.get(
    "/executions/{execution_id}/file",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file"}},
)
async def execution_file(
    execution_id: str,
    ctx: Ctx,
    path: Annotated[str, Query(description="the file's kestra:/// URI")],
) -> Response:
    """Download one of the execution's files (an output file, a FILE input)."""
    execution = await ctx.execution(execution_id)
    prefix = execution_prefix(execution.namespace, execution.flow_id, execution.id)
    if not path.startswith(prefix):
        raise ApiError(422, f"query parameter 'path': '{path}' is not a file of this execution")
    StorageURI.parse(path)
    size = await ctx.storage.size(ctx.tenant, path)  # a missing file is a 404 here
    name = path.rsplit("/", 1)[-1]
    return StreamingResponse(
        ctx.storage.open(ctx.tenant, path),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(size),
        },
    )
