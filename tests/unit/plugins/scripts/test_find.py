"""ProcessWorkspace.find: the files matching globs, walking only where they can match."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from headway.runners.process import ProcessRunner, _walk_starts


@pytest.mark.parametrize(
    ("patterns", "starts"),
    [
        (["*.csv"], [""]),
        (["out/**"], ["out"]),
        (["a/b/*.txt", "a/**"], ["a"]),
        (["x.txt", "d/e.txt"], [""]),
        (["d/{a,b}/x", "d/c/y"], ["d"]),
        (["d/*/x", "e/f/**"], ["d", "e/f"]),
    ],
)
def test_where_the_walk_starts(patterns: list[str], starts: list[str]) -> None:
    assert _walk_starts(patterns) == starts


async def test_find_in_subdirectories_and_at_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not mine")
    async with ProcessRunner().workspace() as ws:
        for name in ("a.txt", "out/b.txt", "out/deep/c.txt", "other/d.txt"):
            await ws.write(name, "x")
        os.symlink(outside, os.path.join(ws.working_dir, "out", "link.txt"))
        assert await ws.find(["out/**"]) == ["out/b.txt", "out/deep/c.txt"]
        assert await ws.find(["*.txt", "out/*.txt"]) == ["a.txt", "out/b.txt"]
        assert await ws.find(["missing/**"]) == []
        # Java's glob: "**/" needs a directory, so a.txt at the root is not matched.
        assert await ws.find(["**/*.txt"]) == [
            "other/d.txt",
            "out/b.txt",
            "out/deep/c.txt",
        ]
