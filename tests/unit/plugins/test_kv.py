from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from headway.errors import TaskFailure
from headway.plugins.core.kv import KVDelete, KVGet, KVSet

if TYPE_CHECKING:
    from conftest import FakeRunContext, TaskFactory


async def test_set_stores_in_the_flow_namespace(ctx: FakeRunContext, make: TaskFactory) -> None:
    assert await make(KVSet, key="orders_file", value="kestra:///a.csv").run(ctx) is None
    assert await ctx.kv.get("company.team", "orders_file") == "kestra:///a.csv"


async def test_set_stores_any_value_as_given(ctx: FakeRunContext, make: TaskFactory) -> None:
    await make(KVSet, key="k", value={"a": [1, 2]}, namespace="other").run(ctx)
    assert await ctx.kv.get("other", "k") == {"a": [1, 2]}


async def test_set_overwrites_by_default(ctx: FakeRunContext, make: TaskFactory) -> None:
    await ctx.kv.put("company.team", "k", "old")
    await make(KVSet, key="k", value="new").run(ctx)
    assert await ctx.kv.get("company.team", "k") == "new"


async def test_set_without_overwrite_fails_naming_the_key(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    await ctx.kv.put("company.team", "k", "old")
    message = r"KV key 'k' already exists in namespace 'company\.team' and overwrite is false"
    with pytest.raises(TaskFailure, match=message):
        await make(KVSet, key="k", value="new", overwrite=False).run(ctx)
    assert await ctx.kv.get("company.team", "k") == "old"


async def test_set_without_overwrite_writes_over_an_expired_key(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    await ctx.kv.put("company.team", "k", "old", ttl=timedelta(seconds=1))
    ctx.kv.now += timedelta(seconds=2)
    await make(KVSet, key="k", value="new", overwrite=False).run(ctx)
    assert await ctx.kv.get("company.team", "k") == "new"


async def test_set_with_ttl_expires(ctx: FakeRunContext, make: TaskFactory) -> None:
    await make(KVSet, key="k", value="v", ttl="PT1H").run(ctx)
    assert ctx.kv.expires_at("company.team", "k") == ctx.kv.now + timedelta(hours=1)
    ctx.kv.now += timedelta(hours=1)
    assert await ctx.kv.get("company.team", "k") is None


@pytest.mark.parametrize(
    ("kv_type", "value", "stored"),
    [
        ("STRING", "42", "42"),
        ("STRING", 42, "42"),
        ("STRING", True, "true"),
        ("NUMBER", "42", 42),
        ("NUMBER", "3.5", 3.5),
        ("NUMBER", 7, 7),
        ("BOOLEAN", "true", True),
        ("BOOLEAN", " FALSE ", False),
        ("BOOLEAN", False, False),
        ("DATETIME", "2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00Z"),
        ("DATETIME", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        ("DATETIME", "2024-05-01T10:00:00", "2024-05-01T10:00:00Z"),
        ("DATE", "2024-05-01", "2024-05-01"),
        ("DATE", "2024-05-01T10:00:00Z", "2024-05-01"),
        ("DURATION", "PT90M", "PT1H30M"),
        ("JSON", '{"a": [1, true]}', {"a": [1, True]}),
        ("JSON", [1, 2], [1, 2]),
    ],
)
async def test_set_converts_to_its_kv_type(
    ctx: FakeRunContext, make: TaskFactory, kv_type: str, value: Any, stored: Any
) -> None:
    await make(KVSet, key="k", value=value, kvType=kv_type).run(ctx)
    result = await ctx.kv.get("company.team", "k")
    assert result == stored
    assert type(result) is type(stored)


@pytest.mark.parametrize(
    ("kv_type", "value"),
    [
        ("NUMBER", "forty-two"),
        ("NUMBER", "true"),
        ("BOOLEAN", "yes"),
        ("DATETIME", "yesterday"),
        ("DATE", "01/05/2024"),
        ("DURATION", "1 hour"),
        ("JSON", "{not json"),
    ],
)
async def test_set_fails_on_a_value_not_of_its_kv_type(
    ctx: FakeRunContext, make: TaskFactory, kv_type: str, value: Any
) -> None:
    task = make(KVSet, key="k", value=value, kvType=kv_type)
    with pytest.raises(TaskFailure, match=f"KV key 'k': value .* is not a valid {kv_type}") as e:
        await task.run(ctx)
    assert e.value.retryable is False
    assert await ctx.kv.get("company.team", "k") is None


def test_set_accepts_expressions_for_dynamic_properties(make: TaskFactory) -> None:
    task = make(
        KVSet,
        key="{{ inputs.key }}",
        value="{{ outputs.x.uri }}",
        overwrite="{{ inputs.overwrite }}",
        ttl="{{ inputs.ttl }}",
        kvType="{{ inputs.type }}",
    )
    assert task.overwrite == "{{ inputs.overwrite }}"
    rendered = make(KVSet, key="k", value="v", overwrite="false", ttl="P1D", kvType="STRING")
    assert rendered.overwrite is False
    assert rendered.ttl == timedelta(days=1)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"key": "bad key", "value": "v"}, "invalid KV key 'bad key'"),
        ({"key": ".hidden", "value": "v"}, "invalid KV key"),
        ({"key": "k", "value": None}, "a value is required"),
        ({"key": "k"}, "value"),
        ({"key": "k", "value": "v", "ttl": "PT0S"}, "positive"),
        ({"key": "k", "value": "v", "kvType": "TEXT"}, "kvType"),
    ],
)
def test_set_rejects_bad_properties(make: TaskFactory, props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make(KVSet, **props)


async def test_get_outputs_the_value(ctx: FakeRunContext, make: TaskFactory) -> None:
    await ctx.kv.put("company.team", "k", {"a": 1})
    assert await make(KVGet, key="k").run(ctx) == {"value": {"a": 1}}


async def test_get_outputs_null_for_a_missing_key(ctx: FakeRunContext, make: TaskFactory) -> None:
    assert await make(KVGet, key="missing").run(ctx) == {"value": None}


async def test_get_fails_on_a_missing_key_with_error_on_missing(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    task = make(KVGet, key="missing", namespace="dev", errorOnMissing=True)
    with pytest.raises(TaskFailure, match="no value found for KV key 'missing' in namespace 'dev'"):
        await task.run(ctx)


async def test_get_looks_in_parent_namespaces_of_the_flow_namespace(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    await ctx.kv.put("company", "shared", "from parent")
    assert await make(KVGet, key="shared").run(ctx) == {"value": "from parent"}
    await ctx.kv.put("company.team", "shared", "own")
    assert await make(KVGet, key="shared", namespace="company.team").run(ctx) == {"value": "own"}


async def test_get_in_another_namespace_does_not_inherit(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    await ctx.kv.put("other", "k", "parent value")
    assert await make(KVGet, key="k", namespace="other.child").run(ctx) == {"value": None}


async def test_get_ignores_an_expired_key(ctx: FakeRunContext, make: TaskFactory) -> None:
    await ctx.kv.put("company.team", "k", "v", ttl=timedelta(minutes=1))
    ctx.kv.now += timedelta(minutes=2)
    assert await make(KVGet, key="k").run(ctx) == {"value": None}


async def test_delete_outputs_whether_it_deleted(ctx: FakeRunContext, make: TaskFactory) -> None:
    await ctx.kv.put("company.team", "k", "v")
    assert await make(KVDelete, key="k").run(ctx) == {"deleted": True}
    assert await ctx.kv.get("company.team", "k") is None
    assert await make(KVDelete, key="k").run(ctx) == {"deleted": False}


async def test_delete_fails_on_a_missing_key_with_error_on_missing(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    task = make(KVDelete, key="k", errorOnMissing=True)
    with pytest.raises(TaskFailure, match="no value found for KV key 'k'"):
        await task.run(ctx)


@pytest.mark.parametrize("cls", [KVGet, KVDelete])
def test_get_and_delete_validate_the_key(make: TaskFactory, cls: type[KVGet | KVDelete]) -> None:
    with pytest.raises(ValidationError, match="invalid KV key"):
        make(cls, key="a/b")
    assert make(cls, key="{{ inputs.k }}", errorOnMissing="{{ inputs.strict }}").key
