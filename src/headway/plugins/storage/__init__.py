"""Storage tasks: files of internal storage written, joined, split, measured, filtered,
deduplicated and deleted, and the namespace files uploaded, downloaded and deleted.

Registered through the ``headway.plugins`` entry point ``storage``, like any third-party
plugin.
"""

from __future__ import annotations

from headway.flows.tasks import TaskBase
from headway.plugins.storage.items import DeduplicateItems, FilterItems
from headway.plugins.storage.manage import Delete, PurgeCurrentExecutionFiles, Size
from headway.plugins.storage.namespace import DeleteFiles, DownloadFiles, UploadFiles
from headway.plugins.storage.split import Reverse, Split
from headway.plugins.storage.write import Concat, Write

PLUGINS: tuple[type[TaskBase], ...] = (
    Write,
    Concat,
    Split,
    Reverse,
    Size,
    Delete,
    PurgeCurrentExecutionFiles,
    FilterItems,
    DeduplicateItems,
    UploadFiles,
    DownloadFiles,
    DeleteFiles,
)

__all__ = [
    "PLUGINS",
    "Concat",
    "DeduplicateItems",
    "Delete",
    "DeleteFiles",
    "DownloadFiles",
    "FilterItems",
    "PurgeCurrentExecutionFiles",
    "Reverse",
    "Size",
    "Split",
    "UploadFiles",
    "Write",
]
