"""GitOps of namespace files through the API: plan, apply, prune."""

from __future__ import annotations

import base64

from .conftest import Api


def files(contents: dict[str, bytes]) -> list[dict[str, str]]:
    return [
        {"path": path, "content": base64.b64encode(data).decode()}
        for path, data in contents.items()
    ]


async def test_apply_plans_then_writes_and_prunes(api: Api) -> None:
    url = "/api/v1/namespaces/demo/files"
    await api.client.post(url, params={"path": "/old.txt"}, files={"fileContent": b"old"})
    await api.client.post(url, params={"path": "/keep.txt"}, files={"fileContent": b"same"})
    body = {
        "files": files({"scripts/run.py": b"print(1)\n", "keep.txt": b"same"}),
        "prune": True,
        "dryRun": True,
    }
    plan = (await api.client.post(f"{url}/apply", json=body)).json()
    actions = {c["path"]: c["action"] for c in plan["changes"]}
    assert actions == {"scripts/run.py": "create", "keep.txt": "unchanged", "old.txt": "delete"}
    assert (await api.client.get(url, params={"path": "/old.txt"})).status_code == 200

    done = (await api.client.post(f"{url}/apply", json={**body, "dryRun": False})).json()
    assert done["summary"] == {"create": 1, "update": 0, "delete": 1, "unchanged": 1}
    assert (await api.client.get(url, params={"path": "/scripts/run.py"})).text == "print(1)\n"
    assert (await api.client.get(url, params={"path": "/old.txt"})).status_code == 404

    changed = {"files": files({"scripts/run.py": b"print(2)\n"})}
    update = (await api.client.post(f"{url}/apply", json=changed)).json()
    (change,) = [c for c in update["changes"] if c["action"] != "unchanged"]
    assert change["action"] == "update" and "+print(2)" in change["diff"]


async def test_apply_refuses_bad_content_and_paths(api: Api) -> None:
    url = "/api/v1/namespaces/demo/files/apply"
    bad = await api.client.post(url, json={"files": [{"path": "a.txt", "content": "%%%"}]})
    assert bad.status_code == 422 and "not base64" in bad.json()["message"]
    escape = await api.client.post(url, json={"files": files({"../etc/passwd": b"x"})})
    assert escape.status_code in (400, 422)
    assert "etc/passwd" in escape.json()["message"]
