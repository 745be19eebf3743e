"""The ``options`` of the HTTP tasks: timeouts, redirects, failed statuses, TLS and auth.

Kestra's ``HttpConfiguration``, both its current shape (``timeout``, ``ssl``, ``auth``) and the
0.2x one (``connectTimeout``, ``readTimeout``, ``basicAuthUser``, ...), which Kestra still reads.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import httpx

from headway.errors import TaskFailure
from headway.flows.tasks import Duration, Dynamic, Model
from headway.plugins.core.rendered import rendered

# Chosen defaults: Kestra has no connect timeout and a 5-minute read timeout; we bound the
# connect too, so an unreachable host fails in 30 s rather than with the OS's own timeout.
DEFAULT_CONNECT_TIMEOUT = timedelta(seconds=30)
DEFAULT_READ_TIMEOUT = timedelta(minutes=5)


class TimeoutOptions(Model):
    """``options.timeout``: time to connect, and to wait for data from the server."""

    connect_timeout: Dynamic[Duration] | None = None
    read_idle_timeout: Dynamic[Duration] | None = None


class SslOptions(Model):
    """``options.ssl`` (and the deprecated task property ``sslOptions``)."""

    insecure_trust_all_certificates: Dynamic[bool] | None = None


class AuthOptions(Model):
    """``options.auth``: BASIC (``username``, ``password``) or BEARER (``token``)."""

    type: Literal["BASIC", "BEARER"]
    username: str | None = None
    password: str | None = None
    token: str | None = None

    def header(self) -> str:
        """The ``Authorization`` header value."""
        if self.type == "BEARER":
            if not self.token:
                raise TaskFailure("options.auth: BEARER needs a 'token'", retryable=False)
            return f"Bearer {self.token}"
        if self.username is None:
            raise TaskFailure("options.auth: BASIC needs a 'username'", retryable=False)
        return basic_authorization(self.username, self.password or "")


def basic_authorization(username: str, password: str) -> str:
    """The ``Authorization`` header value of HTTP basic auth."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


@dataclass(frozen=True)
class ClientSettings:
    """The rendered options, as the task uses them."""

    connect_timeout: timedelta
    read_timeout: timedelta
    follow_redirects: bool
    allow_failed: bool
    verify: bool
    authorization: str | None

    def timeout(self) -> httpx.Timeout:
        connect = self.connect_timeout.total_seconds()
        read = self.read_timeout.total_seconds()
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


class HttpOptions(Model):
    """``options`` of an HTTP task.

    Accepted but without effect (Kestra ignores them too, or they tune its own client):
    ``readIdleTimeout``, ``connectionPoolIdleTimeout``, ``maxContentLength``.
    """

    timeout: TimeoutOptions | None = None
    connect_timeout: Dynamic[Duration] | None = None
    read_timeout: Dynamic[Duration] | None = None
    follow_redirects: Dynamic[bool] = True
    allow_failed: Dynamic[bool] = False
    ssl: SslOptions | None = None
    auth: AuthOptions | None = None
    basic_auth_user: str | None = None
    basic_auth_password: str | None = None
    default_charset: str | None = None
    read_idle_timeout: Dynamic[Duration] | None = None
    connection_pool_idle_timeout: Dynamic[Duration] | None = None
    max_content_length: int | None = None

    def settings(
        self, *, allow_failed: bool | str | None = None, ssl: SslOptions | None = None
    ) -> ClientSettings:
        """The rendered options; ``allow_failed`` and ``ssl`` are the deprecated task-level
        properties, which win over the options when given (as in Kestra)."""
        timeout = self.timeout or TimeoutOptions()
        connect = _first(timeout.connect_timeout, self.connect_timeout, DEFAULT_CONNECT_TIMEOUT)
        read = _first(timeout.read_idle_timeout, self.read_timeout, DEFAULT_READ_TIMEOUT)
        trust_all = (ssl or self.ssl or SslOptions()).insecure_trust_all_certificates
        allowed = self.allow_failed if allow_failed is None else allow_failed
        return ClientSettings(
            connect_timeout=_positive(rendered(connect, timedelta, "options.connectTimeout")),
            read_timeout=_positive(rendered(read, timedelta, "options.readTimeout")),
            follow_redirects=rendered(self.follow_redirects, bool, "options.followRedirects"),
            allow_failed=rendered(allowed, bool, "options.allowFailed"),
            verify=not (
                trust_all is not None
                and rendered(trust_all, bool, "ssl.insecureTrustAllCertificates")
            ),
            authorization=self._authorization(),
        )

    def _authorization(self) -> str | None:
        if self.auth is not None:
            return self.auth.header()
        if self.basic_auth_user is not None:
            return basic_authorization(self.basic_auth_user, self.basic_auth_password or "")
        return None


def _first(*values: timedelta | str | None) -> timedelta | str:
    """The first value given (a zero duration counts as given)."""
    return next(value for value in values if value is not None)


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise TaskFailure(f"timeouts must be positive durations, got {value}", retryable=False)
    return value
