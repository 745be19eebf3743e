"""Request: send an HTTP request and keep the response (status, headers, body) as outputs."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import httpx
from pydantic import BeforeValidator, Field

from headway.errors import TaskFailure
from headway.flows.tasks import Dynamic, is_template
from headway.plugins.base import Outputs, RunContext, RunnableTask
from headway.plugins.core.rendered import rendered
from headway.plugins.http.content import Payload, build_payload, checked_uri
from headway.plugins.http.options import ClientSettings, HttpOptions, SslOptions
from headway.plugins.http.transport import transport_failures

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

# How much of an error response's body a failure message quotes.
_ERROR_BODY_CHARS = 500


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) and not is_template(value) else value


def _json_text(value: Any) -> Any:
    """A body written as a YAML map or list is sent as its JSON text."""
    return json.dumps(value) if isinstance(value, dict | list) else value


class Request(RunnableTask):
    """Send an HTTP request and output the response's ``code``, ``headers`` and ``body``.

    ``body`` is sent as is with ``contentType`` (default ``application/json``); ``formData``
    is sent URL-encoded, or as ``multipart/form-data`` when ``contentType`` says so (values
    are text: files from internal storage are not uploaded). A status of 400 or more fails
    the task unless ``options.allowFailed`` (or the deprecated ``allowFailed``) is true.
    The body output is the response's text (null when empty), whatever its size: use
    ``fromJson`` to read a JSON body.
    """

    type_name = "http.request"
    aliases = (
        "io.kestra.plugin.core.http.Request",
        "io.kestra.plugin.fs.http.Request",
        "io.kestra.core.tasks.http.Request",
    )

    uri: str
    method: Dynamic[Annotated[Method, BeforeValidator(_upper)]] = "GET"
    body: Annotated[str | None, BeforeValidator(_json_text)] = None
    form_data: Dynamic[dict[str, Any]] | None = None
    content_type: str | None = None
    headers: Dynamic[dict[str, str]] | None = None
    options: HttpOptions = Field(default_factory=HttpOptions)
    # Deprecated in Kestra in favour of options.allowFailed and options.ssl.
    allow_failed: Dynamic[bool] | None = None
    ssl_options: SslOptions | None = None
    # Kestra's encrypted body output is not supported: only false is accepted.
    encrypt_body: Literal[False] = False

    def prepare(self) -> tuple[str, httpx.URL, ClientSettings, Payload]:
        """The rendered method, URL, client settings and payload of the request (Request and
        Download send them alike)."""
        url = checked_uri(self.uri)
        method = rendered(self.method, str, "method")
        settings = self.options.settings(allow_failed=self.allow_failed, ssl=self.ssl_options)
        headers = {} if self.headers is None else rendered(self.headers, dict, "headers")
        form_data = None if self.form_data is None else rendered(self.form_data, dict, "formData")
        try:
            payload = build_payload(
                headers=headers,
                body=self.body,
                form_data=form_data,
                content_type=self.content_type,
                charset=self.options.default_charset,
                authorization=settings.authorization,
            )
        except UnicodeEncodeError as exc:
            raise TaskFailure(f"the body cannot be encoded: {exc}", retryable=False) from None
        return method, url, settings, payload

    async def run(self, ctx: RunContext) -> Outputs | None:
        method, url, settings, payload = self.prepare()
        ctx.log("DEBUG", f"{method} {url}")
        response = await _send(method, url, payload, settings)
        ctx.log("DEBUG", f"{method} {url}: {response.status_code} {response.reason_phrase}")
        if response.status_code >= 400 and not settings.allow_failed:
            raise TaskFailure(_status_message(method, url, response))
        return {
            "uri": str(url),
            "code": response.status_code,
            "headers": _headers(response),
            "body": response.text if response.content else None,
        }


async def _send(
    method: str, url: httpx.URL, payload: Payload, settings: ClientSettings
) -> httpx.Response:
    """Send with a client of this task run; transport errors become task failures."""
    with transport_failures(method, url, settings, "the response"):
        async with httpx.AsyncClient(
            timeout=settings.timeout(),
            follow_redirects=settings.follow_redirects,
            verify=settings.verify,
        ) as client:
            return await client.request(
                method,
                url,
                headers=payload.headers,
                content=payload.content,
                data=payload.data,
                files=payload.files,
            )


def _status_message(method: str, url: httpx.URL, response: httpx.Response) -> str:
    message = f"{method} {url} failed with HTTP {response.status_code} {response.reason_phrase}"
    text = response.text.strip()
    if text:
        cut = text[:_ERROR_BODY_CHARS] + ("..." if len(text) > _ERROR_BODY_CHARS else "")
        message += f": {cut}"
    return message + " (set options.allowFailed: true to accept it)"


def _headers(response: httpx.Response) -> dict[str, list[str]]:
    """Response headers: name (as the server wrote it, first spelling) -> values in order."""
    out: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for raw_name, raw_value in response.headers.raw:
        name = raw_name.decode("latin-1")
        key = names.setdefault(name.lower(), name)
        out.setdefault(key, []).append(raw_value.decode("latin-1"))
    return out
