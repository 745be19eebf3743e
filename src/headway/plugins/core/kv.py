"""KV Set, Get and Delete: a namespace's key-value store, from a flow."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, field_validator

from headway.errors import TaskFailure
from headway.flows.tasks import Duration, Dynamic, is_template
from headway.plugins.base import KVStore, Outputs, RunContext, RunnableTask
from headway.plugins.core.kv_types import KVType, check_key, to_kv_type
from headway.plugins.core.rendered import rendered


def _check_key(value: str) -> str:
    if not is_template(value):
        check_key(value)
    return value


def _key_at_run(key: str) -> str:
    try:
        check_key(key)
    except ValueError as exc:
        raise TaskFailure(str(exc), retryable=False) from exc
    return key


class _KVTask(RunnableTask):
    """Properties shared by the KV tasks."""

    key: Annotated[str, AfterValidator(_check_key)]
    namespace: str | None = None

    def target(self, ctx: RunContext) -> tuple[str, str]:
        """(namespace, key); the namespace defaults to the flow's."""
        return self.namespace or ctx.namespace, _key_at_run(self.key)


class KVSet(_KVTask):
    """Create or update a key-value pair in a namespace's KV store (by default the flow's).

    With ``kvType`` the value is checked and converted (a number, a boolean, an ISO-8601
    date-time, date or duration, or JSON text parsed); without it the value is stored as given.
    With ``overwrite: false`` the task fails if the key already holds a live value.
    ``kvDescription`` is accepted for compatibility with Kestra; it is not stored yet.
    """

    type_name = "kv.set"
    aliases = ("io.kestra.plugin.core.kv.Set",)

    value: Any
    overwrite: Dynamic[bool] = True
    ttl: Dynamic[Duration] | None = None
    kv_type: Dynamic[KVType] | None = None
    kv_description: str | None = None

    @field_validator("value")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("a value is required (null given)")
        return value

    @field_validator("ttl")
    @classmethod
    def _positive(cls, value: timedelta | str | None) -> timedelta | str | None:
        if isinstance(value, timedelta) and value <= timedelta(0):
            raise ValueError("the ttl must be a positive duration")
        return value

    async def run(self, ctx: RunContext) -> Outputs | None:
        namespace, key = self.target(ctx)
        overwrite = rendered(self.overwrite, bool, "overwrite")
        ttl = None if self.ttl is None else rendered(self.ttl, timedelta, "ttl")
        value = self.value
        if self.kv_type is not None:
            try:
                value = to_kv_type(value, self.kv_type)
            except ValueError as exc:
                raise TaskFailure(f"KV key '{key}': {exc}", retryable=False) from exc
        stored = await ctx.kv.put(namespace, key, value, ttl=ttl, overwrite=overwrite)
        if not stored and not overwrite:
            raise TaskFailure(
                f"KV key '{key}' already exists in namespace '{namespace}' and overwrite is false"
            )
        return None


async def _get_inherited(kv: KVStore, namespace: str, key: str) -> Any | None:
    """The value in ``namespace``, else in its nearest parent namespace that has one."""
    while True:
        value = await kv.get(namespace, key)
        if value is not None or "." not in namespace:
            return value
        namespace = namespace.rsplit(".", 1)[0]


class KVGet(_KVTask):
    """Read the value of a key from a namespace's KV store (by default the flow's).

    When reading the flow's own namespace, a key missing there is looked up in its parent
    namespaces (``company.team`` then ``company``). A missing key gives a null ``value``,
    or fails the task with ``errorOnMissing: true``.
    """

    type_name = "kv.get"
    aliases = ("io.kestra.plugin.core.kv.Get",)

    error_on_missing: Dynamic[bool] = False

    async def run(self, ctx: RunContext) -> Outputs | None:
        namespace, key = self.target(ctx)
        if namespace == ctx.namespace:
            value = await _get_inherited(ctx.kv, namespace, key)
        else:
            value = await ctx.kv.get(namespace, key)
        if value is None and rendered(self.error_on_missing, bool, "errorOnMissing"):
            raise TaskFailure(
                f"no value found for KV key '{key}' in namespace '{namespace}' "
                "and errorOnMissing is true"
            )
        return {"value": value}


class KVDelete(_KVTask):
    """Delete a key from a namespace's KV store (by default the flow's).

    The output ``deleted`` says whether the key held a value; with ``errorOnMissing: true``
    a missing key fails the task.
    """

    type_name = "kv.delete"
    aliases = ("io.kestra.plugin.core.kv.Delete",)

    error_on_missing: Dynamic[bool] = False

    async def run(self, ctx: RunContext) -> Outputs | None:
        namespace, key = self.target(ctx)
        deleted = await ctx.kv.delete(namespace, key)
        if not deleted and rendered(self.error_on_missing, bool, "errorOnMissing"):
            raise TaskFailure(
                f"no value found for KV key '{key}' in namespace '{namespace}' "
                "and errorOnMissing is true"
            )
        return {"deleted": deleted}
