"""Access control of the API on a real engine and store: tokens, roles scoped to namespaces,
searches kept within them, the forward-auth proxy mode, and the audit log."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from headway.api import tokens
from headway.api.app import create_app
from headway.api.context import ServerContext
from headway.engine.engine import Engine
from headway.execution import utcnow
from headway.settings import Settings
from headway.store import open_store
from headway.store.base import AuditQuery

FLOW = """\
id: hello
namespace: {namespace}
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: hello
"""

SLOW = """\
id: slow
namespace: team.a
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
"""


def flow(namespace: str) -> str:
    return FLOW.format(namespace=namespace)


@dataclass
class Server:
    client: httpx.AsyncClient
    ctx: ServerContext
    app: FastAPI

    async def token(
        self, role: str, namespace: str, expires_in: timedelta | None = None
    ) -> dict[str, str]:
        _, secret = await tokens.issue(
            self.ctx.store,
            tenant="main",
            role=role,
            namespace=namespace,
            name=f"{role}-{namespace}",
            created_by="test",
            now=utcnow(),
            expires_in=expires_in,
        )
        return {"Authorization": f"Bearer {secret}"}


@contextlib.asynccontextmanager
async def serving(
    tmp_path: Path, client_address: str = "127.0.0.1", **settings: Any
) -> AsyncIterator[Server]:
    """The app on a real engine and a temporary store, reached from ``client_address``."""
    values = Settings.load({"home": tmp_path, **settings}, environ={})
    store = open_store(values.database_url)
    await store.open()
    engine = Engine(store, values)
    await engine.start()
    ctx = ServerContext(engine, values, components={"executor": True, "worker": True})
    app = create_app(ctx)
    transport = httpx.ASGITransport(app=app, client=(client_address, 12345))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://headway") as client:
            yield Server(client, ctx, app)
    finally:
        await engine.stop()
        await store.close()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with serving(tmp_path, auth="tokens") as server:
        for namespace in ("team.a", "team.a.sub", "team.b"):
            await server.ctx.store.save_flow("main", namespace, "hello", flow(namespace))
        yield server


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: "team.a" if "namespace" in m[1] else "x", path)


def _api_routes(server: Server) -> list[tuple[str, str]]:
    """Every route of the API (from its OpenAPI document), under /api/v1 and /api/v1/main."""
    found = []
    for path, operations in server.app.openapi()["paths"].items():
        if not path.startswith("/api/v1/") or "/executions/webhook/" in path:
            continue
        for method in operations:
            concrete = _concrete(path)
            tenant_form = concrete.replace("/api/v1/", "/api/v1/main/", 1)
            found += [(method.upper(), concrete), (method.upper(), tenant_form)]
    return found


async def test_every_route_refuses_a_missing_or_wrong_token(server: Server) -> None:
    routes = _api_routes(server)
    assert len(routes) > 40  # both the /api/v1 and the /api/v1/main forms
    wrong_basic = "Basic " + base64.b64encode(b"user:hw_wrong").decode()
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer hw_wrong"}, {"Authorization": wrong_basic}):
            response = await server.client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert response.json()["message"]


async def test_health_needs_no_token(server: Server) -> None:
    assert (await server.client.get("/health")).status_code == 200


async def test_a_token_is_accepted_as_bearer_or_as_the_password_of_basic_auth(
    server: Server,
) -> None:
    bearer = await server.token("viewer", "team.a")
    secret = bearer["Authorization"].removeprefix("Bearer ")
    basic = {"Authorization": "Basic " + base64.b64encode(f"kestra:{secret}".encode()).decode()}
    for headers in (bearer, basic):
        response = await server.client.get("/api/v1/flows/team.a/hello", headers=headers)
        assert response.status_code == 200, response.text


async def test_a_revoked_or_expired_token_is_refused(server: Server) -> None:
    expired = await server.token("viewer", "team.a", expires_in=timedelta(microseconds=1))
    await asyncio.sleep(0.01)
    response = await server.client.get("/api/v1/flows/team.a/hello", headers=expired)
    assert response.status_code == 401 and "expired" in response.json()["message"]
    viewer = await server.token("runner", "team.a")
    (token,) = [t for t in await server.ctx.store.list_tokens("main") if t.role == "runner"]
    assert (await server.client.get("/api/v1/flows/team.a", headers=viewer)).status_code == 200
    await server.ctx.store.revoke_token("main", token.id, utcnow())
    response = await server.client.get("/api/v1/flows/team.a/hello", headers=viewer)
    assert response.status_code == 401 and "revoked" in response.json()["message"]


async def test_a_viewer_cannot_run_and_a_runner_can(server: Server) -> None:
    viewer = await server.token("viewer", "team.a")
    refused = await server.client.post("/api/v1/executions/team.a/hello", headers=viewer)
    assert refused.status_code == 403
    assert "needs the role runner on namespace 'team.a'" in refused.json()["message"]
    runner = await server.token("runner", "team.a")
    started = await server.client.post(
        "/api/v1/executions/team.a/hello", params={"wait": "true"}, headers=runner
    )
    assert started.status_code == 200 and started.json()["state"]["current"] == "SUCCESS"
    below = await server.client.post("/api/v1/executions/team.a.sub/hello", headers=runner)
    assert below.status_code == 200
    other = await server.client.post("/api/v1/executions/team.b/hello", headers=runner)
    assert other.status_code == 403


async def _run(server: Server, namespace: str, admin: dict[str, str] | None = None) -> str:
    admin = admin or await server.token("admin", "*")
    response = await server.client.post(
        f"/api/v1/executions/{namespace}/hello", params={"wait": "true"}, headers=admin
    )
    assert response.status_code == 200, response.text
    execution_id: str = response.json()["id"]
    return execution_id


async def test_a_token_for_team_a_cannot_read_team_b(server: Server) -> None:
    in_a, in_b = await _run(server, "team.a"), await _run(server, "team.b")
    viewer = await server.token("viewer", "team.a")
    get = server.client.get
    assert (await get(f"/api/v1/executions/{in_a}", headers=viewer)).status_code == 200
    assert (await get(f"/api/v1/logs/{in_a}", headers=viewer)).status_code == 200
    for path in (
        f"/api/v1/executions/{in_b}",
        f"/api/v1/logs/{in_b}",
        f"/api/v1/logs/{in_b}/download",
        f"/api/v1/executions/{in_b}/follow",
        "/api/v1/flows/team.b/hello",
        "/api/v1/flows/team.b",
        "/api/v1/namespaces/team.b/kv",
        "/api/v1/main/flows/team.b/hello",
    ):
        response = await get(path, headers=viewer)
        assert response.status_code == 403, path
        assert "viewer on namespace 'team.b'" in response.json()["message"]
    # An unknown execution is a 404 for whoever may read some namespace.
    assert (await get("/api/v1/executions/nope", headers=viewer)).status_code == 404


async def test_searches_only_show_the_callers_namespaces(server: Server) -> None:
    for namespace in ("team.a", "team.a.sub", "team.b"):
        await _run(server, namespace)
    viewer = await server.token("viewer", "team.a")

    async def namespaces(path: str, **params: str) -> list[str]:
        response = await server.client.get(path, params=params, headers=viewer)
        assert response.status_code == 200, response.text
        return sorted(r["namespace"] for r in response.json()["results"])

    assert await namespaces("/api/v1/executions/search") == ["team.a", "team.a.sub"]
    assert await namespaces("/api/v1/executions/search", namespace="team") == [
        "team.a",
        "team.a.sub",
    ]
    assert await namespaces("/api/v1/executions/search", namespace="team.a.sub") == ["team.a.sub"]
    assert await namespaces("/api/v1/flows/search") == ["team.a", "team.a.sub"]
    refused = await server.client.get(
        "/api/v1/executions/search", params={"namespace": "team.b"}, headers=viewer
    )
    assert refused.status_code == 403
    found = await server.client.get("/api/v1/namespaces/search", headers=viewer)
    assert [n["id"] for n in found.json()["results"]] == ["team.a", "team.a.sub"]
    admin = await server.token("admin", "*")
    everything = await server.client.get("/api/v1/executions/search", headers=admin)
    assert everything.json()["total"] == 3


async def test_a_search_without_namespace_is_narrowed_to_the_tokens(server: Server) -> None:
    await server.ctx.store.save_flow("main", "ops", "hello", flow("ops"))
    viewer = await server.token("viewer", "ops")
    response = await server.client.get("/api/v1/flows/search", headers=viewer)
    assert [r["namespace"] for r in response.json()["results"]] == ["ops"]
    assert response.json()["total"] == 1


async def test_editing_needs_the_editor_role_on_the_flows_namespace(server: Server) -> None:
    runner = await server.token("runner", "team.a")
    editor = await server.token("editor", "team.a")
    yaml_headers = {"Content-Type": "application/x-yaml"}
    source = flow("team.a").replace("message: hello", "message: changed")
    put = "/api/v1/flows/team.a/hello"
    refused = await server.client.put(put, content=source, headers={**runner, **yaml_headers})
    assert refused.status_code == 403 and "editor" in refused.json()["message"]
    done = await server.client.put(put, content=source, headers={**editor, **yaml_headers})
    assert done.status_code == 200 and done.json()["revision"] == 2
    other = flow("team.b").replace("id: hello", "id: new")
    created = await server.client.post(
        "/api/v1/flows", content=other, headers={**editor, **yaml_headers}
    )
    assert created.status_code == 403 and "'team.b'" in created.json()["message"]
    mine = flow("team.a.sub").replace("id: hello", "id: new")
    created = await server.client.post(
        "/api/v1/flows", content=mine, headers={**editor, **yaml_headers}
    )
    assert created.status_code == 200
    kv = await server.client.put("/api/v1/namespaces/team.b/kv/k", content=b"1", headers=editor)
    assert kv.status_code == 403
    # The namespace is read as the flow loader reads it (YAML 1.2: `on` is a string).
    sneaky = flow("on").replace("id: hello", "id: sneaky")
    created = await server.client.post(
        "/api/v1/flows", content=sneaky, headers={**editor, **yaml_headers}
    )
    assert created.status_code == 403 and "namespace 'on'" in created.json()["message"]
    applied = await server.client.post(
        "/api/v1/flows/apply", json={"flows": [{"source": sneaky}]}, headers=editor
    )
    assert applied.status_code == 403


async def test_gitops_apply_needs_editor_on_every_namespace_it_writes(server: Server) -> None:
    editor = await server.token("editor", "team.a")
    body = {"flows": [{"source": flow("team.a")}, {"source": flow("team.b")}]}
    refused = await server.client.post("/api/v1/flows/apply", json=body, headers=editor)
    assert refused.status_code == 403 and "'team.b'" in refused.json()["message"]
    prune_all = {"flows": [{"source": flow("team.a")}], "prune": True}
    refused = await server.client.post("/api/v1/flows/apply", json=prune_all, headers=editor)
    assert refused.status_code == 403 and "every namespace" in refused.json()["message"]
    prune_mine = {**prune_all, "namespace": "team.a"}
    done = await server.client.post("/api/v1/flows/apply", json=prune_mine, headers=editor)
    assert done.status_code == 200, done.text
    assert done.json()["summary"]["delete"] == 1  # team.a.sub.hello


async def test_runner_acts_on_executions_of_its_namespaces_only(server: Server) -> None:
    admin = await server.token("admin", "*")
    await server.ctx.store.save_flow("main", "team.a", "slow", SLOW)
    started = await server.client.post("/api/v1/executions/team.a/slow", headers=admin)
    execution_id = started.json()["id"]
    viewer_b = await server.token("runner", "team.b")
    refused = await server.client.delete(
        f"/api/v1/executions/{execution_id}/kill", headers=viewer_b
    )
    assert refused.status_code == 403
    runner = await server.token("runner", "team.a")
    labels = await server.client.post(
        f"/api/v1/executions/{execution_id}/labels",
        json=[{"key": "reviewed", "value": "yes"}],
        headers=runner,
    )
    assert labels.status_code == 200, labels.text
    killed = await server.client.delete(f"/api/v1/executions/{execution_id}/kill", headers=runner)
    assert killed.status_code == 202, killed.text
    await server.ctx.engine.wait(execution_id)
    deleted = await server.client.delete(f"/api/v1/executions/{execution_id}", headers=runner)
    assert deleted.status_code == 403 and "editor" in deleted.json()["message"]


async def _audit(server: Server, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    response = await server.client.get("/api/v1/audit/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def test_every_change_appears_in_the_audit_log(server: Server) -> None:
    admin = await server.token("admin", "*")
    yaml_headers = {**admin, "Content-Type": "application/x-yaml"}
    client = server.client
    new = flow("team.a").replace("id: hello", "id: audited")
    assert (await client.post("/api/v1/flows", content=new, headers=yaml_headers)).is_success
    changed = new.replace("message: hello", "message: bye")
    put = "/api/v1/flows/team.a/audited"
    assert (await client.put(put, content=changed, headers=yaml_headers)).is_success
    restore = "/api/v1/flows/team.a/audited/revisions/1/restore"
    assert (await client.post(restore, headers=admin)).is_success
    kv = "/api/v1/namespaces/team.a/kv"
    assert (await client.put(f"{kv}/colour", content=b'"blue"', headers=admin)).is_success
    assert (await client.put(f"{kv}/colour", content=b'"red"', headers=admin)).is_success
    assert (await client.put(f"{kv}/db_password", content=b"hunter22", headers=admin)).is_success
    assert (await client.delete(f"{kv}/colour", headers=admin)).is_success
    execution_id = await _run(server, "team.a", admin)
    labels = f"/api/v1/executions/{execution_id}/labels"
    assert (await client.post(labels, json=[{"key": "k", "value": "v"}], headers=admin)).is_success
    assert (await client.delete(f"/api/v1/executions/{execution_id}", headers=admin)).is_success
    apply = {"flows": [{"source": flow("team.b").replace("hello", "applied")}]}
    assert (await client.post("/api/v1/flows/apply", json=apply, headers=admin)).is_success
    assert (await client.delete(put, headers=admin)).is_success
    created = await client.post(
        "/api/v1/tokens", json={"role": "viewer", "namespace": "team.a"}, headers=admin
    )
    assert created.status_code == 201
    assert (await client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=admin)).is_success
    # Reads, validations and dry runs are not changes.
    validate = await client.post("/api/v1/flows/validate", content=new, headers=yaml_headers)
    assert validate.is_success
    dry = await client.post("/api/v1/flows/apply", json={**apply, "dryRun": True}, headers=admin)
    assert dry.is_success
    assert (await client.get("/api/v1/flows/team.a/audited", headers=admin)).status_code == 404

    entries = list(reversed(await _audit(server, admin, size="100")))
    actions = [e["action"] for e in entries]
    assert actions == [
        "flow.create",
        "flow.update",
        "flow.restore",
        "kv.put",
        "kv.put",
        "kv.put",
        "kv.delete",
        "execution.run",
        "execution.labels",
        "execution.delete",
        "flow.apply",
        "flow.delete",
        "token.create",
        "token.revoke",
    ]
    by_action = {e["action"]: e for e in entries}
    admin_name = entries[0]["actor"]
    assert admin_name.startswith("token:tok_") and {e["actor"] for e in entries} == {admin_name}
    assert entries[1]["before"] == new and entries[1]["after"] == changed
    assert entries[2]["before"] == changed and entries[2]["after"] == new
    assert (entries[4]["before"], entries[4]["after"]) == ("blue", "red")
    assert entries[5]["after"] == "******" and entries[5]["target"] == "team.a/db_password"
    assert entries[6]["before"] == "red" and entries[6]["after"] is None
    assert by_action["execution.run"]["target"] == "team.a.hello"
    assert by_action["execution.labels"]["target"] == execution_id
    assert by_action["execution.labels"]["after"] == [{"key": "k", "value": "v"}]
    assert by_action["execution.delete"]["before"]["state"] == "SUCCESS"
    assert by_action["flow.apply"]["target"] == "team.b.applied"
    assert by_action["flow.delete"]["before"] == new
    assert by_action["token.create"]["after"]["role"] == "viewer"
    assert "token" not in by_action["token.create"]["after"]
    assert by_action["token.revoke"]["after"]["status"] == "revoked"
    assert all(e["date"] for e in entries)
    assert {e["namespace"] for e in entries} == {"team.a", "team.b"}


async def test_audit_search_filters_and_is_for_admins(server: Server) -> None:
    admin = await server.token("admin", "*")
    for namespace in ("team.a", "team.b"):
        await server.client.put(f"/api/v1/namespaces/{namespace}/kv/k", content=b"1", headers=admin)
    await _run(server, "team.a")
    assert [e["action"] for e in await _audit(server, admin, action="kv")] == ["kv.put"] * 2
    in_b = await _audit(server, admin, namespace="team.b")
    assert [e["target"] for e in in_b] == ["team.b/k"]
    assert len(await _audit(server, admin, actor="nobody")) == 0
    assert len(await _audit(server, admin, **{"from": "2999-01-01T00:00:00Z"})) == 0
    editor = await server.token("editor", "*")
    refused = await server.client.get("/api/v1/audit/search", headers=editor)
    assert refused.status_code == 403 and "needs the role admin" in refused.json()["message"]
    admin_a = await server.token("admin", "team.a")
    assert {e["namespace"] for e in await _audit(server, admin_a)} == {"team.a"}


async def test_tokens_through_the_api(server: Server) -> None:
    admin = await server.token("admin", "*")
    created = await server.client.post(
        "/api/v1/tokens",
        json={"role": "runner", "namespace": "team.a", "name": "ci", "expires": "P30D"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    data = created.json()
    assert data["token"].startswith("hw_") and data["expiresAt"] and data["status"] == "active"
    listed = (await server.client.get("/api/v1/tokens", headers=admin)).json()
    assert "ci" in [t["name"] for t in listed]
    assert all("token" not in t for t in listed)
    assert data["token"] not in (await server.client.get("/api/v1/tokens", headers=admin)).text
    new = {"Authorization": f"Bearer {data['token']}"}
    run = await server.client.post("/api/v1/executions/team.a/hello", headers=new)
    assert run.status_code == 200
    bad = await server.client.post(
        "/api/v1/tokens", json={"role": "owner", "namespace": "x"}, headers=admin
    )
    assert bad.status_code == 422 and "unknown role" in bad.json()["message"]
    admin_a = await server.token("admin", "team.a")
    outside = await server.client.post(
        "/api/v1/tokens", json={"role": "viewer", "namespace": "team.b"}, headers=admin_a
    )
    assert outside.status_code == 403
    revoked = await server.client.delete(f"/api/v1/tokens/{data['id']}", headers=admin)
    assert revoked.json()["status"] == "revoked"
    assert (await server.client.get("/api/v1/flows/team.a/hello", headers=new)).status_code == 401
    missing = await server.client.delete("/api/v1/tokens/tok_nope", headers=admin)
    assert missing.status_code == 404


async def test_without_access_control_the_caller_is_anonymous(tmp_path: Path) -> None:
    async with serving(tmp_path) as server:
        yaml_headers = {"Content-Type": "application/x-yaml"}
        created = await server.client.post("/api/v1/flows", content=flow("x"), headers=yaml_headers)
        assert created.status_code == 200
        found = (await server.client.get("/api/v1/audit/search")).json()["results"]
        assert [(e["actor"], e["action"]) for e in found] == [("anonymous", "flow.create")]


# --- forward-auth proxy mode ----------------------------------------------------------------------
PROXY = {
    "auth": "proxy",
    "proxy_trusted": ["127.0.0.1", "10.0.0.0/8"],
    "proxy_groups": {"ops": "editor:team.a", "auditors": "viewer:team.b,viewer:team.a"},
}


@pytest.fixture
async def proxied(tmp_path: Path) -> AsyncIterator[Server]:
    async with serving(tmp_path, client_address="10.1.2.3", **PROXY) as server:
        for namespace in ("team.a", "team.b"):
            await server.ctx.store.save_flow("main", namespace, "hello", flow(namespace))
        yield server


async def test_proxy_mode_trusts_the_proxys_headers(proxied: Server) -> None:
    ops = {"Remote-User": "ada", "Remote-Groups": "staff, ops"}
    get = proxied.client.get
    assert (await get("/api/v1/flows/team.a/hello", headers=ops)).status_code == 200
    refused = await get("/api/v1/flows/team.b/hello", headers=ops)
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("ada needs the role viewer on namespace 'team.b'")
    source = flow("team.a").replace("message: hello", "message: bye")
    put = await proxied.client.put(
        "/api/v1/flows/team.a/hello",
        content=source,
        headers={**ops, "Content-Type": "application/x-yaml"},
    )
    assert put.status_code == 200
    anyone = await get("/api/v1/flows/team.a/hello", headers={"Remote-User": "eve"})
    assert anyone.status_code == 403 and "no role" in anyone.json()["message"]
    nobody = await get("/api/v1/flows/team.a/hello")
    assert nobody.status_code == 401 and "Remote-User" in nobody.json()["message"]
    auditor = {"Remote-User": "bob", "Remote-Groups": "auditors"}
    several = await get("/api/v1/executions/search", headers=auditor)
    assert several.status_code == 403 and "team.a, team.b" in several.json()["message"]
    one = await get("/api/v1/executions/search", params={"namespace": "team.b"}, headers=auditor)
    assert one.status_code == 200


async def test_proxy_mode_takes_a_token_the_proxy_lets_through(proxied: Server) -> None:
    runner = await proxied.token("runner", "team.b")
    run = await proxied.client.post("/api/v1/executions/team.b/hello", headers=runner)
    assert run.status_code == 200
    refused = await proxied.client.post("/api/v1/executions/team.a/hello", headers=runner)
    assert refused.status_code == 403
    wrong = await proxied.client.get("/api/v1/flows/team.b", headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 401 and wrong.json()["message"] == "invalid API token"


async def test_proxy_mode_audits_the_proxys_user(proxied: Server) -> None:
    ops = {"Remote-User": "ada", "Remote-Groups": "ops"}
    put = await proxied.client.put("/api/v1/namespaces/team.a/kv/k", content=b"2", headers=ops)
    assert put.status_code == 204
    entries, _ = await proxied.ctx.store.search_audit(AuditQuery())
    assert [(e.actor, e.action) for e in entries] == [("ada", "kv.put")]


async def test_proxy_mode_refuses_other_addresses(tmp_path: Path) -> None:
    async with serving(tmp_path, client_address="192.168.9.9", **PROXY) as server:
        ops = {"Remote-User": "ada", "Remote-Groups": "ops"}
        response = await server.client.get("/api/v1/flows/team.a", headers=ops)
        assert response.status_code == 401
        assert "192.168.9.9 is not a trusted proxy" in response.json()["message"]
        token = await server.token("admin", "*")
        direct = await server.client.get("/api/v1/flows/team.a", headers=token)
        assert direct.status_code == 401
        assert (await server.client.get("/health")).status_code == 200


async def test_bulk_actions_need_the_role_on_each_execution(server: Server) -> None:
    in_a, in_b = await _run(server, "team.a"), await _run(server, "team.b")
    runner = await server.token("runner", "team.a")
    client = server.client
    both = await client.request(
        "DELETE", "/api/v1/executions/kill/by-ids", json={"ids": [in_a, in_b]}, headers=runner
    )
    assert both.status_code == 403 and "'team.b'" in both.json()["message"]
    mine = await client.request(
        "DELETE", "/api/v1/executions/kill/by-ids", json={"ids": [in_a]}, headers=runner
    )
    assert mine.status_code == 200 and mine.json()["errors"][0]["id"] == in_a  # already ended
    editor = await server.token("editor", "team.a")
    deleted = await client.delete("/api/v1/executions/by-query", headers=editor)
    assert deleted.status_code == 200 and deleted.json()["count"] == 1
    assert (await server.ctx.store.get_execution(in_b)) is not None
    assert (await server.ctx.store.get_execution(in_a)) is None
    outside = await client.delete(
        "/api/v1/executions/by-query", params={"namespace": "team.b"}, headers=editor
    )
    assert outside.status_code == 403


async def test_trigger_changes_need_editor_on_the_namespace_in_the_body(server: Server) -> None:
    editor = await server.token("editor", "team.a")
    ref = {"namespace": "team.b", "flowId": "hello", "triggerId": "t"}
    refused = await server.client.put(
        "/api/v1/triggers", json={**ref, "disabled": True}, headers=editor
    )
    assert refused.status_code == 403 and "'team.b'" in refused.json()["message"]
    several = await server.client.post(
        "/api/v1/triggers/set-disabled/by-triggers",
        json={"triggers": [{**ref, "namespace": "team.a"}, ref], "disabled": True},
        headers=editor,
    )
    assert several.status_code == 403
    mine = await server.client.put(
        "/api/v1/triggers/backfill/pause", json={**ref, "namespace": "team.a"}, headers=editor
    )
    assert mine.status_code == 404  # allowed; the flow has no such trigger


async def test_changes_of_other_routes_are_audited_by_the_authorisation_layer(
    server: Server,
) -> None:
    editor = await server.token("editor", "team.a")
    upload = await server.client.post(
        "/api/v1/namespaces/team.a/files",
        params={"path": "/scripts/a.sh"},
        files={"fileContent": ("a.sh", b"echo hi")},
        headers=editor,
    )
    assert upload.status_code == 204, upload.text
    refused = await server.client.post(
        "/api/v1/namespaces/team.b/files",
        params={"path": "/a.sh"},
        files={"fileContent": ("a.sh", b"echo hi")},
        headers=editor,
    )
    assert refused.status_code == 403
    await server.ctx.store.save_flow("main", "team.a", "slow", SLOW)
    started = await server.client.post("/api/v1/executions/team.a/slow", headers=editor)
    execution_id = started.json()["id"]
    await _wait_paused(server, execution_id)
    killed = await server.client.delete(f"/api/v1/executions/{execution_id}/kill", headers=editor)
    assert killed.status_code == 202
    failed = await server.client.delete("/api/v1/namespaces/team.a/kv/none", headers=editor)
    assert failed.status_code == 404  # refused changes are not audited

    admin = await server.token("admin", "*")
    entries = list(reversed(await _audit(server, admin)))
    assert [(e["action"], e["target"]) for e in entries] == [
        ("file.create", "/namespaces/team.a/files?path=%2Fscripts%2Fa.sh"),
        ("execution.run", "team.a.slow"),
        ("execution.kill", execution_id),
    ]
    assert entries[2]["before"]["state"] == "PAUSED"
    assert {e["namespace"] for e in entries} == {"team.a"}


async def _wait_paused(server: Server, execution_id: str) -> None:
    for _ in range(200):
        execution = await server.ctx.store.get_execution(execution_id)
        if execution is not None and execution.current.value == "PAUSED":
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"execution {execution_id} never paused")
