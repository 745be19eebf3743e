"""`headway server` with HEADWAY_AUTH=tokens as a subprocess: tokens made with the CLI, used
over HTTP and by the CLI's ``--server``; changes land in the audit log."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from .conftest import Cli
from .test_server import EXAMPLES, free_port, running_server


@dataclass
class TokensCli(Cli):
    """The CLI with access control on (and, for client commands, a token)."""

    token: str = ""

    def env(self) -> dict[str, str]:
        env = super().env()
        env["HEADWAY_AUTH"] = "tokens"
        if self.token:
            env["HEADWAY_TOKEN"] = self.token
        return env


def create_token(cli: Cli, role: str, namespace: str) -> str:
    done = cli.run("tokens", "create", "--role", role, "--namespace", namespace, "--name", role)
    assert done.returncode == 0, done.stderr
    secret = done.stdout.strip()
    assert secret.startswith("hw_") and "\n" not in secret
    assert f"{role} on {namespace}" in done.stderr
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_server_with_tokens(tmp_path: Path) -> None:
    cli = TokensCli(tmp_path / "home")
    flows = tmp_path / "flows"
    shutil.copytree(EXAMPLES, flows)
    viewer = create_token(cli, "viewer", "demo")
    runner = create_token(cli, "runner", "demo")
    other = create_token(cli, "runner", "elsewhere")
    with running_server(cli, "--flows", str(flows)) as (url, _):
        run = f"{url}/api/v1/executions/demo/hello"
        params = {"wait": "true"}
        missing = httpx.post(run, params=params, data={"name": "Ada"})
        assert missing.status_code == 401
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        assert "missing API token" in missing.json()["message"]
        wrong = httpx.post(run, params=params, headers=bearer("hw_nope"))
        assert wrong.status_code == 401 and wrong.json()["message"] == "invalid API token"
        refused = httpx.post(run, params=params, data={"name": "Ada"}, headers=bearer(viewer))
        assert refused.status_code == 403
        assert "needs the role runner on namespace 'demo'" in refused.json()["message"]
        elsewhere = httpx.post(run, params=params, headers=bearer(other))
        assert elsewhere.status_code == 403
        done = httpx.post(run, params=params, data={"name": "Ada"}, headers=bearer(runner))
        assert done.status_code == 200, done.text
        assert done.json()["outputs"] == {"greeting": "Hello Ada!"}
        execution_id = done.json()["id"]
        seen = httpx.get(f"{url}/api/v1/executions/{execution_id}", headers=bearer(viewer))
        assert seen.status_code == 200
        assert httpx.get(f"{url}/health").status_code == 200

        # The CLI's client sends HEADWAY_TOKEN.
        listed = TokensCli(cli.home, token=viewer).run("executions", "list", "--server", url)
        assert listed.returncode == 0, listed.stderr
        assert execution_id in listed.stdout
        anonymous = cli.run("executions", "list", "--server", url)
        assert anonymous.returncode == 1 and "401" in anonymous.stderr

        # Revoked with the CLI while the server runs: refused at once.
        tokens = json.loads(cli.run("tokens", "list", "--json").stdout)
        (runner_id,) = [
            t["id"] for t in tokens if t["name"] == "runner" and t["namespace"] == "demo"
        ]
        assert all("token" not in t for t in tokens)
        assert cli.run("tokens", "revoke", runner_id).returncode == 0
        again = httpx.post(run, params=params, headers=bearer(runner))
        assert again.status_code == 401 and "revoked" in again.json()["message"]

    audit = cli.run("audit", "list", "--json")
    assert audit.returncode == 0, audit.stderr
    entries = json.loads(audit.stdout)["results"]
    actions = [(e["action"], e["target"]) for e in reversed(entries)]
    assert actions[:3] == [("token.create", t["id"]) for t in tokens]
    assert ("execution.run", "demo.hello") in actions
    assert actions[-1] == ("token.revoke", runner_id)
    for secret in (viewer, runner, other):
        assert secret not in audit.stdout


def test_a_server_refuses_proxy_mode_without_trusted_proxies(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    env = {**cli.env(), "HEADWAY_AUTH": "proxy"}
    done = subprocess.run(
        cli.command("server", "--port", str(free_port())),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "auth=proxy needs proxy_trusted" in done.stderr


def test_tokens_and_audit_commands_refuse_bad_input(cli: Cli) -> None:
    bad_prefix = cli.run("tokens", "create", "--role", "viewer", "--namespace", "a..b")
    assert bad_prefix.returncode == 2 and "not a namespace prefix" in bad_prefix.stderr
    bad_expiry = cli.run(
        "tokens", "create", "--role", "viewer", "--namespace", "a", "--expires", "soon"
    )
    assert bad_expiry.returncode == 2 and "ISO-8601 duration" in bad_expiry.stderr
    bad_role = cli.run("tokens", "create", "--role", "owner", "--namespace", "a")
    assert bad_role.returncode == 2 and "'owner' is not one of" in bad_role.stderr
    unknown = cli.run("tokens", "revoke", "tok_nope")
    assert unknown.returncode == 1 and "token 'tok_nope' not found" in unknown.stderr
    bad_date = cli.run("audit", "list", "--from", "yesterday")
    assert bad_date.returncode == 2 and "--from" in bad_date.stderr
    created = json.loads(
        cli.run("tokens", "create", "--role", "admin", "--namespace", "*", "--json").stdout
    )
    assert created["namespace"] == "*" and created["token"].startswith("hw_")
    listed = cli.run("audit", "list", "--action", "token")
    assert listed.returncode == 0
    assert f"token.create       {created['id']}" in listed.stdout
    assert created["token"] not in listed.stdout
    assert cli.run("audit", "list", "--action", "flow").stdout == ""
