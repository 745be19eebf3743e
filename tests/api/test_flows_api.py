"""Flows through the API: CRUD with YAML bodies, revisions, validation, search, apply."""

from __future__ import annotations

from .conftest import HELLO, Api

YAML = {"Content-Type": "application/x-yaml"}


async def test_create_get_update_delete(api: Api) -> None:
    created = await api.create_flow(HELLO)
    assert (created["namespace"], created["id"], created["revision"]) == ("demo", "hello", 1)
    assert created["source"] == HELLO
    assert created["tasks"][0]["id"] == "greet"

    again = await api.client.post("/api/v1/flows", content=HELLO, headers=YAML)
    assert again.status_code == 409
    assert "already exists" in again.json()["message"]

    changed = HELLO.replace('Hello {{ inputs.name }}!"\noutputs', 'Hi {{ inputs.name }}!"\noutputs')
    updated = await api.client.put("/api/v1/flows/demo/hello", content=changed, headers=YAML)
    assert updated.status_code == 200 and updated.json()["revision"] == 2

    latest = (await api.client.get("/api/v1/flows/demo/hello")).json()
    assert latest["revision"] == 2 and "Hi {{" in latest["source"]
    first = (await api.client.get("/api/v1/flows/demo/hello", params={"revision": 1})).json()
    assert first["source"] == HELLO

    revisions = (await api.client.get("/api/v1/flows/demo/hello/revisions")).json()
    assert [r["revision"] for r in revisions] == [1, 2]
    diff = (
        await api.client.get("/api/v1/flows/demo/hello/revisions/diff", params={"from": 1, "to": 2})
    ).json()
    assert '-    message: "Hello {{ inputs.name }}!"' in diff["diff"]
    assert '+    message: "Hi {{ inputs.name }}!"' in diff["diff"]

    restored = await api.client.post("/api/v1/flows/demo/hello/revisions/1/restore")
    assert restored.json()["revision"] == 3 and restored.json()["source"] == HELLO

    deleted = await api.client.delete("/api/v1/flows/demo/hello")
    assert deleted.status_code == 204
    missing = await api.client.get("/api/v1/flows/demo/hello")
    assert missing.status_code == 404
    assert missing.json()["message"] == "flow 'demo.hello' not found"


async def test_invalid_flow_is_422_with_its_line(api: Api) -> None:
    bad = HELLO.replace("io.kestra.plugin.core.log.Log", "io.kestra.plugin.core.log.Nope")
    response = await api.client.post("/api/v1/flows", content=bad, headers=YAML)
    assert response.status_code == 422
    body = response.json()
    assert "io.kestra.plugin.core.log.Nope" in body["message"]
    assert body["problems"][0]["line"] == 9
    assert (await api.client.get("/api/v1/flows/demo/hello")).status_code == 404


async def test_bad_bodies_are_4xx(api: Api) -> None:
    empty = await api.client.post("/api/v1/flows", content=b"", headers=YAML)
    assert empty.status_code == 400 and "empty" in empty.json()["message"]
    binary = await api.client.post("/api/v1/flows", content=b"\xff\xfe\x00", headers=YAML)
    assert binary.status_code == 400 and "UTF-8" in binary.json()["message"]
    not_yaml = await api.client.post("/api/v1/flows", content=b"id: [unclosed", headers=YAML)
    assert not_yaml.status_code == 422
    await api.create_flow(HELLO)
    other = HELLO.replace("id: hello", "id: other")
    wrong = await api.client.put("/api/v1/flows/demo/hello", content=other, headers=YAML)
    assert wrong.status_code == 422 and "demo.other" in wrong.json()["message"]
    bad_revision = await api.client.get("/api/v1/flows/demo/hello", params={"revision": "x"})
    assert bad_revision.status_code == 422
    assert "query parameter 'revision'" in bad_revision.json()["message"]


async def test_validate_reports_each_document(api: Api) -> None:
    bad = HELLO.replace("id: hello", "id: broken").replace("type: STRING", "type: STRANGE")
    response = await api.client.post(
        "/api/v1/flows/validate", content=HELLO + "---\n" + bad, headers=YAML
    )
    assert response.status_code == 200
    first, second = response.json()
    assert first["flow"] == "hello" and first["constraints"] is None
    assert second["flow"] == "broken" and "STRANGE" in second["constraints"]
    assert second["problems"][0]["line"] is not None
    assert (await api.client.get("/api/v1/flows/demo/broken")).status_code == 404


async def test_search_and_namespaces(api: Api) -> None:
    await api.create_flow(HELLO)
    await api.create_flow(HELLO.replace("namespace: demo", "namespace: platform.ops"))
    found = (await api.client.get("/api/v1/flows/search", params={"namespace": "platform"})).json()
    assert found["total"] == 1 and found["results"][0]["namespace"] == "platform.ops"
    by_text = (await api.client.get("/api/v1/flows/search", params={"q": "greet"})).json()
    assert by_text["total"] == 2
    names = (await api.client.get("/api/v1/namespaces/search")).json()
    assert [n["id"] for n in names["results"]] == ["demo", "platform", "platform.ops"]


async def test_apply_plans_then_applies_and_prunes(api: Api) -> None:
    await api.create_flow(HELLO)
    await api.create_flow(HELLO.replace("id: hello", "id: old"))
    changed = HELLO.replace("defaults: World", "defaults: Earth")
    new = HELLO.replace("id: hello", "id: new")
    body = {
        "flows": [{"source": changed, "file": "hello.yaml"}, {"source": new, "file": "new.yaml"}],
        "namespace": "demo",
        "prune": True,
        "dryRun": True,
    }
    plan = (await api.client.post("/api/v1/flows/apply", json=body)).json()
    actions = {c["id"]: c["action"] for c in plan["changes"]}
    assert actions == {"hello": "update", "new": "create", "old": "delete"}
    assert "+    defaults: Earth" in next(c["diff"] for c in plan["changes"] if c["id"] == "hello")
    assert (await api.client.get("/api/v1/flows/demo/new")).status_code == 404

    applied = (await api.client.post("/api/v1/flows/apply", json={**body, "dryRun": False})).json()
    assert applied["summary"] == {"create": 1, "update": 1, "delete": 1, "unchanged": 0}
    assert (await api.client.get("/api/v1/flows/demo/new")).status_code == 200
    assert (await api.client.get("/api/v1/flows/demo/old")).status_code == 404


async def test_apply_of_an_invalid_flow_applies_nothing(api: Api) -> None:
    bad = HELLO.replace("id: hello", "id: bad").replace("tasks:", "taskz:")
    body = {"flows": [{"source": HELLO, "file": "a.yaml"}, {"source": bad, "file": "b.yaml"}]}
    response = await api.client.post("/api/v1/flows/apply", json=body)
    assert response.status_code == 422
    assert "b.yaml" in response.json()["message"]
    assert (await api.client.get("/api/v1/flows/demo/hello")).status_code == 404


async def test_tenant_prefixed_paths(api: Api) -> None:
    await api.create_flow(HELLO)
    response = await api.client.get("/api/v1/main/flows/demo/hello")
    assert response.status_code == 200 and response.json()["id"] == "hello"


async def test_graph_of_a_flow(api: Api) -> None:
    await api.create_flow(HELLO)
    graph = (await api.client.get("/api/v1/flows/demo/hello/graph")).json()
    assert graph["nodes"] == [
        {
            "id": "greet",
            "type": "io.kestra.plugin.core.log.Log",
            "flowable": False,
            "parent": None,
            "branch": "tasks",
            "disabled": False,
        }
    ]
    assert graph["edges"] == []
    missing = await api.client.get("/api/v1/flows/demo/hello/graph", params={"revision": 9})
    assert missing.status_code == 404 and "revision 9" in missing.json()["message"]
