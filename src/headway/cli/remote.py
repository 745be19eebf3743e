"""The CLI against a running server (``--server URL`` or ``HEADWAY_SERVER``): a small
client of the REST API that turns its JSON errors into Headway errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import click
import httpx

from headway.errors import HeadwayError
from headway.settings import Settings

server_option = click.option(
    "--server",
    metavar="URL",
    help="A Headway server to act on (HEADWAY_SERVER); without it, the local store.",
)


class RemoteError(HeadwayError):
    """The server refused the request."""


class RemoteInvalidError(RemoteError):
    """The server found the request invalid (a flow, inputs): exit code 2, as locally."""

    invalid_input = True


class Remote:
    def __init__(self, url: str, token: str = "") -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.client = httpx.Client(base_url=f"{self.url}/api/v1", headers=headers, timeout=60)

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise RemoteError(f"cannot reach the server at {self.url}: {exc}") from None
        return self._answer(method, path, response)

    def _answer(self, method: str, path: str, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                message = response.json().get("message") or response.text
            except (json.JSONDecodeError, AttributeError):
                message = response.text
            error = RemoteInvalidError if response.status_code == 422 else RemoteError
            raise error(f"{method} {path}: {response.status_code}: {message}")
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    def events(self, path: str) -> Iterator[tuple[str, Any]]:
        """Follow server-sent events until the server ends the stream."""
        try:
            with self.client.stream("GET", path, timeout=None) as response:
                if response.status_code >= 400:
                    response.read()
                    self._answer("GET", path, response)
                name = "message"
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        yield name, json.loads(line[6:])
        except httpx.TransportError as exc:
            raise RemoteError(f"lost the server at {self.url}: {exc}") from None


def remote(settings: Settings, server: str | None) -> Remote | None:
    """A client if a server is named (flag, then setting), else None (the local store)."""
    url = server or settings.server
    return Remote(url, settings.token) if url else None
