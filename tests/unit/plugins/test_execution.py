from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from headway.errors import TaskFailure
from headway.plugins.core.execution import Fail, Labels

if TYPE_CHECKING:
    from conftest import FakeRunContext, TaskFactory


async def test_fail_without_condition_fails_with_the_default_message(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    with pytest.raises(TaskFailure) as failure:
        await make(Fail).run(ctx)
    assert failure.value.message == "Task failure"
    assert failure.value.retryable is True


async def test_fail_uses_its_error_message(ctx: FakeRunContext, make: TaskFactory) -> None:
    with pytest.raises(TaskFailure, match="Something went wrong"):
        await make(Fail, errorMessage="Something went wrong").run(ctx)


@pytest.mark.parametrize("condition", [True, "true", "True", "yes", 1, "fail", " x "])
async def test_fail_fails_when_the_condition_is_truthy(
    ctx: FakeRunContext, make: TaskFactory, condition: Any
) -> None:
    with pytest.raises(TaskFailure, match="bad input"):
        await make(Fail, condition=condition, errorMessage="bad input").run(ctx)


@pytest.mark.parametrize("condition", [False, "false", "False", "", "0", "-0", " false ", 0])
async def test_fail_passes_when_the_condition_is_falsy(
    ctx: FakeRunContext, make: TaskFactory, condition: Any
) -> None:
    assert await make(Fail, condition=condition).run(ctx) is None


def test_fail_accepts_a_condition_expression(make: TaskFactory) -> None:
    task = make(Fail, condition='{{ inputs.param == "fail" }}')
    assert task.condition == '{{ inputs.param == "fail" }}'


async def test_labels_from_a_map(ctx: FakeRunContext, make: TaskFactory) -> None:
    ctx.labels["existing"] = "kept"
    await make(Labels, labels={"customerId": "c-1", "count": 3, "vip": True}).run(ctx)
    assert ctx.labels == {"existing": "kept", "customerId": "c-1", "count": "3", "vip": "true"}


async def test_labels_from_a_list_of_key_value(ctx: FakeRunContext, make: TaskFactory) -> None:
    labels = [{"key": "order_id", "value": "o-1"}, {"key": "order_type", "value": 2}]
    await make(Labels, labels=labels).run(ctx)
    assert ctx.labels == {"order_id": "o-1", "order_type": "2"}


async def test_labels_from_an_expression_rendering_to_json(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    assert make(Labels, labels="{{ trigger.body.labels }}").labels == "{{ trigger.body.labels }}"
    await make(Labels, labels='[{"key": "a", "value": "b"}]').run(ctx)
    assert ctx.labels == {"a": "b"}


@pytest.mark.parametrize(
    "labels",
    [{"system.correlationId": "x"}, [{"key": "system.username", "value": "x"}]],
)
def test_labels_rejects_system_labels(make: TaskFactory, labels: Any) -> None:
    with pytest.raises(ValidationError, match="reserved"):
        make(Labels, labels=labels)


async def test_labels_rejects_a_system_label_rendered_at_run_time(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    task = make(Labels, labels={"{{ inputs.key }}": "v"})
    rendered = task.model_copy(update={"labels": {"system.readOnly": "v"}})
    with pytest.raises(TaskFailure, match="reserved"):
        await rendered.run(ctx)
    assert ctx.labels == {}


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"": "v"}, "must not be empty"),
        ({"k": None}, "label 'k' has no value"),
        ([{"key": "k"}], "value"),
        ([{"key": "k", "value": "v", "other": 1}], "other"),
        (42, "labels"),
    ],
)
def test_labels_rejects_malformed_labels(make: TaskFactory, labels: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make(Labels, labels=labels)


async def test_labels_fails_when_an_expression_was_left_unrendered(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    with pytest.raises(TaskFailure, match="did not render"):
        await make(Labels, labels="{{ trigger.body }}").run(ctx)
