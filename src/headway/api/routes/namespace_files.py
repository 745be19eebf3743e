"""A namespace's files, as Kestra's API exposes them (``/namespaces/{namespace}/files``).

Paths are given in the ``path`` query parameter, from the namespace's root (``/scripts/a.py``
or ``scripts/a.py``). Files are uploaded as ``multipart/form-data`` with the field
``fileContent``. Listings and stats are Kestra's ``FileAttributes``: ``fileName``,
``lastModifiedTime`` and ``creationTime`` (epoch milliseconds; the creation time is the last
modification, which is all storage keeps), ``type`` (``File`` or ``Directory``), ``size``
and ``metadata``. Directories exist through the files under them.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, StrictBool
from starlette.datastructures import UploadFile

from headway.api.context import ServerContext, get_ctx
from headway.api.errors import BODY_RESPONSES, ApiError
from headway.api.requests import body_doc
from headway.errors import NotFoundError
from headway.server.gitops import file_summary
from headway.server.namespace_files import apply_files
from headway.storage import NamespaceEntry, NamespaceFileTree
from headway.storage.uris import namespace_file_path

router = APIRouter(tags=["namespace files"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]
FilePath = Annotated[str, Query(description="path from the namespace's root, e.g. /scripts/a.py")]
DirPath = Annotated[str, Query(description="a directory, from the namespace's root")]


def _tree(ctx: ServerContext, namespace: str) -> NamespaceFileTree:
    return NamespaceFileTree(ctx.storage, ctx.tenant, namespace)


def _attributes(entry: NamespaceEntry) -> dict[str, Any]:
    millis = int(entry.modified.timestamp() * 1000) if entry.modified else None
    return {
        "fileName": entry.name,
        "lastModifiedTime": millis,
        "creationTime": millis,
        "type": entry.type,
        "size": entry.size,
        "metadata": {},
    }


UPLOAD_BODY = body_doc(
    {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["fileContent"],
                "properties": {"fileContent": {"type": "string", "format": "binary"}},
            }
        }
    },
    required=True,
)
FILE_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}, "description": "The file"}
}


@router.get("/namespaces/{namespace}/files", response_class=Response, responses=FILE_CONTENT)
async def get_file(namespace: str, path: FilePath, ctx: Ctx) -> Response:
    """The content of a file."""
    data = await _tree(ctx, namespace).read(path)
    return Response(data, media_type="application/octet-stream")


@router.get("/namespaces/{namespace}/files/stats")
async def file_stats(namespace: str, ctx: Ctx, path: DirPath = "/") -> dict[str, Any]:
    """A file's or a directory's attributes."""
    return _attributes(await _tree(ctx, namespace).stats(path))


@router.get("/namespaces/{namespace}/files/directory")
async def list_directory(namespace: str, ctx: Ctx, path: DirPath = "/") -> list[dict[str, Any]]:
    """The files and directories directly in a directory (the root by default)."""
    return [_attributes(entry) for entry in await _tree(ctx, namespace).list(path)]


@router.post(
    "/namespaces/{namespace}/files",
    status_code=204,
    openapi_extra=UPLOAD_BODY,
    responses={415: BODY_RESPONSES[415]},
)
async def upload_file(namespace: str, path: FilePath, request: Request, ctx: Ctx) -> Response:
    """Create or replace a file with the multipart field ``fileContent``."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(415, "send the file as multipart/form-data, in the field 'fileContent'")
    async with request.form() as form:
        upload = form.get("fileContent")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "multipart field 'fileContent': a file is required")
        data = await upload.read()
    await _tree(ctx, namespace).write(path, data)
    return Response(status_code=204)


@router.delete("/namespaces/{namespace}/files", status_code=204)
async def delete_file(namespace: str, path: FilePath, ctx: Ctx) -> Response:
    """Delete a file, or a directory with everything under it."""
    if not await _tree(ctx, namespace).delete(path):
        raise NotFoundError(f"no file or directory '{path}' in namespace '{namespace}'")
    return Response(status_code=204)


@router.put("/namespaces/{namespace}/files", status_code=204)
async def move_file(
    namespace: str,
    ctx: Ctx,
    from_: Annotated[str, Query(alias="from", description="the file's path")],
    to: Annotated[str, Query(description="its new path")],
) -> Response:
    """Move (rename) a file."""
    tree = _tree(ctx, namespace)
    if namespace_file_path(from_) == namespace_file_path(to):
        return Response(status_code=204)
    data = await tree.read(from_)
    await tree.write(to, data)
    await tree.delete(from_)
    return Response(status_code=204)


class ApplyFile(BaseModel):
    path: str
    content: str  # base64


class ApplyFiles(BaseModel):
    files: list[ApplyFile]
    prune: StrictBool = False
    dryRun: StrictBool = False


@router.post("/namespaces/{namespace}/files/apply")
async def apply_namespace_files(namespace: str, body: ApplyFiles, ctx: Ctx) -> dict[str, Any]:
    """GitOps: make the namespace's files hold exactly these (with ``prune``, delete the
    others); with ``dryRun``, only say what would change. Contents are base64."""
    given: dict[str, bytes] = {}
    for item in body.files:
        try:
            given[namespace_file_path(item.path)] = base64.b64decode(item.content, validate=True)
        except ValueError:  # binascii.Error, or a str that is not ASCII
            raise ApiError(422, f"file '{item.path}': content is not base64") from None
    changes = await apply_files(_tree(ctx, namespace), given, prune=body.prune, dry_run=body.dryRun)
    return {
        "dryRun": body.dryRun,
        "summary": file_summary(changes),
        "changes": [c.to_json() for c in changes],
    }
