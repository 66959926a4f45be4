"""The sandbox's property index endpoints, distributed tasks and schema fidelity fixes.

What Weaviate answers is read from its source (adapters/handlers/rest/handlers_indexes*.go,
handlers_schema.go, usecases/distributedtask/handler.go, entities/schema/data_types.go,
usecases/schema/class.go); each test names the behaviour it pins.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from sandbox import Sandbox

ARTICLE = {"class": "Article", "properties": [
    {"name": "title", "dataType": ["text"]}, {"name": "views", "dataType": ["int"]},
    {"name": "flag", "dataType": ["boolean"], "indexFilterable": False}],
    "shardingConfig": {"desiredCount": 2}}


@pytest.fixture
def server(tmp_path) -> Iterator[Sandbox]:
    with Sandbox(nodes=2, runtime_reindex=True, backup_dir=tmp_path / "b") as sb:
        yield sb


@pytest.fixture
def http(server: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.put("/__sandbox/tasks", json={"duration_ms": 300}).raise_for_status()
        client.post("/v1/schema", json=ARTICLE).raise_for_status()
        yield client


def message(response: httpx.Response) -> str:
    return response.json()["error"][0]["message"]


def indexes_of(http: httpx.Client, prop: str) -> list[dict]:
    body = http.get("/v1/schema/Article/indexes").json()
    return next(p for p in body["properties"] if p["name"] == prop)["indexes"]


def wait_finished(http: httpx.Client) -> None:
    deadline = time.monotonic() + 5
    while any(t["status"] == "STARTED" for t in http.get("/v1/tasks").json().get("reindex", [])):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_index_status_lists_the_indexes_a_property_has(http: httpx.Client) -> None:
    body = http.get("/v1/schema/Article/indexes").json()
    assert body["collection"] == "Article"
    title, views, flag = body["properties"]
    assert title == {"name": "title", "dataType": "text", "indexes": [
        {"type": "filterable", "status": "ready", "tokenization": "word"},
        {"type": "searchable", "status": "ready", "tokenization": "word",
         "algorithm": "blockmax"}]}
    assert views["indexes"] == [{"type": "filterable", "status": "ready"}]
    assert flag["indexes"] == []  # flag off, no task: nothing to say
    missing = http.get("/v1/schema/Nope/indexes")
    assert missing.status_code == 404 and missing.content == b""


def test_a_reindex_is_a_task_that_finishes_and_changes_the_schema(http: httpx.Client) -> None:
    started = http.put("/v1/schema/Article/properties/views/index/rangeFilters", json={})
    assert started.status_code == 202
    task_id = started.json()["taskId"]
    assert started.json()["status"] == "STARTED"
    assert task_id.startswith("Article:enable-rangeable:views:")
    # a converging request joins the running task (rangeable is the write-path alias)
    again = http.put("/v1/schema/Article/properties/views/index/rangeable", json={})
    assert (again.status_code, again.json()["taskId"]) == (202, task_id)
    running = indexes_of(http, "views")[1]
    assert running["type"] == "rangeFilters" and running["taskId"] == task_id
    assert running["status"] in ("pending", "indexing")
    tasks = http.get("/v1/tasks").json()["reindex"]
    assert [t["id"] for t in tasks] == [task_id]
    task = tasks[0]
    assert task["finishedNodes"] is None and task["finishedAt"] == "0001-01-01T00:00:00.000Z"
    assert task["payload"]["migrationType"] == "enable-rangeable"
    assert sorted(u["nodeId"] for u in task["units"]) == ["node1", "node2"]  # one per replica
    assert all("__" in u["id"] for u in task["units"])
    wait_finished(http)
    assert indexes_of(http, "views")[1] == {"type": "rangeFilters", "status": "ready"}
    views = http.get("/v1/schema/Article").json()["properties"][1]
    assert views["indexRangeFilters"] is True
    done = http.put("/v1/schema/Article/properties/views/index/rangeFilters", json={})
    assert (done.status_code, done.json()) == (200, {"status": "NO_OP"})
    finished = http.get("/v1/tasks").json()["reindex"][0]
    assert finished["status"] == "FINISHED" and finished["finishedAt"].startswith("20")
    assert {u["status"] for u in finished["units"]} == {"COMPLETED"}


def test_tokenization_change_is_shown_with_its_target_and_can_be_cancelled(
        http: httpx.Client) -> None:
    http.put("/__sandbox/tasks", json={"duration_ms": 60000})
    started = http.put("/v1/schema/Article/properties/title/index/searchable",
                       json={"tokenization": "field"}).json()
    filterable, searchable = indexes_of(http, "title")
    assert searchable["targetTokenization"] == "field" == filterable["targetTokenization"]
    assert searchable["taskId"] == started["taskId"] == filterable["taskId"]
    conflict = http.put("/v1/schema/Article/properties/title/index/filterable", json={})
    assert conflict.status_code == 200  # the filterable index exists: nothing to do
    other = http.post("/v1/schema/Article/properties/title/index/filterable/rebuild")
    assert other.status_code == 409
    assert message(other).startswith(f'reindex task "{started["taskId"]}" conflicts: already '
                                     "running change-tokenization for overlapping properties")
    blocked = http.delete("/v1/schema/Article/properties/title/index/searchable")
    assert blocked.status_code == 422 and "schema mutations on this property" in message(blocked)
    cancelled = http.post("/v1/schema/Article/properties/title/index/searchable/cancel")
    assert cancelled.status_code == 202
    assert cancelled.json() == {"taskId": started["taskId"], "status": "CANCELLED"}
    assert indexes_of(http, "title")[1]["status"] == "cancelled"
    nothing = http.post("/v1/schema/Article/properties/title/index/searchable/cancel")
    assert (nothing.status_code, nothing.json()) == (202, {"status": "NO_OP"})
    assert http.get("/v1/schema/Article").json()["properties"][0]["tokenization"] == "word"


def test_refusals_carry_weaviates_statuses_and_texts(http: httpx.Client, server) -> None:
    base = "/v1/schema/Article/properties"
    cases = [
        (f"{base}/views/index/searchable", {"tokenization": "word"}, 400,
         'property "views" is not a text type'),
        (f"{base}/title/index/searchable", {"tokenization": "word", "algorithm": "blockmax"},
         400, "at most one configuration change per request"),
        (f"{base}/title/index/searchable", {"algorithm": "wand"}, 400,
         'algorithm "wand" is deprecated'),
        (f"{base}/title/index/rangeFilters", {}, 400,
         'property "title" is not a numeric type (int, number, date)'),
        (f"{base}/views/index/rangeFilters", {"tokenization": "word"}, 400,
         "the rangeFilters index takes no configuration fields"),
        (f"{base}/nope/index/filterable", {}, 404,
         'property "nope" not found on collection "Article"'),
        ("/v1/schema/Nope/properties/x/index/filterable", {}, 404,
         'collection "Nope" not found'),
    ]
    for path, body, status, text in cases:
        answer = http.put(path, json=body)
        assert answer.status_code == status, path
        assert message(answer).startswith(text), message(answer)
    bad = http.put(f"{base}/title/index/vector", json={})
    assert bad.status_code == 422 and bad.json()["code"] == 606
    http.put("/__sandbox/tasks", json={"runtime_reindex": False})
    off = http.put(f"{base}/views/index/rangeFilters", json={})
    assert off.status_code == 400
    assert message(off) == "runtime reindex is disabled; enable with RUNTIME_REINDEX_ENABLED=true"
    cancel = http.post(f"{base}/views/index/rangeFilters/cancel")
    assert cancel.status_code == 202  # cancelling stays possible with the flag off
    assert http.get("/v1/tasks").json() == {}


def test_delete_index_turns_the_flag_off(http: httpx.Client) -> None:
    gone = http.delete("/v1/schema/Article/properties/title/index/filterable")
    assert gone.status_code == 200 and gone.content == b""
    title = http.get("/v1/schema/Article").json()["properties"][0]
    assert title["indexFilterable"] is False and title["indexSearchable"] is True
    missing = http.delete("/v1/schema/Article/properties/nope/index/filterable")
    assert (missing.status_code, message(missing)) == (422, "property name nope: not found")
    no_class = http.delete("/v1/schema/Nope/properties/x/index/filterable")
    assert (no_class.status_code, message(no_class)) == (422, 'class "Nope": not found')


@pytest.mark.parametrize(("data_type", "text"), [
    (["strnig"], "[strnig]: unknown primitive data type 'strnig'"),
    (["text", "int"], "[text int]: 'text' is not a valid class name"),
    ([""], "[]: dataType cannot be an empty string"),
    ([], "[]: dataType must have at least one element"),
    (["Ghost"], "[Ghost]: reference property to nonexistent class"),
])
def test_unknown_data_types_are_refused_with_422(http: httpx.Client, data_type, text) -> None:
    added = http.post("/v1/schema/Article/properties", json={"name": "p", "dataType": data_type})
    assert added.status_code == 422
    assert added.json() == {"allowed": None,
                            "error": [{"message": f"property 'p': invalid dataType: {text}"}]}
    created = http.post("/v1/schema", json={"class": "Other", "properties": [
        {"name": "p", "dataType": data_type}]})
    assert created.status_code == 422
    if data_type != ["Ghost"]:  # the class check runs in the RAFT apply, worded differently
        assert message(created) == f"property 'p': invalid dataType: {text}"


def test_property_needs_a_name_and_a_data_type(http: httpx.Client) -> None:
    no_type = http.post("/v1/schema/Article/properties", json={"name": "p"})
    assert (no_type.status_code, message(no_type)) == (422, "property must contain dataType")
    no_name = http.post("/v1/schema/Article/properties", json={"dataType": ["text"]})
    assert (no_name.status_code, message(no_name)) == (422, "property must contain name")


def test_named_vector_errors_carry_the_vector_prefix(http: httpx.Client) -> None:
    answer = http.post("/v1/schema", json={"class": "Vec", "vectorConfig": {
        "v": {"vectorizer": {"text2vec-nope": {}}, "vectorIndexType": "hnsw"}}})
    assert message(answer) == 'target vector "v": vectorizer: no module with name ' \
                              '"text2vec-nope" present'
    answer = http.post("/v1/schema", json={"class": "Vec", "vectorConfig": {
        "v": {"vectorizer": {"none": {}}, "vectorIndexType": "annoy"}}})
    assert message(answer) == 'target vector "v": unrecognized or unsupported vectorIndexType ' \
                              '"annoy"'


def test_auto_schema_never_invents_a_data_type(http: httpx.Client) -> None:
    http.post("/v1/objects", json={"class": "Auto", "properties": {
        "a": "x", "b": 1, "c": True, "d": [1.5], "e": {"f": "g"}}}).raise_for_status()
    types = {p["name"]: p["dataType"] for p in
             http.get("/v1/schema/Auto").json()["properties"]}
    assert types == {"a": ["text"], "b": ["number"], "c": ["boolean"], "d": ["number[]"],
                     "e": ["object"]}


def test_task_knob_validates_and_resets_keep_the_flag(http: httpx.Client) -> None:
    assert http.put("/__sandbox/tasks", json={"duration_ms": -1}).status_code == 422
    assert http.put("/__sandbox/tasks", json={"speed": 1}).status_code == 422
    http.put("/v1/schema/Article/properties/views/index/rangeFilters", json={})
    http.post("/__sandbox/reset", json={})
    assert http.get("/v1/tasks").json() == {}
    assert http.get("/__sandbox/tasks").json() == {"duration_ms": 300.0, "runtime_reindex": True}


def test_tenants_scope_format_only_changes_of_multi_tenant_collections(
        http: httpx.Client) -> None:
    http.post("/v1/schema", json={"class": "Mt", "multiTenancyConfig": {"enabled": True},
                                  "properties": [{"name": "n", "dataType": ["int"]}]})
    http.post("/v1/schema/Mt/tenants", json=[
        {"name": "a"}, {"name": "b"}, {"name": "c", "activityStatus": "INACTIVE"}])
    base = "/v1/schema/Mt/properties/n/index"
    only_a = http.put(f"{base}/rangeFilters", params={"tenants": "a"}, json={})
    assert only_a.status_code == 202
    task = http.get("/v1/tasks").json()["reindex"][0]
    assert task["payload"]["tenants"] == ["a"]
    assert [u["id"].split("__")[0] for u in task["units"]] == ["a"]  # factor 1: one replica
    unknown = http.post(f"{base}/filterable/rebuild", params={"tenants": "zz"})
    assert (unknown.status_code, message(unknown)) == (400, 'tenant "zz" does not exist')
    semantic = http.put(f"{base}/searchable", params={"tenants": "a"},
                        json={"tokenization": "word"})
    assert semantic.status_code == 400  # not a text type comes first
    not_mt = http.put("/v1/schema/Article/properties/views/index/rangeFilters",
                      params={"tenants": "a"}, json={})
    assert message(not_mt) == "tenants parameter is only valid for multi-tenant collections"
    wait_finished(http)
    everyone = http.post(f"{base}/filterable/rebuild")
    units = next(t for t in http.get("/v1/tasks").json()["reindex"]
                 if t["id"] == everyone.json()["taskId"])["units"]
    assert sorted(u["id"].split("__")[0] for u in units) == ["a", "b", "c"]  # inactive too
