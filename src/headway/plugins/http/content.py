"""What an HTTP task sends: the URI checked, the headers, and the body or form data encoded."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from headway.errors import TaskFailure

DEFAULT_CONTENT_TYPE = "application/json"
MULTIPART = "multipart/form-data"


def checked_uri(uri: str) -> httpx.URL:
    """``uri`` parsed; an http(s) URI with a host, else a non-retryable failure."""
    try:
        url = httpx.URL(uri.strip().replace(" ", "%20"))
    except httpx.InvalidURL as exc:
        raise TaskFailure(f"invalid URI '{uri}': {exc}", retryable=False) from None
    if url.scheme not in ("http", "https"):
        shown = f"'{url.scheme}'" if url.scheme else "none"
        raise TaskFailure(
            f"invalid URI '{uri}': the scheme must be http or https (got {shown})",
            retryable=False,
        )
    if not url.host:
        raise TaskFailure(f"invalid URI '{uri}': no host", retryable=False)
    return url


def _text(value: Any) -> str:
    """A form value as text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _values(value: Any) -> list[str]:
    """A list gives one form field per item (``a=1&a=2``)."""
    return [_text(item) for item in value] if isinstance(value, list) else [_text(value)]


@dataclass
class Payload:
    """The keyword arguments of ``httpx.AsyncClient.request`` that carry the request body."""

    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    data: dict[str, list[str]] | None = None
    files: list[tuple[str, tuple[None, str]]] | None = None


def build_payload(
    *,
    headers: Mapping[str, str],
    body: str | None,
    form_data: Mapping[str, Any] | None,
    content_type: str | None,
    charset: str | None,
    authorization: str | None,
) -> Payload:
    """Headers and body as Kestra sends them.

    ``formData`` wins over ``body``: it is sent as ``multipart/form-data`` when the content
    type says so, else URL-encoded. A ``body`` is sent with the content type (by default
    ``application/json``) unless the headers set one. Without either, an explicit content
    type is still sent as a header.
    """
    payload = Payload(headers=dict(headers))
    has = {name.lower() for name in payload.headers}
    if authorization is not None and "authorization" not in has:
        payload.headers["Authorization"] = authorization
    if form_data:
        if (content_type or "").lower().startswith(MULTIPART):
            payload.files = [
                (name, (None, text)) for name, value in form_data.items() for text in _values(value)
            ]
        else:
            payload.data = {name: _values(value) for name, value in form_data.items()}
        return payload
    if body is not None:
        payload.content = body.encode(_codec(charset))
        content_type = content_type or DEFAULT_CONTENT_TYPE
    if content_type and "content-type" not in has:
        payload.headers["Content-Type"] = content_type
    return payload


def _codec(charset: str | None) -> str:
    name = charset or "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise TaskFailure(
            f"options.defaultCharset: unknown charset '{name}'", retryable=False
        ) from None
