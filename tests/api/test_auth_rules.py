"""Roles, namespace prefixes and the route rules of access control, without a server."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Query
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from headway.api.app import ROUTERS
from headway.api.auth import RULES, ProxyConfig, Rule, action_of, rule_for, token_secret
from headway.api.roles import ANONYMOUS, Grant, Principal, covers, normalise_prefix, parse_grants
from headway.server.service import ServerError, check_access
from headway.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("prefix", "namespace", "expected"),
    [
        ("team.a", "team.a", True),
        ("team.a", "team.a.x", True),
        ("team.a", "team.ab", False),
        ("team.a", "team", False),
        ("", "anything.at.all", True),
        ("team", "team.a.b", True),
    ],
)
def test_a_prefix_covers_its_namespace_and_those_below(
    prefix: str, namespace: str, expected: bool
) -> None:
    assert covers(prefix, namespace) is expected


def test_each_role_includes_the_ones_before_it() -> None:
    runner = Principal("r", (Grant("runner", "team.a"),))
    assert runner.allows("viewer", "team.a") and runner.allows("runner", "team.a.x")
    assert not runner.allows("editor", "team.a")
    assert not runner.allows("viewer", "team.b")
    assert runner.allows("runner") and not runner.allows("admin")
    assert not runner.allows_everywhere("viewer")
    assert ANONYMOUS.allows_everywhere("admin")


def test_prefixes_are_the_smallest_set_covering_a_role() -> None:
    principal = Principal(
        "p",
        (
            Grant("viewer", "team"),
            Grant("editor", "team.a"),
            Grant("viewer", "team.a.x"),
            Grant("runner", "ops"),
        ),
    )
    assert principal.prefixes("viewer") == ["ops", "team"]
    assert principal.prefixes("runner") == ["ops", "team.a"]
    assert principal.prefixes("editor") == ["team.a"]
    assert principal.prefixes("admin") == []


def test_grants_parse_from_the_proxy_groups_setting() -> None:
    assert parse_grants("editor:platform, viewer:team.a") == (
        Grant("editor", "platform"),
        Grant("viewer", "team.a"),
    )
    assert parse_grants("admin:") == (Grant("admin", ""),)
    assert parse_grants("admin:*") == (Grant("admin", ""),)
    for bad, message in [
        ("owner:x", "unknown role 'owner'"),
        ("editor", "expected role:namespace-prefix"),
        ("", "expected role:namespace-prefix"),
        ("viewer:team..a", "not a namespace prefix"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_grants(bad)
    assert normalise_prefix(" team.a ") == "team.a"


async def _plain() -> None:
    return None


async def _with_namespace(namespace: str | None = Query(None)) -> None:
    return None


def _route(path: str, method: str, with_namespace_query: bool = False) -> APIRoute:
    app = FastAPI()
    app.add_api_route(path, _with_namespace if with_namespace_query else _plain, methods=[method])
    route = app.routes[-1]
    assert isinstance(route, APIRoute)
    return route


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/flows/{namespace}/{flow_id}", Rule("viewer", "namespace")),
        ("PUT", "/flows/{namespace}/{flow_id}", Rule("editor", "namespace")),
        ("DELETE", "/namespaces/{namespace}/kv/{key}", Rule("editor", "namespace")),
        ("POST", "/namespaces/{namespace}/files", Rule("editor", "namespace")),
        ("GET", "/executions/{execution_id}", Rule("viewer", "execution")),
        ("DELETE", "/executions/{execution_id}/kill", Rule("runner", "execution")),
        ("POST", "/executions/{executionId}/replay", Rule("runner", "execution")),
        ("GET", "/logs/{execution_id}/follow", Rule("viewer", "execution")),
        ("POST", "/executions/webhook/{namespace}/{flow_id}/{key}", Rule(None, "public")),
        ("GET", "/executions/webhook/{namespace}/{flow_id}/{key}", Rule(None, "public")),
        ("POST", "/triggers/unlock/by-query", Rule("admin", "everywhere")),
        ("GET", "/plugins", Rule("viewer", "everywhere")),
    ],
)
def test_routes_without_an_explicit_rule_get_one_from_their_parameters(
    method: str, path: str, expected: Rule
) -> None:
    assert (method, path) not in RULES
    assert rule_for(method, path, _route(path, method)) == expected


def test_a_read_with_a_namespace_query_parameter_is_a_search() -> None:
    route = _route("/triggers/search", "GET", with_namespace_query=True)
    assert rule_for("GET", "/triggers/search", route) == Rule("viewer", "search")


def test_explicit_rules() -> None:
    route = _route("/x", "GET")
    assert rule_for("POST", "/executions/{namespace}/{flow_id}", route).role == "runner"
    assert rule_for("DELETE", "/executions/{execution_id}", route).role == "editor"
    assert rule_for("GET", "/audit/search", route) == Rule("admin", "search")
    assert rule_for("POST", "/flows", route) == Rule("editor", "flow_body", "flow.create")


@pytest.mark.parametrize(
    ("method", "template", "action"),
    [
        ("DELETE", "/executions/{execution_id}/kill", "execution.kill"),
        ("POST", "/executions/{execution_id}/resume", "execution.resume"),
        ("POST", "/executions/{execution_id}/labels", "execution.labels"),
        ("DELETE", "/executions/{execution_id}", "execution.delete"),
        ("POST", "/executions/{namespace}/{flow_id}", "execution.run"),
        ("PUT", "/namespaces/{namespace}/kv/{key}", "kv.update"),
        ("POST", "/triggers/{namespace}/{flow_id}/{trigger_id}/unlock", "trigger.unlock"),
    ],
)
def test_audit_actions_are_named_after_the_route(method: str, template: str, action: str) -> None:
    route = _route(template, method)
    assert action_of(method, template, rule_for(method, template, route)) == action


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def test_the_token_comes_from_bearer_or_basic_auth() -> None:
    assert token_secret("Bearer hw_abc") == "hw_abc"
    assert token_secret("bearer  hw_abc ") == "hw_abc"
    assert token_secret(_basic("anyone:hw_abc")) == "hw_abc"
    assert token_secret(_basic("hw_abc:")) is None
    assert token_secret(None) is None
    assert token_secret("Bearer") is None
    for bad in ("Basic !!!", "Digest x=1"):
        with pytest.raises(HTTPException) as caught:
            token_secret(bad)
        assert caught.value.status_code == 401
        assert caught.value.headers == {"WWW-Authenticate": 'Bearer realm="headway"'}


def _settings(**values: Any) -> Settings:
    return Settings.load(values, environ={})


def test_proxy_mode_needs_trusted_proxies_and_valid_groups() -> None:
    with pytest.raises(SettingsError, match="proxy_trusted"):
        check_access(_settings(auth="proxy"))
    with pytest.raises(SettingsError, match="proxy_trusted"):
        check_access(_settings(auth="proxy", host="0.0.0.0"))
    with pytest.raises(SettingsError, match="does not appear to be an IPv4 or IPv6"):
        check_access(_settings(auth="proxy", proxy_trusted=["proxy.local"]))
    with pytest.raises(SettingsError, match="group 'ops': unknown role 'boss'"):
        check_access(
            _settings(auth="proxy", proxy_trusted=["10.0.0.1"], proxy_groups={"ops": "boss:x"})
        )
    check_access(
        _settings(auth="proxy", host="0.0.0.0", proxy_trusted=["10.0.0.0/8"], proxy_groups={})
    )
    check_access(_settings(auth="tokens", host="0.0.0.0"))
    with pytest.raises(ServerError, match="without access control"):
        check_access(_settings(host="0.0.0.0"))


def test_proxy_settings_from_the_environment(tmp_path: Any) -> None:
    settings = Settings.load(
        {"home": tmp_path},
        environ={
            "HEADWAY_AUTH": "proxy",
            "HEADWAY_PROXY_TRUSTED": "127.0.0.1, 10.1.0.0/16",
            "HEADWAY_PROXY_GROUPS": '{"ops": "editor:platform", "admins": "admin:"}',
        },
    )
    assert settings.proxy_trusted == ("127.0.0.1", "10.1.0.0/16")
    config = ProxyConfig.from_settings(settings)
    assert config.trusts("10.1.2.3") and config.trusts("127.0.0.1")
    assert not config.trusts("10.2.0.1") and not config.trusts(None)
    assert config.groups == {"ops": (Grant("editor", "platform"),), "admins": (Grant("admin", ""),)}
    with pytest.raises(SettingsError, match="proxy_groups: not a JSON object"):
        Settings.load({"home": tmp_path}, environ={"HEADWAY_PROXY_GROUPS": "ops=editor"})
    with pytest.raises(SettingsError, match="proxy_groups: expected a mapping"):
        Settings.load({"home": tmp_path}, environ={"HEADWAY_PROXY_GROUPS": '["ops"]'})


def test_proxy_settings_from_the_config_file(tmp_path: Any) -> None:
    (tmp_path / "config.yaml").write_text(
        "auth: proxy\nproxy_trusted: [192.168.1.10]\nproxy_groups:\n  ops: editor:platform\n"
    )
    settings = Settings.load(environ={"HEADWAY_HOME": str(tmp_path)})
    assert settings.proxy_trusted == ("192.168.1.10",)
    assert dict(settings.proxy_groups) == {"ops": "editor:platform"}


DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"
SCOPE_WORDS = {
    "public": "none",
    "namespace": "path `{namespace}`",
    "execution": "the execution's namespace",
    "search": "`namespace` parameter",
    "any": "some namespace",
    "everywhere": "every namespace",
    "flow_body": "the flow's `namespace`",
    "apply_body": "each flow's namespace",
    "ids_body": "each execution in `ids`",
    "namespace_body": "each `namespace` in the JSON body",
}


def test_docs_list_the_role_of_every_route() -> None:
    """docs/security.md has a row for every route of the API, with the role it needs."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `(GET|POST|PUT|DELETE|PATCH) (/[^`]*)` \| (\w+|-) \| (.*) \|$", line)
        if match:
            rows[(match[1], match[2])] = (match[3], match[4])
    expected = {}
    for router in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            for method in route.methods:
                rule = rule_for(method, route.path, route)
                expected[(method, route.path)] = (rule.role or "-", SCOPE_WORDS[rule.scope])
    assert sorted(set(expected) - set(rows)) == [], "routes missing from docs/security.md"
    assert sorted(set(rows) - set(expected)) == [], "docs/security.md lists unknown routes"
    for key, (role, scope) in expected.items():
        assert rows[key][0] == role, key
        assert rows[key][1].startswith(scope), (key, rows[key][1])
