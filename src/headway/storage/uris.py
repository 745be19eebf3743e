"""``kestra:///`` URIs of internal storage, laid out as Kestra lays them out.

- a TaskRun's output file:
  ``kestra:///{namespace as path}/{flow}/executions/{execution}/tasks/{task}/{taskRun}/{name}``
- a FILE input:
  ``kestra:///{namespace as path}/{flow}/executions/{execution}/inputs/{input}/{name}``
- a namespace file: ``kestra:///{namespace as path}/_files/{path}``

The namespace ``company.team`` becomes the path ``company/team``; flow and task ids are
slugified (lower case, dashes) as Kestra does. A URI with ``.`` or ``..`` segments, empty
segments, a backslash or a control character, or one outside this layout, is refused with a
:class:`StorageError`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from headway.errors import HeadwayError

SCHEME = "kestra://"


class StorageError(HeadwayError):
    """Internal storage failed."""


class FileNotFoundInStorage(StorageError):
    """No such file in internal storage."""


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")


def slugify(value: str) -> str:
    """An id as a path segment, as Kestra's ``Slugify.of``: lower case, spaces as dashes,
    accents dropped, only letters, digits, ``_`` and ``-`` kept."""
    text = unicodedata.normalize("NFD", re.sub(r"\s", "-", value))
    text = re.sub(r"[^\w-]", "", text.encode("ascii", "ignore").decode()).lower()
    return re.sub(r"-{2,}", "-", text).strip("-") or "-"


def segments(uri: str, *, what: str = "URI") -> list[str]:
    """The path segments of a ``kestra:///`` URI (or prefix), checked to be safe."""
    if not isinstance(uri, str) or not uri.startswith(SCHEME + "/"):
        raise StorageError(f"{what} {uri!r} is not a kestra:/// URI of internal storage")
    path = uri[len(SCHEME) + 1 :]
    if _UNSAFE.search(path):
        raise StorageError(f"{what} {uri!r} holds a backslash or a control character")
    parts = path.split("/")
    if parts and parts[-1] == "":
        parts.pop()  # a prefix may end with '/'
    if any(part in ("", ".", "..") for part in parts):
        raise StorageError(f"{what} {uri!r} has an empty, '.' or '..' segment")
    return parts


@dataclass(frozen=True)
class StorageURI:
    """A parsed file URI of an execution: what it belongs to, and its file name."""

    uri: str
    namespace: str
    flow_slug: str
    execution_id: str
    # ("tasks", taskId slug, taskRunId) or ("inputs", inputId)
    owner: tuple[str, ...]
    name: str

    @classmethod
    def parse(cls, uri: str) -> StorageURI:
        parts = segments(uri)
        for i in range(2, len(parts)):
            if parts[i] != "executions" or len(parts) < i + 5:
                continue
            kind = parts[i + 2]
            owner_len = {"tasks": 3, "inputs": 2}.get(kind)
            if owner_len is None or len(parts) <= i + 2 + owner_len:
                continue
            return cls(
                uri=uri,
                namespace=".".join(parts[: i - 1]),
                flow_slug=parts[i - 1],
                execution_id=parts[i + 1],
                owner=tuple(parts[i + 2 : i + 2 + owner_len]),
                name="/".join(parts[i + 2 + owner_len :]),
            )
        raise StorageError(
            f"URI {uri!r} is not a file of an execution "
            "(kestra:///{namespace}/{flow}/executions/{id}/tasks|inputs/...)"
        )


def checked_name(name: str) -> str:
    """A file name (may hold ``/``) that stays under its prefix."""
    if not name or name.startswith("/"):
        raise StorageError(f"file name {name!r} must be a relative path")
    segments(f"{SCHEME}/{name}", what="file name")
    return name


def execution_prefix(namespace: str, flow_id: str, execution_id: str) -> str:
    ns_path = "/".join(namespace.split("."))
    return f"{SCHEME}/{ns_path}/{slugify(flow_id)}/executions/{execution_id}/"


def task_file_uri(
    namespace: str, flow_id: str, execution_id: str, task_id: str, task_run_id: str, name: str
) -> str:
    prefix = execution_prefix(namespace, flow_id, execution_id)
    uri = f"{prefix}tasks/{slugify(task_id)}/{task_run_id}/{checked_name(name)}"
    StorageURI.parse(uri)
    return uri


def input_file_uri(
    namespace: str, flow_id: str, execution_id: str, input_id: str, name: str
) -> str:
    prefix = execution_prefix(namespace, flow_id, execution_id)
    uri = f"{prefix}inputs/{input_id}/{checked_name(name)}"
    StorageURI.parse(uri)
    return uri


def is_storage_uri(value: object) -> bool:
    """Whether ``value`` is a string naming a file of internal storage (``kestra://...``)."""
    return isinstance(value, str) and value.startswith(SCHEME)


NAMESPACE_FILES = "_files"
_NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)*$")


def checked_namespace(namespace: str) -> str:
    """``namespace``, if it is a valid namespace name (``company.team``)."""
    if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
        raise StorageError(
            f"invalid namespace {namespace!r} (lower-case letters, digits, '_' and '-', "
            "in parts separated by dots)"
        )
    return namespace


def namespace_files_prefix(namespace: str) -> str:
    """The directory of a namespace's files: ``kestra:///{namespace as path}/_files/``."""
    return f"{SCHEME}/{'/'.join(checked_namespace(namespace).split('.'))}/{NAMESPACE_FILES}/"


def namespace_file_path(path: str) -> str:
    """A namespace file's path without its leading ``/`` (``/scripts/a.py`` ->
    ``scripts/a.py``); ``""`` for the root; refused if it could leave the namespace."""
    if not isinstance(path, str):
        raise StorageError(f"namespace file path {path!r} is not text")
    relative = path.strip().lstrip("/")
    if relative.rstrip("/") == "":
        return ""
    segments(f"{SCHEME}/{relative}", what="namespace file path")
    return relative.rstrip("/")


def namespace_file_uri(namespace: str, path: str) -> str:
    """The URI of a namespace file (``path`` relative to the namespace's root)."""
    relative = namespace_file_path(path)
    if not relative:
        raise StorageError("a namespace file needs a path (got the root '/')")
    return namespace_files_prefix(namespace) + relative


def namespace_of(uri: str) -> str:
    """The namespace a file of internal storage belongs to: an execution's file or a
    namespace file; a :class:`StorageError` for a URI of neither layout."""
    try:
        return StorageURI.parse(uri).namespace
    except StorageError:
        parts = segments(uri)
        if NAMESPACE_FILES in parts[1:-1]:
            return ".".join(parts[: parts.index(NAMESPACE_FILES)])
        raise StorageError(
            f"URI {uri!r} is not a file of an execution "
            "(kestra:///{namespace}/{flow}/executions/{id}/tasks|inputs/...) "
            "nor a namespace file (kestra:///{namespace}/_files/...)"
        ) from None
