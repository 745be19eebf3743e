"""What schemathesis found against `headway server` (docs/api.md, "Checking the API"):
each request once answered 500, or was accepted although it broke the document."""

from __future__ import annotations

import pytest

from .conftest import HELLO, Api

HUGE = "1602090856150459460300874306641985536"  # beyond any integer SQLite can bind


@pytest.mark.parametrize(
    ("method", "path", "params", "name"),
    [
        ("POST", "/api/v1/executions/demo/hello", {"revision": HUGE}, "revision"),
        ("GET", "/api/v1/flows/demo/hello", {"revision": HUGE}, "revision"),
        ("GET", "/api/v1/flows/demo/hello/revisions/diff", {"from": HUGE, "to": 1}, "from"),
        ("POST", f"/api/v1/flows/demo/hello/revisions/{HUGE}/restore", {}, "revision"),
        ("GET", "/api/v1/executions/search", {"page": HUGE}, "page"),
        ("GET", "/api/v1/audit/search", {"page": HUGE}, "page"),
        ("GET", "/api/v1/flows/search", {"page": HUGE}, "page"),
        ("GET", "/api/v1/triggers/search", {"page": HUGE}, "page"),
    ],
)
async def test_a_number_too_large_is_a_bad_parameter(
    api: Api, method: str, path: str, params: dict[str, str], name: str
) -> None:
    await api.create_flow(HELLO)
    response = await api.client.request(method, path, params=params)
    assert response.status_code == 422, response.text
    assert f"parameter '{name}'" in response.json()["message"]
    assert "less than or equal to 2147483647" in response.json()["message"]


async def test_namespace_files_apply_refuses_content_that_is_not_ascii(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/namespaces/demo/files/apply",
        json={"files": [{"path": "a.txt", "content": "\u00d7x"}], "dryRun": True},
    )
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "file 'a.txt': content is not base64"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/flows/apply", {"flows": [], "dryRun": 0}, "dryRun"),
        ("/api/v1/namespaces/demo/files/apply", {"files": [], "prune": "yes"}, "prune"),
        (
            "/api/v1/triggers/set-disabled/by-triggers",
            {"triggers": [{"namespace": "d", "flowId": "f", "triggerId": "t"}], "disabled": 1},
            "disabled",
        ),
    ],
)
async def test_a_boolean_must_be_a_boolean(
    api: Api, path: str, body: dict[str, object], field: str
) -> None:
    response = await api.client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert f"body '{field}': Input should be a valid boolean" in response.json()["message"]


async def test_a_kv_entry_needs_a_valid_namespace(api: Api) -> None:
    response = await api.client.put("/api/v1/namespaces/BAD NS!/kv/k", content=b"1")
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(
        "path parameter 'namespace': invalid namespace 'BAD NS!'"
    )
    listed = await api.client.get("/api/v1/namespaces/BAD NS!/kv")
    assert listed.json() == []


async def test_method_not_allowed_names_every_method_of_the_path(api: Api) -> None:
    response = await api.client.options("/api/v1/executions/webhook/demo/hello/key")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST, PUT"
    assert response.json() == {"message": "Method Not Allowed"}
    on_execution = await api.client.patch("/api/v1/executions/some-id")
    assert on_execution.headers["allow"] == "DELETE, GET"
    # /executions/by-ids is also a path /executions/{execution_id}: the first route counts
    by_ids = await api.client.options("/api/v1/executions/by-ids")
    assert by_ids.headers["allow"] == "DELETE"
    assert (await api.client.put("/health")).headers["allow"] == "GET"
    # /executions/{id}/file is also a path /executions/{namespace}/{flow_id}: the template
    # with fewer parameters counts, as OpenAPI matches concrete paths first
    on_file = await api.client.options("/api/v1/executions/some-id/file")
    assert on_file.headers["allow"] == "GET"


async def test_a_body_of_the_wrong_shape_is_named_in_the_message(api: Api) -> None:
    response = await api.client.post("/api/v1/executions/some-id/labels", json={"env": "x"})
    assert response.status_code == 422
    assert response.json()["message"] == "body: Input should be a valid list"


async def test_errors_are_documented_as_json_on_every_route(api: Api) -> None:
    document = (await api.client.get("/api/v1/openapi.json")).json()
    follow = document["paths"]["/api/v1/executions/{execution_id}/follow"]["get"]["responses"]
    assert list(follow["200"]["content"]) == ["text/event-stream"]
    assert list(follow["404"]["content"]) == ["application/json"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and "content" in response:
                    assert list(response["content"]) == ["application/json"], (method, path)
    metrics = document["paths"]["/metrics"]["get"]["responses"]["200"]
    assert list(metrics["content"]) == ["text/plain"]
    for path in ("/api/v1/executions/{execution_id}/file", "/api/v1/namespaces/{namespace}/files"):
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert list(content) == ["application/octet-stream"], path


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/executions/search", "startDate"),
        ("/api/v1/executions/search", "endDate"),
        ("/api/v1/audit/search", "from"),
        ("/api/v1/audit/search", "to"),
        ("/api/v1/logs/search", "startDate"),
        ("/api/v1/logs/search", "endDate"),
    ],
)
@pytest.mark.parametrize("date", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+05:00"])
async def test_a_date_out_of_range_in_utc_is_a_bad_parameter(
    api: Api, path: str, name: str, date: str
) -> None:
    response = await api.client.get(path, params={name: date})
    assert response.status_code == 422, response.text
    assert response.json()["message"] == (
        f"query parameter '{name}': '{date}' is out of range in UTC"
    )


async def test_a_bulk_delete_by_a_date_out_of_range_is_a_bad_parameter(api: Api) -> None:
    response = await api.client.delete(
        "/api/v1/executions/by-query", params={"startDate": "9999-12-31T23:59:59-01:00"}
    )
    assert response.status_code == 422, response.text
    assert "query parameter 'startDate'" in response.json()["message"]


@pytest.mark.parametrize(
    ("ttl", "message"),
    [
        ("P2999999D", "header 'ttl': 'P2999999D' ends after the year 9999"),
        ("P9999999999D", "header 'ttl': 'P9999999999D' is longer than the longest duration"),
    ],
)
async def test_a_kv_ttl_too_long_is_refused(api: Api, ttl: str, message: str) -> None:
    response = await api.client.put(
        "/api/v1/namespaces/demo/kv/k", content=b"1", headers={"ttl": ttl}
    )
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(message)
    assert (await api.client.get("/api/v1/namespaces/demo/kv/k")).status_code == 404


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("P2999999D", "a token's lifetime ends after the year 9999"),
        ("P9999999999D", "'P9999999999D' is longer than the longest duration"),
    ],
)
async def test_a_token_lifetime_too_long_is_refused(api: Api, expires: str, message: str) -> None:
    response = await api.client.post(
        "/api/v1/tokens", json={"role": "viewer", "namespace": "demo", "expires": expires}
    )
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(message)
    assert (await api.client.get("/api/v1/tokens")).json() == []


SCHEDULED = """\
id: scheduled
namespace: demo
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 3 * * *"
"""


@pytest.mark.parametrize(
    ("dates", "field"),
    [
        ({"start": "0001-01-01T00:00:00Z"}, "start"),
        ({"start": "0001-01-01T00:30:00+01:00"}, "start"),
        ({"start": "2026-01-01T00:00:00Z", "end": "9999-12-31T23:59:59-05:00"}, "end"),
    ],
)
async def test_a_backfill_out_of_range_is_refused(
    api: Api, dates: dict[str, str], field: str
) -> None:
    await api.create_flow(SCHEDULED)
    response = await api.client.put(
        "/api/v1/triggers",
        json={
            "namespace": "demo",
            "flowId": "scheduled",
            "triggerId": "nightly",
            "backfill": dates,
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["message"] == (
        f"body 'backfill.{field}': Value error, out of range: a backfill lies between "
        "0001-01-02 and 9999-12-30"
    )


@pytest.mark.parametrize("flows", [-4.0e16, 5, "x", {"source": 1}])
async def test_apply_with_flows_that_are_not_a_list_is_a_bad_body(api: Api, flows: object) -> None:
    response = await api.client.post("/api/v1/flows/apply", json={"flows": flows})
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith("body 'flows':")


WEBHOOK = """\
id: hooked
namespace: demo
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: the-key
"""


@pytest.mark.parametrize(
    ("method", "path", "source"),
    [
        ("POST", "/api/v1/executions/demo/hello", HELLO),
        ("PUT", "/api/v1/namespaces/demo/kv/deep", None),
        ("POST", "/api/v1/executions/webhook/demo/hooked/the-key", WEBHOOK),
    ],
)
async def test_json_nested_too_deeply_is_a_bad_body(
    api: Api, method: str, path: str, source: str | None
) -> None:
    if source is not None:
        await api.create_flow(source)
    deep = "[" * 100_000 + "]" * 100_000
    response = await api.client.request(
        method, path, content=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "the body is JSON nested too deeply"


async def test_waiting_for_an_execution_scheduled_for_later_is_refused(api: Api) -> None:
    await api.create_flow(HELLO)
    later = "4204-05-30T14:02:40Z"
    response = await api.client.post(
        "/api/v1/executions/demo/hello", params={"wait": "true", "scheduleDate": later}
    )
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(
        "query parameter 'wait': an execution scheduled for later (scheduleDate)"
    )
    found = await api.client.get("/api/v1/executions/search", params={"flowId": "hello"})
    assert found.json()["total"] == 0
    scheduled = await api.client.post(
        "/api/v1/executions/demo/hello", params={"scheduleDate": later}
    )
    assert scheduled.status_code == 200
    assert scheduled.json()["state"]["current"] == "CREATED"


DEEP_YAML = "id: deep\nnamespace: demo\ntasks: " + "[" * 10_000 + "]" * 10_000 + "\n"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/flows"), ("PUT", "/api/v1/flows/demo/deep")],
)
async def test_yaml_nested_too_deeply_is_an_invalid_flow(api: Api, method: str, path: str) -> None:
    response = await api.client.request(
        method, path, content=DEEP_YAML, headers={"Content-Type": "application/x-yaml"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["message"] == "the YAML nests too deeply"


async def test_validate_reports_yaml_nested_too_deeply(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/flows/validate", content=DEEP_YAML, headers={"Content-Type": "application/x-yaml"}
    )
    assert response.status_code == 200, response.text
    assert response.json()[0]["problems"][0]["message"] == "the YAML nests too deeply"


async def test_apply_reports_yaml_nested_too_deeply(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/flows/apply", json={"flows": [{"source": DEEP_YAML, "file": "deep.yaml"}]}
    )
    assert response.status_code == 422, response.text
    assert "the YAML nests too deeply" in response.json()["message"]


async def test_a_namespace_file_path_too_long_is_a_bad_request(api: Api) -> None:
    path = "a/" * 3000 + "f.txt"
    response = await api.client.post(
        "/api/v1/namespaces/demo/files",
        params={"path": path},
        files={"fileContent": ("f.txt", b"x")},
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"].endswith("File name too long")


async def test_a_namespace_file_path_nested_too_deeply_is_a_bad_request(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/namespaces/demo/files",
        params={"path": "d/" * 1500 + "f.txt"},
        files={"fileContent": ("f.txt", b"x")},
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"].endswith("the path nests too deeply")


async def test_a_file_input_named_too_deeply_is_an_invalid_input(api: Api) -> None:
    await api.create_flow(
        "id: upload\nnamespace: demo\ninputs:\n  - id: f\n    type: FILE\n"
        "tasks:\n  - id: l\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )
    response = await api.client.post(
        "/api/v1/executions/demo/upload", files={"f": ("d/" * 1500 + "x", b"x")}
    )
    assert response.status_code == 422, response.text
    assert response.json()["message"].endswith("the path nests too deeply")


LONG_NUMBER = '{"name": ' + "9" * 5000 + "}"


async def test_a_number_of_too_many_digits_is_a_bad_body(api: Api) -> None:
    await api.create_flow(HELLO)
    json_type = {"Content-Type": "application/json"}
    for method, path in (
        ("POST", "/api/v1/executions/demo/hello"),
        ("PUT", "/api/v1/namespaces/demo/kv/big"),
    ):
        response = await api.client.request(method, path, content=LONG_NUMBER, headers=json_type)
        assert response.status_code == 400, response.text
        assert response.json()["message"] == "the body holds a number of more than 4300 digits"


async def test_a_webhook_body_with_a_number_of_too_many_digits_is_text(api: Api) -> None:
    await api.create_flow(WEBHOOK)
    response = await api.client.post(
        "/api/v1/executions/webhook/demo/hooked/the-key",
        content=LONG_NUMBER,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["trigger"]["variables"]["body"] == LONG_NUMBER


async def test_nan_and_infinity_are_not_json(api: Api) -> None:
    await api.create_flow(HELLO)
    response = await api.client.post(
        "/api/v1/executions/demo/hello",
        content=b'{"name": NaN}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "the body is not valid JSON: NaN is not a JSON value"
    stored = await api.client.put("/api/v1/namespaces/demo/kv/inf", content=b"Infinity")
    assert stored.status_code == 204
    got = await api.client.get("/api/v1/namespaces/demo/kv/inf")
    assert got.json() == {"type": "STRING", "value": "Infinity"}


APPROVAL = """\
id: approval
namespace: demo
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
        defaults: true
"""


async def test_a_file_given_when_resuming_is_refused_by_name(api: Api) -> None:
    await api.create_flow(APPROVAL)
    paused = await api.run("demo", "approval")
    assert paused["state"]["current"] == "PAUSED"
    response = await api.client.post(
        f"/api/v1/executions/{paused['id']}/resume",
        data={"approved": "true"},
        files={"extra": ("note.txt", b"x")},
    )
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "input 'extra': a file cannot be given when resuming"
