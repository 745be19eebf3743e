"""What goes wrong between Headway and an HTTP server, as task failures that say what and
where (a timeout names the option to raise, a refused connection says so)."""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Iterator
from datetime import timedelta

import httpx

from headway.errors import TaskFailure
from headway.plugins.http.options import ClientSettings


@contextlib.contextmanager
def transport_failures(
    method: str, url: object, settings: ClientSettings, waiting_for: str
) -> Iterator[None]:
    """Turn httpx's transport errors raised inside into :class:`TaskFailure`; ``waiting_for``
    names what a read timeout waited for ("the response", "data")."""
    try:
        yield
    except httpx.ConnectTimeout:
        raise TaskFailure(
            f"{method} {url}: timed out connecting after "
            f"{seconds(settings.connect_timeout)} (options.connectTimeout)"
        ) from None
    except httpx.TimeoutException:
        raise TaskFailure(
            f"{method} {url}: timed out waiting for {waiting_for} after "
            f"{seconds(settings.read_timeout)} (options.readTimeout)"
        ) from None
    except httpx.TooManyRedirects as exc:
        raise TaskFailure(f"{method} {url}: {exc}", retryable=False) from None
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
        raise TaskFailure(f"{method} {url}: invalid request: {exc}", retryable=False) from None
    except httpx.ConnectError as exc:
        raise TaskFailure(f"{method} {url}: could not connect: {reason(exc)}") from None
    except httpx.HTTPError as exc:
        raise TaskFailure(f"{method} {url}: {type(exc).__name__}: {reason(exc)}") from None
    except UnicodeEncodeError as exc:
        raise TaskFailure(f"{method} {url}: invalid header: {exc}", retryable=False) from None


def reason(exc: BaseException) -> str:
    """The root cause of a transport error, in words (connection refused, unknown host)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve the host ({cause.strerror or cause})"
        if isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED:
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    return str(exc) or type(exc).__name__


def seconds(value: timedelta) -> str:
    return f"{value.total_seconds():g} s"
