"""Rendering expressions for the engine: the expression language plus the functions that
need the engine (``kv``, ``secret``, ``render``, ``errorLogs``, and the internal storage
functions ``read``, ``fileSize``, ``fileExists``, which take a ``kestra:///`` URI or the
path of a namespace file).

Rendering is synchronous. Functions that need the store or internal storage call it
through :class:`StoreBridge`, which only works off the event loop's thread: a value that
uses them is rendered in a thread (:func:`needs_io` tells which values do).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from headway import expressions
from headway.errors import ExpressionError
from headway.execution import utcnow
from headway.storage import (
    NamespaceFiles,
    Storage,
    StorageError,
    is_storage_uri,
    namespace_file_uri,
)
from headway.store.base import Store

T = TypeVar("T")

# A render that calls the store holds its thread while it waits for the event loop, and the
# loop's own blocking work (internal storage) runs in the default executor: renders get
# threads of their own, or enough of them at once would hold every default thread and wait
# for one (a deadlock seen with many subflows reading files at once).
_RENDER_THREADS = ThreadPoolExecutor(max_workers=32, thread_name_prefix="headway-render")

IO_FUNCTIONS = ("kv(", "errorLogs(", "read(", "fileSize(", "fileExists(")


def needs_io(value: Any) -> bool:
    """Whether rendering ``value`` may call a function that reads the store."""
    if isinstance(value, str):
        return any(name in value for name in IO_FUNCTIONS)
    if isinstance(value, dict):
        return any(needs_io(k) or needs_io(v) for k, v in value.items())
    if isinstance(value, list):
        return any(needs_io(v) for v in value)
    return False


class StoreBridge:
    """Runs store coroutines from a rendering thread on the engine's event loop."""

    def __init__(
        self, store: Store, loop: asyncio.AbstractEventLoop, storage: Storage | None = None
    ) -> None:
        self.store = store
        self.loop = loop
        self.storage = storage

    def call(self, make: Callable[[Store], Coroutine[Any, Any, T]]) -> T:
        return self.run(make(self.store))

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the engine's loop and wait for its result."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            work.close()
            raise ExpressionError("this function cannot be used here (it needs the store)")
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()


class Renderer:
    """Renders values against one set of variables, with the engine's functions."""

    def __init__(
        self,
        variables: Mapping[str, Any],
        *,
        secrets: Mapping[str, str],
        bridge: StoreBridge | None = None,
        tenant: str = "main",
        execution_id: str | None = None,
    ) -> None:
        self.variables = variables
        self._secrets = secrets
        self._bridge = bridge
        self._tenant = tenant
        self._execution_id = execution_id
        self.functions: dict[str, Callable[..., Any]] = {
            "secret": self._secret,
            "render": self._render_function,
            "kv": self._kv,
            "errorLogs": self._error_logs,
            "currentEachOutput": self._current_each_output,
            "read": self._read,
            "fileSize": self._file_size,
            "fileExists": self._file_exists,
        }

    def render(self, value: Any) -> Any:
        return expressions.render_value(value, self.variables, self.functions)

    def render_typed(self, template: str) -> Any:
        return expressions.render_typed(template, self.variables, self.functions)

    def truthy(self, value: Any) -> bool:
        if isinstance(value, str):
            value = self.render_typed(value)
        return expressions.truthy(value)

    async def render_async(self, value: Any) -> Any:
        """Render, in a thread when the value calls a function that needs the store."""
        if needs_io(value):
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(_RENDER_THREADS, self.render, value)
        return self.render(value)

    # --- functions ---------------------------------------------------------------------------
    def _secret(self, name: str) -> str:
        try:
            return self._secrets[name]
        except KeyError:
            raise ExpressionError(
                f"secret '{name}' is not set (set SECRET_{name} base64-encoded, "
                f"or HEADWAY_SECRET_{name})"
            ) from None

    def _render_function(self, value: Any, recursive: bool = True) -> Any:
        if not isinstance(value, str):
            return value
        out = expressions.render(value, self.variables, self.functions)
        while recursive and expressions.is_template(out) and out != value:
            value, out = out, expressions.render(out, self.variables, self.functions)
        return out

    def _kv(self, key: str, namespace: str | None = None, errorOnMissing: bool = True) -> Any:
        if self._bridge is None:
            raise ExpressionError("kv() is not available here")
        ns = namespace or self.variables["flow"]["namespace"]
        entry = self._bridge.call(lambda s: s.kv_get(self._tenant, ns, key, utcnow()))
        if entry is None:
            if errorOnMissing:
                raise ExpressionError(f"kv(): no key '{key}' in namespace '{ns}'")
            return None
        return entry.value

    def _current_each_output(self, outputs: Any) -> Any:
        """The outputs of a task for the loop iteration being run: ``outputs.t`` indexed by
        the loop values from the outermost parent to this TaskRun (Kestra's
        ``currentEachOutput(outputs.t)``)."""
        values: list[Any] = [p["taskrun"]["value"] for p in reversed(self._get("parents", []))]
        values.append(self._get("taskrun", {}).get("value"))
        node = outputs
        for value in values:
            if isinstance(node, dict) and value is not None and value in node:
                node = node[value]
        return node

    def _get(self, name: str, default: Any) -> Any:
        try:
            return self.variables[name]
        except KeyError:
            return default

    def _error_logs(self) -> list[dict[str, Any]]:
        if self._bridge is None or self._execution_id is None:
            raise ExpressionError("errorLogs() is not available here")
        execution_id = self._execution_id
        logs = self._bridge.call(lambda s: s.list_logs(execution_id, min_level="ERROR"))
        return [entry.to_json() for _, entry in logs]

    # --- internal storage ------------------------------------------------------------------
    def _files(self, function: str, uri: Any) -> tuple[StoreBridge, NamespaceFiles, str]:
        if self._bridge is None or self._bridge.storage is None:
            raise ExpressionError(f"{function}() is not available here")
        if not isinstance(uri, str):
            raise ExpressionError(f"{function}(): expected a kestra:/// URI or a path, got {uri!r}")
        namespace = self.variables["flow"]["namespace"]
        files = NamespaceFiles(self._bridge.storage, self._tenant, namespace)
        try:
            if not is_storage_uri(uri):  # a namespace file of the flow's namespace
                uri = namespace_file_uri(namespace, uri)
            files.check(uri)
        except StorageError as exc:
            raise ExpressionError(exc.message) from None
        return self._bridge, files, uri

    def _read(self, uri: Any) -> str:
        bridge, files, checked = self._files("read", uri)
        try:
            data = bridge.run(files.read(checked))
        except StorageError as exc:
            raise ExpressionError(exc.message) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ExpressionError(f"{checked} is not UTF-8 text") from None

    def _file_size(self, uri: Any) -> int:
        bridge, files, checked = self._files("fileSize", uri)
        try:
            return bridge.run(files.size(checked))
        except StorageError as exc:
            raise ExpressionError(exc.message) from None

    def _file_exists(self, uri: Any) -> bool:
        bridge, files, checked = self._files("fileExists", uri)
        try:
            return bridge.run(files.exists(checked))
        except StorageError as exc:
            raise ExpressionError(exc.message) from None
