"""outputFiles globs match as Java's glob: matcher (Kestra's) does."""

from __future__ import annotations

import pytest

from headway.runners.base import FileNameError
from headway.runners.globs import checked_pattern, matches


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("out.txt", "out.txt", True),
        ("*.csv", "a.csv", True),
        ("*.csv", "dir/a.csv", False),
        ("**.csv", "dir/sub/a.csv", True),
        ("**/*.csv", "dir/a.csv", True),
        ("**/*.csv", "a.csv", False),
        ("dir/?.txt", "dir/a.txt", True),
        ("dir/?.txt", "dir/ab.txt", False),
        ("*.{csv,json}", "a.json", True),
        ("*.{csv,json}", "a.txt", False),
        ("[ab].txt", "b.txt", True),
        ("[!ab].txt", "b.txt", False),
        ("a+b(1).txt", "a+b(1).txt", True),
    ],
)
def test_matches(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


@pytest.mark.parametrize("pattern", ["", "/etc/*", "../*", "a/../../b", "a\\b"])
def test_patterns_escaping_the_working_dir_are_refused(pattern: str) -> None:
    with pytest.raises(FileNameError):
        checked_pattern(pattern)
