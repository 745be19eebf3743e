"""Internal storage: the files of executions (task output files, FILE inputs), addressed by
``kestra:///`` URIs laid out as Kestra lays them out.

:class:`Storage` is the interface, :class:`LocalStorage` the local directory backend
(``$HEADWAY_HOME/storage``, setting ``storage_dir``), :class:`TaskRunFiles` what one TaskRun
may reach. Deleting an execution does not delete its files yet.
"""

from __future__ import annotations

from pathlib import Path

from headway.storage.base import FileUpload, Storage
from headway.storage.local import LocalStorage
from headway.storage.scoped import NamespaceFiles, TaskRunFiles
from headway.storage.uris import (
    SCHEME,
    FileNotFoundInStorage,
    StorageError,
    StorageURI,
    execution_prefix,
    input_file_uri,
    is_storage_uri,
    task_file_uri,
)


def open_storage(root: Path) -> Storage:
    """The storage configured by the settings (``Settings.storage_path``)."""
    return LocalStorage(root)


__all__ = [
    "SCHEME",
    "FileNotFoundInStorage",
    "FileUpload",
    "LocalStorage",
    "NamespaceFiles",
    "Storage",
    "StorageError",
    "StorageURI",
    "TaskRunFiles",
    "execution_prefix",
    "input_file_uri",
    "is_storage_uri",
    "open_storage",
    "task_file_uri",
]
