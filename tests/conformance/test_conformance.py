"""Runs every flow of ``flows/`` and checks its execution against ``NAME.expect.yaml``, on
SQLite (a temporary store per flow) and on PostgreSQL (the test session's database, emptied
before each flow; skipped when PostgreSQL cannot be reached, unless
HEADWAY_REQUIRE_SERVICES=1)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from headway.store import Store
from headway.store.postgres import PostgresStore
from headway.testing import RunResult, run_flow
from postgres_db import PostgresDatabase

FLOWS = Path(__file__).parent / "flows"
CASES = sorted(p for p in FLOWS.glob("*.yaml") if not p.name.endswith(".expect.yaml"))
CASES = [p for p in CASES if p.with_suffix(".expect.yaml").exists()]


def _expectation(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.with_suffix(".expect.yaml").read_text())
    assert isinstance(data, dict) and "state" in data, f"{path.name}: expectation needs state"
    return data


def _task_run_key(tr: dict[str, Any], keys: list[str]) -> tuple[Any, ...]:
    return tuple(str(tr.get(k)) if tr.get(k) is not None else None for k in keys)


def check(result: RunResult, expect: dict[str, Any]) -> None:
    ex = result.execution.to_json()
    runs = ex["taskRunList"]
    summary = [(tr["taskId"], tr["value"], tr["state"]["current"]) for tr in runs]
    context = f"taskRuns={summary}\nlogs={result.messages()}"
    assert ex["state"]["current"] == expect["state"], context
    if "outputs" in expect:
        assert ex["outputs"] == expect["outputs"], context
    if "executionLabels" in expect:
        labels = {label["key"]: label["value"] for label in ex["labels"]}
        assert labels == expect["executionLabels"], context
    if "taskRuns" in expect:
        keys = ["taskId", "value", "state"]
        want = Counter(
            _task_run_key({**t, "state": t.get("state")}, keys) for t in expect["taskRuns"]
        )
        got = Counter(
            _task_run_key(
                {"taskId": tr["taskId"], "value": tr["value"], "state": tr["state"]["current"]},
                keys,
            )
            for tr in runs
        )
        assert got == want, context
    if "order" in expect:
        listed = set(expect["order"])
        created = [tr["taskId"] for tr in runs if tr["taskId"] in listed]
        assert created == expect["order"], context
    for ref, outputs in (expect.get("taskOutputs") or {}).items():
        task_id, _, value = ref.partition("[")
        got_outputs = result.outputs(task_id, value.rstrip("]") if value else None)
        assert got_outputs == outputs, f"{ref}: {got_outputs!r}\n{context}"
    for task_id, count in (expect.get("attempts") or {}).items():
        assert len(result.task_run(task_id).attempts) == count, context
    messages = result.messages()
    for text in expect.get("logs") or []:
        assert any(text in m for m in messages), f"no log contains {text!r}\n{context}"
    for text in expect.get("noLogs") or []:
        assert not any(text in m for m in messages), f"a log contains {text!r}\n{context}"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
async def test_conformance(path: Path) -> None:
    expect = _expectation(path)
    source, others = _sources(path, expect.get("flows") or [])
    result = await run_flow(source, expect.get("inputs"), flows=others, labels=expect.get("labels"))
    check(result, expect)


@pytest.fixture
async def postgres_store(postgres_database: PostgresDatabase) -> AsyncIterator[Store]:
    postgres_database.truncate()
    store = PostgresStore(postgres_database.url)
    await store.open()
    yield store
    await store.close()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
async def test_conformance_on_postgres(path: Path, postgres_store: Store) -> None:
    expect = _expectation(path)
    source, others = _sources(path, expect.get("flows") or [])
    result = await run_flow(
        source,
        expect.get("inputs"),
        flows=others,
        labels=expect.get("labels"),
        store=postgres_store,
    )
    check(result, expect)


def _sources(path: Path, flows: list[str]) -> tuple[str, dict[str, str]]:
    """The flow's YAML and that of the other flows it needs (subflows)."""
    return path.read_text(), {name: (FLOWS / name).read_text() for name in flows}


def test_every_flow_is_a_case_or_a_subflow_of_one() -> None:
    """A flow file without an expectation must be called by a case (else it was forgotten)."""
    flows = {p.name for p in FLOWS.glob("*.yaml") if not p.name.endswith(".expect.yaml")}
    cases = {p.name for p in CASES}
    used = {name for p in CASES for name in _expectation(p).get("flows") or []}
    assert used <= flows, f"missing subflow files: {sorted(used - flows)}"
    assert flows - cases <= used, f"flows with no expectation: {sorted(flows - cases - used)}"
