"""How ForEachItem splits its items into batch files, and how its definition is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from headway.errors import TaskFailure
from headway.plugins.flowable.foreach_item import (
    Batch,
    ForEachItem,
    parse_size,
    split_file,
    splitting_rule,
)


def split(tmp_path: Path, text: bytes, **batch: object) -> list[bytes]:
    source = tmp_path / "items.csv"
    source.write_bytes(text)
    rule = splitting_rule(Batch.model_validate(batch))
    separator = str(batch.get("separator", "\n"))
    count = split_file(source, tmp_path / "out", rule, separator, ".csv")
    return [(tmp_path / "out" / f"{i}.csv").read_bytes() for i in range(count)]


def test_rows_default_to_one_per_batch(tmp_path: Path) -> None:
    assert split(tmp_path, b"a\nb\nc\n") == [b"a\n", b"b\n", b"c\n"]


def test_rows_per_batch_and_a_last_shorter_batch(tmp_path: Path) -> None:
    assert split(tmp_path, b"1\n2\n3\n4\n5", rows=2) == [b"1\n2\n", b"3\n4\n", b"5\n"]


def test_lines_end_as_java_reads_them_and_the_separator_is_written(tmp_path: Path) -> None:
    parts = split(tmp_path, b"a\r\nb\rc\n", rows=3, separator=";")
    assert parts == [b"a;b;c;"]


def test_bytes_start_a_new_batch_once_one_is_full(tmp_path: Path) -> None:
    # Each row is 4 bytes with its newline: a batch takes rows until it holds 8 bytes.
    parts = split(tmp_path, b"aaa\nbbb\nccc\nddd\neee\n", bytes="8")
    assert parts == [b"aaa\nbbb\n", b"ccc\nddd\n", b"eee\n"]


def test_partitions_deal_rows_in_turn_and_drop_empty_ones(tmp_path: Path) -> None:
    assert split(tmp_path, b"1\n2\n3\n4\n5\n", partitions=2) == [b"1\n3\n5\n", b"2\n4\n"]
    assert split(tmp_path, b"1\n", partitions=3) == [b"1\n"]


def test_a_pattern_groups_rows_by_its_first_group(tmp_path: Path) -> None:
    text = b"eu,1\nus,2\neu,3\nnone\n"
    assert split(tmp_path, text, regexPattern=r"^(\w+),") == [b"eu,1\neu,3\n", b"us,2\n"]


def test_an_empty_file_gives_no_batch(tmp_path: Path) -> None:
    assert split(tmp_path, b"") == []


def test_bytes_that_are_not_utf8_are_kept(tmp_path: Path) -> None:
    assert split(tmp_path, b"caf\xe9\nok\n") == [b"caf\xe9\n", b"ok\n"]


def test_precedence_is_kestras() -> None:
    rule = splitting_rule(Batch.model_validate({"rows": 5, "partitions": 2}))
    assert rule == ("partitions", 2)
    assert splitting_rule(Batch.model_validate({"rows": 5, "bytes": "1KB"})) == ("bytes", 1024)


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ({"rows": 0}, "batch.rows must be 1 or more"),
        ({"partitions": 0}, "batch.partitions must be 1 or more"),
        ({"bytes": "ten"}, "batch.bytes: invalid size 'ten'"),
        ({"regexPattern": "no group"}, "batch.regexPattern needs a group"),
        ({"regexPattern": "("}, "batch.regexPattern:"),
    ],
)
def test_bad_batches_fail_clearly(batch: dict[str, object], message: str) -> None:
    with pytest.raises(TaskFailure) as failure:
        splitting_rule(Batch.model_validate(batch))
    assert message in failure.value.message
    assert failure.value.retryable is False


def test_sizes_read_as_kestra_reads_them() -> None:
    assert parse_size("100") == 100
    assert parse_size("2KB") == 2048
    assert parse_size("10mb") == 10 * 1024 * 1024
    assert parse_size("1G") == 1024**3


BASE = {"id": "each", "type": "io.kestra.plugin.core.flow.ForEachItem", "items": "{{ x }}"}


def test_the_older_form_with_subflow_and_max_items_per_batch() -> None:
    task = ForEachItem.model_validate(
        {
            **BASE,
            "maxItemsPerBatch": 10,
            "subflow": {"namespace": "company.team", "flowId": "child", "wait": False},
        }
    )
    assert (task.namespace, task.flow_id, task.wait) == ("company.team", "child", False)
    assert task.batch.rows == 10
    ids = [t.id for tasks in task.child_task_lists() for t in tasks]
    assert ids == ["each_split", "each_items", "each_merge"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"subflow": {"namespace": "a", "flowId": "b", "nope": 1}}, "unknown key(s) ['nope']"),
        ({"namespace": "a", "subflow": {"namespace": "a", "flowId": "b"}}, "given both"),
        ({"subflow": "child"}, "subflow must be a mapping"),
        ({"namespace": "a"}, "flowId"),
    ],
)
def test_bad_definitions_are_refused(extra: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        ForEachItem.model_validate({**BASE, **extra})
    assert message in str(error.value)
