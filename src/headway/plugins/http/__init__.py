"""HTTP tasks: Request (``http.request``) and Download (``http.download``), on httpx.

Registered through the ``headway.plugins`` entry point ``http``, like any third-party plugin.
"""

from __future__ import annotations

from headway.flows.tasks import TaskBase
from headway.plugins.http.download import Download
from headway.plugins.http.request import Request

PLUGINS: tuple[type[TaskBase], ...] = (Request, Download)

__all__ = ["PLUGINS", "Download", "Request"]
