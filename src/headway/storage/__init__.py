"""Internal storage: the files of executions (task output files, FILE inputs) and the
namespace files, addressed by ``kestra:///`` URIs laid out as Kestra lays them out.

:class:`Storage` is the interface, :class:`LocalStorage` the local directory backend
(``$HEADWAY_HOME/storage``, setting ``storage_dir``), :class:`S3Storage` the S3-compatible one
(``storage_type: s3``), :class:`TaskRunFiles` what one TaskRun may reach,
:class:`NamespaceFileTree` the namespace files of a namespace. Deleting an execution does not
delete its files yet.
"""

from __future__ import annotations

from pathlib import Path

from headway.settings import Settings
from headway.storage.base import FileInfo, FileUpload, Storage
from headway.storage.local import LocalStorage
from headway.storage.namespace_files import NamespaceEntry, NamespaceFileTree
from headway.storage.s3 import S3Config, S3Storage
from headway.storage.scoped import NamespaceFiles, TaskRunFiles
from headway.storage.uris import (
    SCHEME,
    FileNotFoundInStorage,
    StorageError,
    StorageURI,
    execution_prefix,
    input_file_uri,
    is_storage_uri,
    namespace_file_uri,
    namespace_of,
    task_file_uri,
)


def open_storage(settings: Settings | Path) -> Storage:
    """The storage the settings configure (``storage_type``); a path is a local directory."""
    if isinstance(settings, Path):
        return LocalStorage(settings)
    if settings.storage_type == "s3":
        return S3Storage(
            S3Config(
                bucket=settings.storage_s3_bucket,
                endpoint=settings.storage_s3_endpoint,
                region=settings.storage_s3_region,
                access_key=settings.storage_s3_access_key,
                secret_key=settings.storage_s3_secret_key,
            )
        )
    return LocalStorage(settings.storage_path)


__all__ = [
    "SCHEME",
    "FileInfo",
    "FileNotFoundInStorage",
    "FileUpload",
    "LocalStorage",
    "NamespaceEntry",
    "NamespaceFileTree",
    "NamespaceFiles",
    "S3Config",
    "S3Storage",
    "Storage",
    "StorageError",
    "StorageURI",
    "TaskRunFiles",
    "execution_prefix",
    "input_file_uri",
    "is_storage_uri",
    "namespace_file_uri",
    "namespace_of",
    "open_storage",
    "task_file_uri",
]
