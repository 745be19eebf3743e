"""Fixtures of the storage tests: every backend of internal storage, the S3 one on a local
S3-compatible server (moto's) started once for the session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from headway.storage import LocalStorage, S3Config, S3Storage, Storage

from .s3_server import ACCESS_KEY, REGION, SECRET_KEY, create_bucket, s3_server

_buckets = itertools.count()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        yield endpoint


def s3_storage(endpoint: str) -> S3Storage:
    """A backend on a new, empty bucket of the test server."""
    bucket = f"headway-test-{next(_buckets)}"
    create_bucket(endpoint, bucket)
    return S3Storage(
        S3Config(
            bucket=bucket,
            endpoint=endpoint,
            region=REGION,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
        )
    )


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """Each backend in turn: the contract every backend keeps."""
    if request.param == "local":
        return LocalStorage(tmp_path / "storage")
    endpoint: str = request.getfixturevalue("s3_endpoint")
    return s3_storage(endpoint)
