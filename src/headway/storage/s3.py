"""Internal storage in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage, ...).

``kestra:///company/team/f/executions/ID/...`` of tenant ``main`` is the object
``main/company/team/f/executions/ID/...`` of the bucket. boto3 is blocking: every call runs
in a thread, so the event loop never waits on the network. An object is written in one
request (or one multipart upload), so a reader never sees half a file.

The access key and secret are given to boto3 only; they are never logged nor shown (the
settings hold the secret with ``repr=False``). boto3 is imported when first used, so that
the local backend never pays for its import.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from headway.storage.base import CHUNK_SIZE, FileInfo, Storage
from headway.storage.uris import SCHEME, FileNotFoundInStorage, StorageError, segments

T = TypeVar("T")

_MISSING = ("404", "NoSuchKey", "NotFound")


@dataclass(frozen=True)
class S3Config:
    """Where the bucket is and how to reach it."""

    bucket: str
    endpoint: str = ""
    region: str = ""
    access_key: str = ""
    secret_key: str = field(default="", repr=False)


class S3Storage(Storage):
    def __init__(self, config: S3Config) -> None:
        if not config.bucket:
            raise StorageError("S3 storage needs a bucket (HEADWAY_STORAGE_S3_BUCKET)")
        if config.endpoint and not config.endpoint.startswith(("http://", "https://")):
            raise StorageError(
                f"S3 endpoint {config.endpoint!r} must be an http:// or https:// URL "
                "(HEADWAY_STORAGE_S3_ENDPOINT)"
            )
        self.config = config
        self._client: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        """The boto3 client, made once (boto3 clients are safe to share between threads)."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                c = self.config
                self._client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=c.endpoint or None,
                    region_name=c.region or None,
                    aws_access_key_id=c.access_key or None,
                    aws_secret_access_key=c.secret_key or None,
                    config=Config(
                        retries={"max_attempts": 3, "mode": "standard"},
                        # MinIO, Ceph, Garage... serve buckets as paths, not host names.
                        s3={"addressing_style": "path" if c.endpoint else "auto"},
                    ),
                )
            return self._client

    def key_of(self, tenant: str, uri: str, *, what: str = "URI") -> str:
        """The object key of a URI (a prefix ends with ``/``), under the tenant's prefix."""
        if tenant in ("", ".", "..") or "/" in tenant or "\\" in tenant:
            raise StorageError(f"invalid tenant {tenant!r}")
        key = "/".join([tenant, *segments(uri, what=what)])
        return key + "/" if what == "prefix" else key

    async def put(self, tenant: str, uri: str, source: bytes | Path) -> int:
        key = self.key_of(tenant, uri)
        bucket = self.config.bucket

        def upload() -> int:
            client = self.client()
            if isinstance(source, bytes):
                client.put_object(Bucket=bucket, Key=key, Body=source)
                return len(source)
            try:
                size = source.stat().st_size
                handle = source.open("rb")
            except OSError as exc:
                raise StorageError(f"cannot read {source}: {exc.strerror or exc}") from exc
            with handle:
                client.upload_fileobj(handle, bucket, key)
            return size

        return await self._call(uri, upload)

    async def get(self, tenant: str, uri: str) -> bytes:
        key = self.key_of(tenant, uri)

        def read() -> bytes:
            body = self.client().get_object(Bucket=self.config.bucket, Key=key)["Body"]
            with body:
                data: bytes = body.read()
            return data

        return await self._call(uri, read)

    async def open(self, tenant: str, uri: str) -> AsyncIterator[bytes]:
        key = self.key_of(tenant, uri)
        response = await self._call(
            uri, lambda: self.client().get_object(Bucket=self.config.bucket, Key=key)
        )
        body = response["Body"]
        try:
            while chunk := await self._call(uri, lambda: body.read(CHUNK_SIZE)):
                yield chunk
        finally:
            body.close()

    async def download(self, tenant: str, uri: str, target: Path) -> int:
        key = self.key_of(tenant, uri)

        def fetch() -> int:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                self.client().download_fileobj(self.config.bucket, key, out)
            return target.stat().st_size

        return await self._call(uri, fetch)

    async def size(self, tenant: str, uri: str) -> int:
        return (await self.stat(tenant, uri)).size

    async def stat(self, tenant: str, uri: str) -> FileInfo:
        key = self.key_of(tenant, uri)

        def head() -> FileInfo:
            head = self.client().head_object(Bucket=self.config.bucket, Key=key)
            return FileInfo(uri, int(head["ContentLength"]), head["LastModified"])

        return await self._call(uri, head)

    async def exists(self, tenant: str, uri: str) -> bool:
        try:
            await self.stat(tenant, uri)
        except FileNotFoundInStorage:
            return False
        return True

    async def delete(self, tenant: str, uri: str) -> bool:
        if not await self.exists(tenant, uri):
            return False
        key = self.key_of(tenant, uri)
        await self._call(
            uri, lambda: self.client().delete_object(Bucket=self.config.bucket, Key=key)
        )
        return True

    async def list_files(self, tenant: str, prefix: str) -> list[FileInfo]:
        key_prefix = self.key_of(tenant, prefix, what="prefix")

        def walk() -> list[FileInfo]:
            paginator = self.client().get_paginator("list_objects_v2")
            found: list[FileInfo] = []
            for page in paginator.paginate(Bucket=self.config.bucket, Prefix=key_prefix):
                for item in page.get("Contents", []):
                    path = item["Key"][len(tenant) + 1 :]
                    if path.endswith("/"):
                        continue  # a "directory" marker made by another tool
                    found.append(FileInfo(f"{SCHEME}/{path}", item["Size"], item["LastModified"]))
            return sorted(found, key=lambda info: info.uri)

        return await self._call(prefix, walk)

    async def delete_prefix(self, tenant: str, prefix: str) -> int:
        if not segments(prefix, what="prefix"):
            raise StorageError("refusing to delete the whole storage of a tenant")
        found = await self.list(tenant, prefix)
        keys = [self.key_of(tenant, uri) for uri in found]

        def remove() -> None:
            for start in range(0, len(keys), 1000):
                batch = [{"Key": key} for key in keys[start : start + 1000]]
                self.client().delete_objects(
                    Bucket=self.config.bucket, Delete={"Objects": batch, "Quiet": True}
                )

        await self._call(prefix, remove)
        return len(found)

    async def _call(self, uri: str, work: Callable[[], T]) -> T:
        """Run a blocking boto3 call in a thread; translate its errors into storage errors."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await asyncio.to_thread(work)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in _MISSING:
                raise FileNotFoundInStorage(f"no file {uri} in internal storage") from None
            message = error.get("Message") or code
            raise StorageError(f"{uri}: S3 bucket '{self.config.bucket}': {message}") from None
        except BotoCoreError as exc:
            raise StorageError(f"{uri}: S3 bucket '{self.config.bucket}': {exc}") from None
