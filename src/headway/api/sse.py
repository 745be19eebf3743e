"""Server-sent events: a stream of JSON events that a client follows with ``curl -N``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse


class EventStream(StreamingResponse):
    """How a route answering server-sent events is documented (``response_class``)."""

    media_type = "text/event-stream"


def event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def stream(events: AsyncIterator[str]) -> StreamingResponse:
    return EventStream(
        events,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
