"""Namespace files: a directory tree per namespace, on every backend of internal storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.storage import (
    FileNotFoundInStorage,
    NamespaceFiles,
    NamespaceFileTree,
    Storage,
    StorageError,
)


@pytest.fixture
def tree(storage: Storage) -> NamespaceFileTree:
    return NamespaceFileTree(storage, "main", "company.team")


async def test_write_read_and_kestras_layout(tree: NamespaceFileTree, storage: Storage) -> None:
    assert await tree.write("/scripts/etl.py", b"print('hi')") == 11
    assert await tree.read("scripts/etl.py") == b"print('hi')"
    assert await tree.read("/scripts/etl.py") == b"print('hi')"
    uri = "kestra:///company/team/_files/scripts/etl.py"
    assert tree.uri("scripts/etl.py") == uri
    assert await storage.get("main", uri) == b"print('hi')"
    assert await tree.exists("scripts/etl.py") and not await tree.exists("scripts")
    assert await tree.size("scripts/etl.py") == 11


async def test_list_a_directory(tree: NamespaceFileTree) -> None:
    for path in ("README.md", "scripts/a.py", "scripts/lib/b.py", "queries/q.sql"):
        await tree.write(path, path.encode())
    root = await tree.list("/")
    assert [(e.path, e.type) for e in root] == [
        ("queries", "Directory"),
        ("scripts", "Directory"),
        ("README.md", "File"),
    ]
    scripts = await tree.list("scripts")
    assert [(e.path, e.name, e.type) for e in scripts] == [
        ("scripts/lib", "lib", "Directory"),
        ("scripts/a.py", "a.py", "File"),
    ]
    assert [e.size for e in scripts] == [0, len(b"scripts/a.py")]
    assert await tree.paths() == ["README.md", "queries/q.sql", "scripts/a.py", "scripts/lib/b.py"]
    assert [e.path for e in await tree.files("scripts")] == ["scripts/a.py", "scripts/lib/b.py"]


async def test_stats(tree: NamespaceFileTree) -> None:
    await tree.write("scripts/a.py", b"abc")
    file = await tree.stats("/scripts/a.py")
    assert (file.path, file.type, file.size) == ("scripts/a.py", "File", 3)
    assert file.modified is not None
    directory = await tree.stats("scripts")
    assert (directory.path, directory.type) == ("scripts", "Directory")
    assert (await tree.stats("/")).type == "Directory"
    with pytest.raises(FileNotFoundInStorage, match="no namespace file 'nope' in namespace"):
        await tree.stats("nope")


async def test_delete_a_file_or_a_directory(tree: NamespaceFileTree) -> None:
    for path in ("a.txt", "dir/b.txt", "dir/sub/c.txt", "dirt/d.txt"):
        await tree.write(path, b"x")
    assert await tree.delete("a.txt") == 1
    assert await tree.delete("dir") == 2
    assert await tree.paths() == ["dirt/d.txt"]
    assert await tree.delete("nothing") == 0
    assert await tree.delete("/") == 1
    assert await tree.paths() == []


async def test_missing_files_and_directories(tree: NamespaceFileTree) -> None:
    with pytest.raises(
        FileNotFoundInStorage, match=r"no namespace file 'x\.txt' in namespace 'company\.team'"
    ):
        await tree.read("/x.txt")
    with pytest.raises(FileNotFoundInStorage, match="no directory 'dir'"):
        await tree.list("dir")
    assert await tree.list() == []
    await tree.write("f.txt", b"x")
    with pytest.raises(StorageError, match=r"'f\.txt' is a file of namespace 'company\.team', not"):
        await tree.list("f.txt")


async def test_a_file_and_a_directory_cannot_share_a_path(tree: NamespaceFileTree) -> None:
    await tree.write("dir/a.txt", b"x")
    with pytest.raises(StorageError, match="'dir' is a directory"):
        await tree.write("dir", b"y")
    with pytest.raises(StorageError, match=r"'dir/a\.txt' is a file"):
        await tree.write("dir/a.txt/b.txt", b"y")


@pytest.mark.parametrize("path", ["../x", "a/../../x", "a//b", "/", ""])
async def test_bad_paths_are_refused(tree: NamespaceFileTree, path: str) -> None:
    with pytest.raises(StorageError):
        await tree.write(path, b"x")


async def test_bad_namespaces_are_refused(storage: Storage) -> None:
    for namespace in ("", "../etc", "Company", "a..b", "a/b"):
        with pytest.raises(StorageError, match="invalid namespace"):
            NamespaceFileTree(storage, "main", namespace)


async def test_namespaces_are_apart(storage: Storage, tmp_path: Path) -> None:
    mine = NamespaceFileTree(storage, "main", "company.team")
    child = NamespaceFileTree(storage, "main", "company.team.sub")
    await mine.write("a.txt", b"mine")
    await child.write("a.txt", b"child's")
    assert await mine.read("a.txt") == b"mine"
    assert await mine.paths() == ["a.txt"]
    # A flow reads its own namespace's files by URI, not another's.
    files = NamespaceFiles(storage, "main", "company.team")
    assert await files.read("kestra:///company/team/_files/a.txt") == b"mine"
    with pytest.raises(StorageError, match=r"belongs to namespace 'company\.team\.sub'"):
        await files.read("kestra:///company/team/sub/_files/a.txt")
    assert await files.namespace_files.read("a.txt") == b"mine"
    target = tmp_path / "copy.txt"
    assert await mine.download("a.txt", target) == 4 and target.read_bytes() == b"mine"
