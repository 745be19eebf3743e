"""Download: stream an HTTP response's body into internal storage."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import unquote

import httpx

from headway.errors import TaskFailure
from headway.flows.tasks import Dynamic
from headway.plugins.base import Outputs, RunContext
from headway.plugins.core.rendered import rendered
from headway.plugins.http.content import Payload
from headway.plugins.http.options import ClientSettings
from headway.plugins.http.request import Request, _headers
from headway.plugins.http.transport import transport_failures

_CHUNK = 1 << 16
_DISPOSITION = re.compile(r"""filename\*?=(?:UTF-8''|"?)([^";]+)"?""", re.IGNORECASE)


class Download(Request):
    """Download a file over HTTP into internal storage, streamed (never held in memory).

    Takes the properties of ``http.request`` (``uri``, ``method``, ``body``, ``formData``,
    ``contentType``, ``headers``, ``options``). The file is named ``saveAs``, else after the
    response's ``Content-Disposition``, else after the last segment of the URI's path. A
    status of 400 or more fails the task unless ``options.allowFailed``; an empty body fails
    it unless ``failOnEmptyResponse: false``. Outputs: ``uri`` (``kestra:///``), ``code``,
    ``length`` (bytes) and ``headers``.
    """

    type_name = "http.download"
    aliases = (
        "io.kestra.plugin.core.http.Download",
        "io.kestra.plugin.fs.http.Download",
        "io.kestra.core.tasks.http.Download",
    )

    fail_on_empty_response: Dynamic[bool] = True
    save_as: str | None = None

    async def run(self, ctx: RunContext) -> Outputs | None:
        method, url, settings, payload = self.prepare()
        with tempfile.TemporaryDirectory(prefix="headway-download-") as tmp:
            target = Path(tmp) / "body"
            response = await _stream(method, url, payload, settings, target)
            length = target.stat().st_size
            ctx.log("DEBUG", f"{method} {url}: {response.status_code}, {length} bytes")
            if response.status_code >= 400 and not settings.allow_failed:
                raise TaskFailure(
                    f"{method} {url} failed with HTTP {response.status_code} "
                    f"{response.reason_phrase} (set options.allowFailed: true to accept it)"
                )
            if length == 0 and rendered(self.fail_on_empty_response, bool, "failOnEmptyResponse"):
                raise TaskFailure(
                    f"{method} {url}: the response is empty (set failOnEmptyResponse: false "
                    "to accept it)"
                )
            name = self.save_as or _file_name(response, url)
            uri = await ctx.storage.put_file(name, target)
        return {
            "uri": uri,
            "code": response.status_code,
            "length": length,
            "headers": _headers(response),
        }


def _file_name(response: httpx.Response, url: httpx.URL) -> str:
    """The name the server gives the file, else the last segment of the path."""
    disposition = response.headers.get("content-disposition", "")
    match = _DISPOSITION.search(disposition)
    candidates = [unquote(match.group(1)) if match else "", unquote(url.path.rsplit("/", 1)[-1])]
    for candidate in candidates:
        name = candidate.replace("\\", "/").rsplit("/", 1)[-1].strip()
        name = "".join(c for c in name if c.isprintable())
        if name and name not in (".", ".."):
            return name
    return "download"


async def _stream(
    method: str, url: httpx.URL, payload: Payload, settings: ClientSettings, target: Path
) -> httpx.Response:
    """Send the request and write the body to ``target`` as it comes; transport errors
    become task failures."""
    with transport_failures(method, url, settings, "data"):
        async with (
            httpx.AsyncClient(
                timeout=settings.timeout(),
                follow_redirects=settings.follow_redirects,
                verify=settings.verify,
            ) as client,
            client.stream(
                method,
                url,
                headers=payload.headers,
                content=payload.content,
                data=payload.data,
                files=payload.files,
            ) as response,
        ):
            with target.open("wb") as out:
                async for chunk in response.aiter_bytes(_CHUNK):
                    out.write(chunk)
            return response
