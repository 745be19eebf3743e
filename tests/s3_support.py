"""The S3-compatible test server (moto) of the storage contract tests, for tests elsewhere:
``from s3_support import S3`` (tests/unit/storage/s3_server.py, loaded by path: its folder
is not importable from the other test folders)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def _load() -> ModuleType:
    path = Path(__file__).parent / "unit" / "storage" / "s3_server.py"
    spec = importlib.util.spec_from_file_location("headway_tests_s3_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


S3 = _load()
