"""The contract of internal storage, kept by every backend (the ``storage`` fixture runs each
test on the local directory and on an S3-compatible server), and a TaskRun's scoped view."""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.storage import (
    FileNotFoundInStorage,
    LocalStorage,
    NamespaceFiles,
    Storage,
    StorageError,
    TaskRunFiles,
)

URI = "kestra:///company/team/f/executions/ex1/tasks/t/tr1/out.txt"
PREFIX = "kestra:///company/team/f/executions/ex1/"


async def test_put_and_get_bytes(storage: Storage) -> None:
    assert await storage.put("main", URI, b"hello") == 5
    assert await storage.get("main", URI) == b"hello"
    assert await storage.size("main", URI) == 5
    assert await storage.exists("main", URI)


async def test_the_local_layout(tmp_path: Path) -> None:
    await LocalStorage(tmp_path / "storage").put("main", URI, b"hello")
    assert (tmp_path / "storage/main/company/team/f/executions/ex1/tasks/t/tr1/out.txt").is_file()


async def test_put_a_local_file_and_stream_it(storage: Storage, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * 3_000_000)
    assert await storage.put("main", URI, source) == 3_000_000
    chunks = [chunk async for chunk in storage.open("main", URI)]
    assert len(chunks) == 3 and b"".join(chunks) == source.read_bytes()
    target = tmp_path / "copy" / "big.bin"
    assert await storage.download("main", URI, target) == 3_000_000
    assert target.read_bytes() == source.read_bytes()


async def test_put_replaces(storage: Storage) -> None:
    await storage.put("main", URI, b"one")
    await storage.put("main", URI, b"two")
    assert await storage.get("main", URI) == b"two"


async def test_a_missing_source_file_is_a_clear_error(storage: Storage, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"cannot read .*nope"):
        await storage.put("main", URI, tmp_path / "nope")


async def test_missing_files(storage: Storage) -> None:
    with pytest.raises(FileNotFoundInStorage, match="no file kestra:///"):
        await storage.get("main", URI)
    with pytest.raises(FileNotFoundInStorage):
        await storage.size("main", URI)
    with pytest.raises(FileNotFoundInStorage):
        [chunk async for chunk in storage.open("main", URI)]
    assert not await storage.exists("main", URI)
    assert not await storage.delete("main", URI)


async def test_tenants_are_apart(storage: Storage) -> None:
    await storage.put("main", URI, b"main's")
    assert not await storage.exists("other", URI)
    with pytest.raises(StorageError, match="invalid tenant"):
        await storage.get("..", URI)


async def test_list_delete_and_delete_prefix(storage: Storage) -> None:
    other = "kestra:///company/team/f/executions/ex1/inputs/data/in.csv"
    elsewhere = "kestra:///company/team/f/executions/ex2/inputs/data/in.csv"
    for uri in (URI, other, elsewhere):
        await storage.put("main", uri, b"x")
    assert await storage.list("main", PREFIX) == [other, URI]
    assert await storage.delete("main", URI)
    assert await storage.list("main", PREFIX) == [other]
    assert await storage.delete_prefix("main", PREFIX) == 1
    assert await storage.list("main", PREFIX) == []
    assert await storage.exists("main", elsewhere)
    assert await storage.list("main", "kestra:///nothing/") == []


async def test_list_files_gives_sizes_and_dates(storage: Storage) -> None:
    await storage.put("main", URI, b"12345")
    [info] = await storage.list_files("main", PREFIX)
    assert (info.uri, info.size) == (URI, 5)
    assert info.modified.tzinfo is not None
    # A prefix is a whole segment: ex1 does not list ex10.
    await storage.put("main", URI.replace("/ex1/", "/ex10/"), b"x")
    assert await storage.list("main", PREFIX) == [URI]
    assert len(await storage.list("main", "kestra:///")) == 2


async def test_a_parent_directory_escape_is_refused(storage: Storage) -> None:
    with pytest.raises(StorageError, match=r"'\.\.' segment"):
        await storage.put("main", "kestra:///company/../../../etc/x", b"x")
    with pytest.raises(StorageError, match=r"'\.\.' segment"):
        await storage.list("main", "kestra:///../")


async def test_the_whole_tenant_cannot_be_deleted(storage: Storage) -> None:
    with pytest.raises(StorageError, match="whole storage"):
        await storage.delete_prefix("main", "kestra:///")


def _files(storage: Storage, namespace: str = "company.team") -> TaskRunFiles:
    return TaskRunFiles(
        storage,
        "main",
        namespace,
        flow_id="f",
        execution_id="ex1",
        task_id="t",
        task_run_id="tr1",
    )


async def test_a_task_run_stores_its_own_files(storage: Storage) -> None:
    files = _files(storage)
    uri = await files.put_file("out.txt", b"data")
    assert uri == URI
    assert await files.read(uri) == b"data"
    assert await files.size(uri) == 4
    assert await files.exists(uri)


async def test_a_task_run_cannot_write_outside_its_prefix(storage: Storage) -> None:
    with pytest.raises(StorageError):
        await _files(storage).put_file("../../other/x", b"x")


async def test_another_namespaces_file_is_refused(storage: Storage) -> None:
    theirs = "kestra:///finance/f/executions/ex9/tasks/t/tr9/salaries.csv"
    await storage.put("main", theirs, b"secret")
    for files in (_files(storage), NamespaceFiles(storage, "main", "company.team")):
        with pytest.raises(StorageError, match="belongs to namespace 'finance'"):
            await files.read(theirs)
        with pytest.raises(StorageError, match="belongs to namespace 'finance'"):
            await files.exists(theirs)
    # Not a child namespace either: only the flow's own namespace.
    child = "kestra:///company/team/sub/f/executions/ex9/tasks/t/tr9/x"
    with pytest.raises(StorageError, match=r"belongs to namespace 'company\.team\.sub'"):
        await _files(storage).read(child)


async def test_stat(storage: Storage) -> None:
    await storage.put("main", URI, b"abc")
    info = await storage.stat("main", URI)
    assert (info.uri, info.size) == (URI, 3) and info.modified.tzinfo is not None
    with pytest.raises(FileNotFoundInStorage):
        await storage.stat("main", URI + ".missing")


async def test_a_task_run_deletes_and_purges_its_execution_files(storage: Storage) -> None:
    files = _files(storage)
    uri = await files.put_file("out.txt", b"data")
    other = await files.put_file("deep/er.txt", b"more")
    elsewhere = "kestra:///company/team/f/executions/ex2/tasks/t/tr1/out.txt"
    await storage.put("main", elsewhere, b"x")
    assert await files.delete(uri) and not await files.delete(uri)
    assert await files.purge_execution() == [other]
    assert await storage.list("main", PREFIX) == []
    assert await storage.exists("main", elsewhere)
    assert b"".join([chunk async for chunk in files.open(elsewhere)]) == b"x"
