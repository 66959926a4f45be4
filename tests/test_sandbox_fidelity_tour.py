"""A scripted tour over every endpoint the sandbox serves, each response validated against
the schema Weaviate's OpenAPI spec declares for it; error cases checked for Weaviate's
status codes and body shapes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from openapi_schema import require_spec, validate

from sandbox import Sandbox

REQUIRED = {
    ("GET", "/meta"), ("GET", "/.well-known/live"), ("GET", "/.well-known/ready"),
    ("GET", "/schema"), ("POST", "/schema"), ("GET", "/schema/{className}"),
    ("PUT", "/schema/{className}"), ("DELETE", "/schema/{className}"),
    ("POST", "/schema/{className}/properties"), ("GET", "/schema/{className}/shards"),
    ("PUT", "/schema/{className}/shards/{shardName}"),
    ("GET", "/objects"), ("POST", "/objects"), ("GET", "/objects/{className}/{id}"),
    ("HEAD", "/objects/{className}/{id}"), ("PUT", "/objects/{className}/{id}"),
    ("PATCH", "/objects/{className}/{id}"), ("DELETE", "/objects/{className}/{id}"),
    ("POST", "/batch/objects"), ("DELETE", "/batch/objects"), ("POST", "/graphql"),
    ("GET", "/schema/{className}/tenants"), ("POST", "/schema/{className}/tenants"),
    ("PUT", "/schema/{className}/tenants"), ("DELETE", "/schema/{className}/tenants"),
    ("GET", "/schema/{className}/tenants/{tenantName}"),
    ("HEAD", "/schema/{className}/tenants/{tenantName}"),
    ("GET", "/nodes"), ("GET", "/nodes/{className}"), ("GET", "/cluster/statistics"),
    ("GET", "/aliases"), ("POST", "/aliases"), ("GET", "/aliases/{aliasName}"),
    ("PUT", "/aliases/{aliasName}"), ("DELETE", "/aliases/{aliasName}"),
    ("GET", "/users/own-info"),
    ("POST", "/backups/{backend}"), ("GET", "/backups/{backend}"),
    ("GET", "/backups/{backend}/{id}"), ("DELETE", "/backups/{backend}/{id}"),
    ("POST", "/backups/{backend}/{id}/restore"), ("GET", "/backups/{backend}/{id}/restore"),
}


class Tour:
    """An HTTP client that validates every response and remembers which operations it saw."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.seen: set[tuple[str, str]] = set()
        self.http = httpx.Client(base_url=url, headers=headers or {}, timeout=10,
                                 event_hooks={"response": [self._check]})
        self.raw = httpx.Client(base_url=url, headers=headers or {}, timeout=10)

    def _check(self, response: httpx.Response) -> None:
        response.read()
        template = validate(response)
        self.seen.add((response.request.method, template))

    def __getattr__(self, name: str):
        return getattr(self.http, name)


@pytest.fixture
def tour(sandbox: Sandbox) -> Iterator[Tour]:
    require_spec()
    t = Tour(sandbox.url)
    yield t
    t.http.close()


def error_message(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) <= {"error", "allowed"}, body
    return body["error"][0]["message"]


def framework(response: httpx.Response, code: int) -> str:
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == code, body
    return body["message"]


def wait_for(tour: Tour, path: str, final: str = "SUCCESS") -> dict:
    for _ in range(200):
        status = tour.get(path).json()
        if status["status"] in (final, "FAILED"):
            return status
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {final}")


def test_tour_of_every_endpoint(tour: Tour, sandbox: Sandbox) -> None:
    assert tour.get("/v1/.well-known/live").status_code == 200
    assert tour.get("/v1/.well-known/ready").status_code == 200
    assert tour.get("/v1/meta").json()["version"]
    assert tour.get("/v1/schema").json() == {"classes": []}

    created = tour.post("/v1/schema", json={
        "class": "article", "properties": [{"name": "Title", "dataType": ["text"]},
                                           {"name": "count", "dataType": ["int"]}]})
    assert created.status_code == 200
    cls = created.json()
    assert cls["class"] == "Article" and cls["properties"][0]["name"] == "title"
    assert cls["vectorIndexConfig"]["efConstruction"] == 128
    assert cls["replicationConfig"] == {"asyncEnabled": False,
                                        "deletionStrategy": "TimeBasedResolution", "factor": 1}
    assert tour.get("/v1/schema/article").json() == cls
    cls["description"] = "updated"
    cls["vectorIndexConfig"]["ef"] = 200
    assert tour.put("/v1/schema/Article", json=cls).json()["vectorIndexConfig"]["ef"] == 200
    added = tour.post("/v1/schema/Article/properties",
                      json={"name": "Rating", "dataType": ["number"]})
    assert added.json()["name"] == "rating" and "tokenization" not in added.json()

    shards = tour.get("/v1/schema/Article/shards").json()
    assert shards[0]["status"] == "READY"
    shard = shards[0]["name"]
    put = tour.put(f"/v1/schema/Article/shards/{shard}", json={"status": "READONLY"})
    assert put.json() == {"status": "READONLY"}
    refused = tour.post("/v1/objects", json={"class": "Article", "properties": {"count": 1}})
    assert refused.status_code == 500 and "store is read-only" in error_message(refused)
    tour.put(f"/v1/schema/Article/shards/{shard}", json={"status": "READY"})

    oid = str(uuid.uuid4())
    obj = tour.post("/v1/objects", json={"class": "Article", "id": oid, "vector": [0.1, 0.2],
                                         "properties": {"title": "Hello", "count": 3}})
    assert obj.status_code == 200 and obj.json()["vector"] == [0.1, 0.2]
    assert tour.get(f"/v1/objects/Article/{oid}").json()["properties"]["count"] == 3
    assert "vector" in tour.get(f"/v1/objects/Article/{oid}?include=vector").json()
    assert tour.head(f"/v1/objects/Article/{oid}").status_code == 204
    replaced = tour.put(f"/v1/objects/Article/{oid}", json={
        "class": "Article", "id": oid, "properties": {"title": "Bye", "count": 4}})
    assert replaced.json()["creationTimeUnix"] == obj.json()["creationTimeUnix"]
    assert tour.patch(f"/v1/objects/Article/{oid}",
                      json={"properties": {"count": 5}}).status_code == 204
    tour.post("/v1/schema", json={"class": "Named", "vectorConfig": {"a": {}, "b": {}}})
    named = tour.post("/v1/objects", json={"class": "Named", "vectors": {"a": [1.0], "b": [2.0]}})
    assert tour.get(f"/v1/objects/Named/{named.json()['id']}",
                    params={"include": "vector"}).json()["vectors"] == {"a": [1.0], "b": [2.0]}
    listed = tour.get("/v1/objects", params={"class": "Article"}).json()
    assert listed["totalResults"] == 1 and listed["deprecations"] == []

    batch = tour.post("/v1/batch/objects", json={"objects": [
        {"class": "Article", "properties": {"title": f"t{i}", "count": i}} for i in range(3)]
        + [{"class": "Article", "properties": {"count": "three"}}]}).json()
    assert [b["result"]["status"] for b in batch] == ["SUCCESS"] * 3 + ["FAILED"]
    assert all(b["deprecations"] is None for b in batch)
    deleted = tour.request("DELETE", "/v1/batch/objects", json={"match": {
        "class": "Article", "where": {"path": ["count"], "operator": "LessThan", "valueInt": 2}}})
    assert deleted.json()["results"]["successful"] == 2
    assert deleted.json()["deletionTimeUnixMilli"] == -62135596800000
    count = tour.post("/v1/graphql", json={"query": "{ Aggregate { Article { meta { count } } } }"})
    assert count.json() == {"data": {"Aggregate": {"Article": [{"meta": {"count": 2}}]}}}
    assert tour.delete(f"/v1/objects/Article/{oid}").status_code == 204

    tour.post("/v1/schema", json={"class": "Ticket", "multiTenancyConfig": {"enabled": True}})
    echo = tour.post("/v1/schema/Ticket/tenants",
                     json=[{"name": "t1"}, {"name": "t2", "activityStatus": "ACTIVE"}])
    assert echo.json() == [{"name": "t1"}, {"name": "t2", "activityStatus": "HOT"}]
    updated = tour.put("/v1/schema/Ticket/tenants",
                       json=[{"name": "t2", "activityStatus": "INACTIVE"}])
    assert updated.json() == [{"name": "t2", "activityStatus": "COLD"}]
    assert sorted(t["name"] for t in tour.get("/v1/schema/Ticket/tenants").json()) == ["t1", "t2"]
    assert tour.get("/v1/schema/Ticket/tenants/t1").json()["activityStatus"] == "HOT"
    assert tour.head("/v1/schema/Ticket/tenants/t1").status_code == 200
    dropped = tour.request("DELETE", "/v1/schema/Ticket/tenants", json=["t2", "nope"])
    assert dropped.status_code == 200

    nodes = tour.get("/v1/nodes", params={"output": "verbose"}).json()["nodes"]
    assert nodes[0]["status"] == "HEALTHY"
    assert tour.get("/v1/nodes/Article").json()["nodes"][0]["shards"] is None
    assert tour.get("/v1/cluster/statistics").json()["synchronized"] is True

    assert tour.post("/v1/aliases", json={"alias": "Posts", "class": "Article"}).status_code == 200
    assert tour.get("/v1/aliases").json() == {"aliases": [{"alias": "Posts", "class": "Article"}]}
    assert tour.get("/v1/aliases/Posts").json()["class"] == "Article"
    assert tour.get("/v1/schema/Posts").json()["class"] == "Article"
    assert tour.put("/v1/aliases/Posts", json={"class": "Ticket"}).json()["class"] == "Ticket"
    assert tour.delete("/v1/aliases/Posts").status_code == 204

    backup = tour.post("/v1/backups/filesystem", json={"id": "tour-1", "include": ["Article"]})
    assert backup.json()["status"] == "STARTED"
    assert wait_for(tour, "/v1/backups/filesystem/tour-1")["status"] == "SUCCESS"
    assert [b["id"] for b in tour.get("/v1/backups/filesystem").json()] == ["tour-1"]
    assert tour.delete("/v1/schema/Article").status_code == 200
    restore = tour.post("/v1/backups/filesystem/tour-1/restore", json={})
    assert restore.json()["status"] == "STARTED"
    assert wait_for(tour, "/v1/backups/filesystem/tour-1/restore")["status"] == "SUCCESS"
    assert tour.post("/v1/graphql", json={
        "query": "{ Aggregate { Article { meta { count } } } }"}).json()[
        "data"]["Aggregate"]["Article"][0]["meta"]["count"] == 1
    sandbox.app.backups.step_seconds = 5  # still running when the cancel arrives
    tour.post("/v1/backups/filesystem", json={"id": "tour-2"})
    assert tour.delete("/v1/backups/filesystem/tour-2").status_code == 204

    assert tour.get("/v1/users/own-info").status_code == 401
    assert REQUIRED <= tour.seen, f"not visited: {sorted(REQUIRED - tour.seen)}"


def test_error_cases_have_weaviates_codes_and_shapes(tour: Tour) -> None:
    assert tour.get("/v1/schema/Missing").content == b""
    assert tour.get("/v1/schema/Missing").status_code == 404
    assert tour.delete("/v1/schema/Missing").status_code == 200
    bad = tour.post("/v1/schema", json={"class": "bad-name"})
    assert bad.status_code == 422 and bad.json()["allowed"] is None
    assert error_message(bad) == "'Bad-name' is not a valid class name"
    tour.post("/v1/schema", json={"class": "Article"})
    dup = tour.post("/v1/schema", json={"class": "Article"})
    assert dup.status_code == 422 and error_message(dup) == "class name Article already exists"
    assert error_message(tour.post("/v1/schema", json={"class": "ARTICLE"})) == \
        'class already exists: found similar class "Article"'
    assert error_message(tour.post("/v1/schema", json={
        "class": "X", "properties": [{"name": "id", "dataType": ["text"]}]})) == \
        "'id' is a reserved property name"
    missing_prop = tour.post("/v1/schema/Nope/properties", json={"name": "a", "dataType": ["text"]})
    assert missing_prop.status_code == 422
    assert error_message(missing_prop) == 'class "Nope": not found'

    oid = str(uuid.uuid4())
    assert tour.get(f"/v1/objects/Article/{oid}").status_code == 404
    assert tour.get(f"/v1/objects/Article/{oid}").content == b""
    assert tour.delete(f"/v1/objects/Article/{oid}").status_code == 204
    bad_id = tour.get("/v1/objects/Article/not-a-uuid")
    assert bad_id.status_code == 422
    assert framework(bad_id, 601) == 'id in path must be of type uuid: "not-a-uuid"'
    tour.post("/v1/objects", json={"class": "Article", "id": oid})
    again = tour.post("/v1/objects", json={"class": "Article", "id": oid})
    assert again.status_code == 422 and error_message(again) == f"id '{oid}' already exists"

    cursor = "msg:cursor api: invalid 'after' parameter code:400 err:"
    no_limit = tour.get("/v1/objects", params={"class": "Article", "after": ""})
    assert no_limit.status_code == 422
    assert error_message(no_limit) == cursor + "limit parameter must be set"
    with_offset = tour.get("/v1/objects", params={"class": "Article", "after": oid, "limit": 2,
                                                  "offset": 1})
    assert error_message(with_offset) == \
        cursor + "offset cannot be set with after and limit parameters"
    assert error_message(tour.get("/v1/objects", params={
        "class": "Article", "after": "xyz", "limit": 2})) == \
        cursor + "after parameter 'xyz' is not a valid uuid: invalid UUID length: 3"
    too_many = tour.get("/v1/objects", params={"class": "Article", "limit": 10001})
    assert too_many.status_code == 422
    assert error_message(too_many).startswith("msg:offset or limit code:400 err:query maximum")
    assert tour.get("/v1/objects", params={"class": "Nope"}).status_code == 404
    assert tour.get("/v1/objects", params={"include": "foo"}).status_code == 400

    tour.post("/v1/schema", json={"class": "Ticket", "multiTenancyConfig": {"enabled": True}})
    no_tenant = tour.get("/v1/objects", params={"class": "Ticket"})
    assert no_tenant.status_code == 422 and error_message(no_tenant) == (
        "msg:search index ticket code:422 err:class Ticket has multi-tenancy enabled, but "
        "request was without tenant")
    batch = tour.post("/v1/batch/objects", json={"objects": [{"class": "Ticket"}]}).json()
    assert batch[0]["result"]["errors"]["error"][0]["message"] == \
        "class Ticket has multi-tenancy enabled, but request was without tenant"
    non_mt = tour.get("/v1/schema/Article/tenants")
    assert error_message(non_mt) == (
        "failed to execute query: could not get tenants: could not get tenants: multi-tenancy "
        'is not enabled for class "Article"')
    bad_status = tour.post("/v1/schema/Ticket/tenants", json=[{"name": "a",
                                                               "activityStatus": "WARM"}])
    assert bad_status.status_code == 422 and framework(bad_status, 606)
    empty_batch = tour.post("/v1/batch/objects", json={"objects": []})
    assert empty_batch.status_code == 422
    no_where = tour.request("DELETE", "/v1/batch/objects", json={"match": {"class": "Article"}})
    assert error_message(no_where) == "validate: empty match.where clause"

    assert framework(tour.raw.get("/v1/nope"), 404) == "path /v1/nope was not found"
    assert tour.raw.patch("/v1/schema").status_code == 405
    assert tour.post("/v1/backups/s3", json={"id": "x"}).status_code == 422
    assert tour.post("/v1/backups/filesystem", json={"id": "My-Backup"}).status_code == 422


def test_auth_bodies(tmp_path) -> None:
    require_spec()
    with Sandbox(api_keys={"secret": "alice", "viewer": "bob"}, read_only_users={"bob"},
                 backup_dir=tmp_path) as server:
        anonymous = Tour(server.url)
        denied = anonymous.get("/v1/schema")
        assert denied.status_code == 401
        assert denied.content == (b'{"code":401,"message": "anonymous access not enabled. Please '
                                  b'authenticate through one of the available methods: '
                                  b'[API-keys]" }')
        wrong = Tour(server.url, {"Authorization": "Bearer nope"}).get("/v1/schema")
        assert framework(wrong, 401) == "unauthorized: invalid api key"
        alice = Tour(server.url, {"Authorization": "Bearer secret"})
        assert alice.get("/v1/users/own-info").json() == {"groups": None, "roles": None,
                                                          "username": "alice"}
        bob = Tour(server.url, {"Authorization": "Bearer viewer"})
        forbidden = bob.post("/v1/schema", json={"class": "Article"})
        assert forbidden.status_code == 403
        assert error_message(forbidden).startswith(
            "adminlist: authorization, forbidden action: user 'bob' has insufficient "
            "permissions to C [")
        assert bob.get("/v1/schema").status_code == 200
        for reading in ("/v1/graphql", "/v1/objects/validate"):  # POSTs that only read
            assert bob.raw.post(reading, json={}).status_code != 403
    with Sandbox(backup_dir=tmp_path) as open_server:
        header = Tour(open_server.url, {"Authorization": "Bearer x"}).get("/v1/schema")
        assert header.status_code == 401
        assert framework(header, 401).startswith("no authentication scheme is configured")
