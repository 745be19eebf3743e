from __future__ import annotations

import json
import socket
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from headway.errors import TaskFailure
from headway.plugins.http import PLUGINS
from headway.plugins.http.request import Request
from headway.plugins.registry import default_registry

if TYPE_CHECKING:
    from conftest import FakeRunContext, Server, TaskFactory


def request(make: TaskFactory, **props: Any) -> Request:
    return make(Request, **props)


# --- the model --------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", ["http.request", *Request.aliases])
def test_every_alias_resolves_to_request(type_name: str) -> None:
    assert default_registry().resolve(type_name) is Request
    assert Request in PLUGINS


@pytest.mark.parametrize("type_name", ["http.request", *Request.aliases])
def test_validates_a_kestra_task(make: TaskFactory, type_name: str) -> None:
    task = make(
        Request,
        type_name,
        uri="https://example.com/api",
        method="post",
        body='{"a": 1}',
        contentType="application/json",
        headers={"X-Count": 3, "Authorization": "Bearer {{ token }}"},
        options={"connectTimeout": "PT5S", "readTimeout": "PT1M", "followRedirects": False},
    )
    assert task.method == "POST"
    assert task.headers == {"X-Count": "3", "Authorization": "Bearer {{ token }}"}
    assert task.body == '{"a": 1}'
    assert task.options.connect_timeout == timedelta(seconds=5)
    assert task.options.follow_redirects is False


def test_defaults(make: TaskFactory) -> None:
    task = request(make, uri="http://x")
    assert task.method == "GET"
    assert task.options.allow_failed is False
    assert task.options.follow_redirects is True


def test_a_body_written_as_a_map_is_its_json(make: TaskFactory) -> None:
    assert json.loads(request(make, uri="http://x", body={"a": [1]}).body or "") == {"a": [1]}


def test_dynamic_properties_keep_expressions(make: TaskFactory) -> None:
    task = request(
        make,
        uri="{{ url }}",
        method="{{ verb }}",
        allowFailed="{{ ok }}",
        options={"allowFailed": "{{ ok }}", "timeout": {"connectTimeout": "{{ t }}"}},
    )
    assert task.method == "{{ verb }}"
    assert task.allow_failed == "{{ ok }}"


@pytest.mark.parametrize(
    "props",
    [
        {"url": "http://x"},
        {"uri": "http://x", "unknown": 1},
        {"uri": "http://x", "options": {"nope": True}},
        {"uri": "http://x", "method": "FETCH"},
        {"uri": "http://x", "encryptBody": True},
        {"uri": "http://x", "options": {"connectTimeout": "5 seconds"}},
        {"uri": "http://x", "options": {"auth": {"type": "NTLM"}}},
    ],
)
def test_rejects_unknown_keys_and_bad_values(make: TaskFactory, props: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        request(make, **props)


# --- running against a local server -----------------------------------------------------------


async def test_get_json_keeps_the_body_as_text(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    out = await request(make, uri=f"{server.url}/json").run(ctx)
    assert out is not None
    assert out["code"] == 200
    assert out["uri"] == f"{server.url}/json"
    assert out["body"] == '{"name": "Ada", "items": [1, 2]}'
    assert out["headers"]["Content-Type"] == ["application/json"]
    assert out["headers"]["X-Tag"] == ["a", "b"]
    assert server.received[0].method == "GET"
    assert ("DEBUG", f"GET {server.url}/json: 200 OK") in ctx.logs


async def test_post_sends_the_body_with_headers_and_content_type(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    task = request(
        make,
        uri=f"{server.url}/echo",
        method="POST",
        body='{"title": "Pen"}',
        contentType="application/json",
        headers={"X-Api-Key": "s3cret"},
    )
    out = await task.run(ctx)
    assert out is not None
    assert json.loads(out["body"]) == {"method": "POST", "body": '{"title": "Pen"}'}
    got = server.received[0].headers
    assert got["content-type"] == "application/json"
    assert got["x-api-key"] == "s3cret"
    assert not any("s3cret" in message for _, message in ctx.logs)


async def test_a_body_defaults_to_json_and_headers_win(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    await request(make, uri=f"{server.url}/echo", method="PUT", body="{}").run(ctx)
    await request(
        make,
        uri=f"{server.url}/echo",
        method="PATCH",
        body="a,b",
        contentType="application/json",
        headers={"content-type": "text/csv"},
    ).run(ctx)
    assert server.received[0].headers["content-type"] == "application/json"
    assert server.received[1].headers["content-type"] == "text/csv"


async def test_form_data_is_url_encoded(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    task = request(
        make,
        uri=f"{server.url}/echo",
        method="POST",
        formData={"user": "John Doe", "n": 2, "tags": ["a", "b"]},
    )
    await task.run(ctx)
    got = server.received[0]
    assert got.headers["content-type"] == "application/x-www-form-urlencoded"
    assert got.body == b"user=John+Doe&n=2&tags=a&tags=b"


async def test_form_data_is_multipart_when_asked(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    task = request(
        make,
        uri=f"{server.url}/echo",
        method="POST",
        contentType="multipart/form-data",
        formData={"user": "John Doe", "meta": {"a": 1}},
    )
    await task.run(ctx)
    got = server.received[0]
    assert got.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'Content-Disposition: form-data; name="user"\r\n\r\nJohn Doe\r\n' in got.body
    assert b'name="meta"\r\n\r\n{"a": 1}\r\n' in got.body


async def test_basic_auth_from_options(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    auth = {"type": "BASIC", "username": "admin", "password": "pw"}
    await request(make, uri=f"{server.url}/json", options={"auth": auth}).run(ctx)
    await request(make, uri=f"{server.url}/json", options={"basicAuthUser": "admin"}).run(ctx)
    await request(
        make, uri=f"{server.url}/json", options={"auth": {"type": "BEARER", "token": "t"}}
    ).run(ctx)
    assert server.received[0].headers["authorization"] == "Basic YWRtaW46cHc="
    assert server.received[1].headers["authorization"] == "Basic YWRtaW46"
    assert server.received[2].headers["authorization"] == "Bearer t"


async def test_redirects_are_followed_by_default(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    out = await request(make, uri=f"{server.url}/redirect").run(ctx)
    assert out is not None and out["code"] == 200
    assert [r.path for r in server.received] == ["/redirect", "/json"]


async def test_redirects_are_not_followed_when_told(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    task = request(make, uri=f"{server.url}/redirect", options={"followRedirects": False})
    out = await task.run(ctx)
    assert out is not None and out["code"] == 302
    assert out["headers"]["Location"] == ["/json"]
    assert out["body"] is None


async def test_an_error_status_fails_naming_status_and_uri(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    with pytest.raises(TaskFailure) as caught:
        await request(make, uri=f"{server.url}/status/404").run(ctx)
    message = str(caught.value)
    assert f"GET {server.url}/status/404 failed with HTTP 404 Not Found: not here" in message
    assert "options.allowFailed" in message


@pytest.mark.parametrize(
    "props", [{"allowFailed": True}, {"options": {"allowFailed": True}}], ids=["task", "options"]
)
async def test_allow_failed_keeps_the_error_response(
    ctx: FakeRunContext, make: TaskFactory, server: Server, props: dict[str, Any]
) -> None:
    out = await request(make, uri=f"{server.url}/status/404", **props).run(ctx)
    assert out is not None
    assert (out["code"], out["body"]) == (404, "not here")


async def test_head_and_empty_bodies_give_a_null_body(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    head = await request(make, uri=f"{server.url}/json", method="HEAD").run(ctx)
    empty = await request(make, uri=f"{server.url}/empty", method="DELETE").run(ctx)
    assert head is not None and (head["code"], head["body"]) == (200, None)
    assert empty is not None and (empty["code"], empty["body"]) == (204, None)


async def test_a_read_timeout_fails_with_a_clear_message(
    ctx: FakeRunContext, make: TaskFactory, server: Server
) -> None:
    task = request(make, uri=f"{server.url}/slow", options={"readTimeout": "PT0.2S"})
    with pytest.raises(TaskFailure) as caught:
        await task.run(ctx)
    assert str(caught.value) == (
        f"GET {server.url}/slow: timed out waiting for the response after 0.2 s "
        "(options.readTimeout)"
    )
    assert caught.value.retryable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_connection_refused_fails_retryable(ctx: FakeRunContext, make: TaskFactory) -> None:
    uri = f"http://127.0.0.1:{_free_port()}/x"
    with pytest.raises(TaskFailure) as caught:
        await request(make, uri=uri).run(ctx)
    assert str(caught.value) == f"GET {uri}: could not connect: connection refused"
    assert caught.value.retryable


async def test_an_unknown_host_fails_retryable(
    ctx: FakeRunContext, make: TaskFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No real DNS query: the resolver answers "unknown host" as it would for such a name.
    def unknown(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with pytest.raises(TaskFailure, match=r"could not connect: cannot resolve the host") as caught:
        await request(make, uri="http://no-such-host.invalid/x").run(ctx)
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("ftp://example.com/x", "the scheme must be http or https (got 'ftp')"),
        ("example.com/x", "the scheme must be http or https (got none)"),
        ("http:///x", "no host"),
        ("http://[::1/x", "invalid URI"),
    ],
)
async def test_a_bad_uri_fails_without_retry(
    ctx: FakeRunContext, make: TaskFactory, uri: str, problem: str
) -> None:
    with pytest.raises(TaskFailure, match="invalid URI") as caught:
        await request(make, uri=uri).run(ctx)
    assert problem in str(caught.value)
    assert not caught.value.retryable


async def test_a_non_positive_timeout_fails_without_retry(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    task = request(make, uri="http://x", options={"timeout": {"connectTimeout": "PT0S"}})
    with pytest.raises(TaskFailure, match="timeouts must be positive") as caught:
        await task.run(ctx)
    assert not caught.value.retryable
