"""kestra:/// URIs: Kestra's layout, and what is refused."""

from __future__ import annotations

import pytest

from headway.storage import StorageError, StorageURI, input_file_uri, task_file_uri
from headway.storage.uris import checked_name, segments, slugify


def test_a_task_file_uri_has_kestras_layout() -> None:
    uri = task_file_uri("company.team", "My_Flow", "ex1", "first task", "tr1", "out.txt")
    assert uri == "kestra:///company/team/my_flow/executions/ex1/tasks/first-task/tr1/out.txt"
    parsed = StorageURI.parse(uri)
    assert parsed.namespace == "company.team"
    assert parsed.execution_id == "ex1"
    assert parsed.owner == ("tasks", "first-task", "tr1")
    assert parsed.name == "out.txt"


def test_an_input_file_uri_has_kestras_layout() -> None:
    uri = input_file_uri("company", "f", "ex1", "data", "rows.csv")
    assert uri == "kestra:///company/f/executions/ex1/inputs/data/rows.csv"
    parsed = StorageURI.parse(uri)
    assert (parsed.namespace, parsed.owner, parsed.name) == (
        "company",
        ("inputs", "data"),
        "rows.csv",
    )


def test_a_file_name_may_hold_directories() -> None:
    uri = task_file_uri("a.b", "f", "ex", "t", "tr", "out/part-1.csv")
    assert StorageURI.parse(uri).name == "out/part-1.csv"


@pytest.mark.parametrize(
    "uri",
    [
        "kestra:///company/f/executions/ex/tasks/t/tr/../../../../other/secret.txt",
        "kestra:///company/f/executions/ex/tasks/t/tr/./x",
        "kestra:///company//f/executions/ex/inputs/i/x",
        "kestra:///company/f/executions/ex/inputs/i/a\\b",
        "kestra:///company/f/executions/ex/inputs/i/a\x00b",
    ],
)
def test_unsafe_uris_are_refused(uri: str) -> None:
    with pytest.raises(StorageError, match=r"segment|backslash"):
        StorageURI.parse(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "file:///etc/passwd",
        "/etc/passwd",
        "kestra://company/f/executions/ex/inputs/i/x",  # a host, not a path
        "kestra:///company/f/out.txt",
        "kestra:///company/f/executions/ex/tasks/t/tr",  # no file name
        "kestra:///company/f/executions/ex/other/t/x",
        "kestra:///executions/ex/inputs/i/x",  # no namespace
    ],
)
def test_uris_outside_the_layout_are_refused(uri: str) -> None:
    with pytest.raises(StorageError):
        StorageURI.parse(uri)


@pytest.mark.parametrize("name", ["", "/abs", "../up", "a/../../b", "a\\b"])
def test_unsafe_file_names_are_refused(name: str) -> None:
    with pytest.raises(StorageError):
        checked_name(name)


def test_a_prefix_may_end_with_a_slash() -> None:
    assert segments("kestra:///company/f/") == ["company", "f"]


def test_slugify_is_kestras() -> None:
    assert slugify("Hello World") == "hello-world"
    assert slugify("café_1") == "cafe_1"
    assert slugify("a -- b") == "a-b"
