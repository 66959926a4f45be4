"""Objects: cursor walks, offsets, sorting, vectors, multi-tenancy and write semantics (§7)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from sandbox import Sandbox


def message(response: httpx.Response) -> str:
    return response.json()["error"][0]["message"]


@pytest.fixture
def filled(client: httpx.Client) -> list[str]:
    """A class ``Doc`` with 57 objects; returns their ids in UUID order."""
    client.post("/v1/schema", json={"class": "Doc", "properties": [
        {"name": "n", "dataType": ["int"]}, {"name": "title", "dataType": ["text"]}]})
    objects = [{"class": "Doc", "id": str(uuid.uuid4()), "vector": [float(i), 1.0],
                "properties": {"n": i, "title": f"doc {i % 5}"}} for i in range(57)]
    assert client.post("/v1/batch/objects", json={"objects": objects}).status_code == 200
    return sorted(o["id"] for o in objects)


def test_cursor_walk_returns_every_object_once_in_uuid_order(client: httpx.Client,
                                                             filled: list[str]) -> None:
    seen, after = [], ""
    while True:
        page = client.get("/v1/objects", params={"class": "Doc", "after": after,
                                                 "limit": 10}).json()
        if not page["objects"]:
            assert page == {"deprecations": [], "objects": []}
            break
        seen += [o["id"] for o in page["objects"]]
        after = page["objects"][-1]["id"]
    assert seen == filled


def test_cursor_is_exclusive_and_need_not_exist(client: httpx.Client, filled: list[str]) -> None:
    page = client.get("/v1/objects", params={"class": "Doc", "after": filled[9],
                                             "limit": 3}).json()
    assert [o["id"] for o in page["objects"]] == filled[10:13]
    gap = str(uuid.UUID(int=uuid.UUID(filled[9]).int + 1))
    assert filled[9] < gap < filled[10]
    between = client.get("/v1/objects", params={"class": "Doc", "after": gap, "limit": 1})
    assert [o["id"] for o in between.json()["objects"]] == [filled[10]]


@pytest.mark.parametrize("form", [
    lambda u: u.upper(), lambda u: u.replace("-", ""), lambda u: f"urn:uuid:{u}",
    lambda u: "{" + u + "}"])
def test_cursor_accepts_every_form_go_parses(client: httpx.Client, filled: list[str],
                                             form) -> None:
    page = client.get("/v1/objects", params={"class": "Doc", "after": form(filled[9]),
                                             "limit": 2}).json()
    assert [o["id"] for o in page["objects"]] == filled[10:12]


@pytest.mark.parametrize("after, reason", [
    ("xyz", "invalid UUID length: 3"),
    ("g" * 36, "invalid UUID format"),
    ("urn:uuix:" + "0" * 36, 'invalid urn prefix: "urn:uuix:"'),
])
def test_cursor_errors_are_go_uuid_parse_errors(client: httpx.Client, filled: list[str],
                                                after: str, reason: str) -> None:
    response = client.get("/v1/objects", params={"class": "Doc", "after": after, "limit": 2})
    assert message(response) == ("msg:cursor api: invalid 'after' parameter code:400 err:after "
                                 f"parameter '{after}' is not a valid uuid: {reason}")


def test_offset_pages_and_default_limit(client: httpx.Client, filled: list[str]) -> None:
    page = client.get("/v1/objects", params={"class": "Doc"}).json()
    assert [o["id"] for o in page["objects"]] == filled[:10] and page["totalResults"] == 10
    second = client.get("/v1/objects", params={"class": "Doc", "offset": 50, "limit": 20}).json()
    assert [o["id"] for o in second["objects"]] == filled[50:]
    assert "vector" not in second["objects"][0]
    zero = client.get("/v1/objects", params={"class": "Doc", "limit": 0}).json()
    assert zero == {"deprecations": [], "objects": []}


def test_sort_by_property(client: httpx.Client, filled: list[str]) -> None:
    page = client.get("/v1/objects", params={"class": "Doc", "sort": "n", "order": "desc",
                                             "limit": 3}).json()
    assert [o["properties"]["n"] for o in page["objects"]] == [56, 55, 54]
    bad = client.get("/v1/objects", params={"class": "Doc", "sort": "nope"})
    assert bad.status_code == 422 and message(bad).startswith("msg:sorting code:400 err:")
    cursor = client.get("/v1/objects", params={"class": "Doc", "sort": "n", "after": "",
                                               "limit": 2})
    assert message(cursor).endswith("sort cannot be set with after and limit parameters")


def test_vectors_are_float32_and_named_vectors_round_trip(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Nv", "vectorConfig": {"a": {}, "b": {}}})
    oid = str(uuid.uuid4())
    created = client.post("/v1/objects", json={"class": "Nv", "id": oid, "vectors": {
        "a": [0.1, 1 / 3], "b": [1e-40, 2.5]}})
    assert created.status_code == 200
    got = client.get(f"/v1/objects/Nv/{oid}", params={"include": "vector"}).json()
    assert got["vectors"] == {"a": [0.1, 0.33333334], "b": [1e-40, 2.5]}
    unknown = client.post("/v1/objects", json={"class": "Nv", "vectors": {"c": [1.0]}})
    assert message(unknown) == "invalid object: collection Nv does not have configuration for " \
                               "vector c"


def test_vector_lengths_are_checked_per_shard_and_vector_when_stored(
        client: httpx.Client, sandbox: Sandbox) -> None:
    client.post("/v1/schema", json={"class": "Nv", "multiTenancyConfig": {"enabled": True},
                                    "properties": [{"name": "n", "dataType": ["int"]}],
                                    "vectorConfig": {"a": {}, "b": {}}})
    client.post("/v1/schema/Nv/tenants", json=[{"name": "t1"}, {"name": "t2"}])
    failed = client.post("/v1/objects", json={"class": "Nv", "tenant": "t1", "properties": {
        "n": "x"}, "vectors": {"a": [1.0] * 5}})
    assert failed.status_code == 422  # refused before storing: the index stays empty
    oid = str(uuid.uuid4())
    assert client.post("/v1/objects", json={"class": "Nv", "tenant": "t1", "id": oid, "vectors": {
        "a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}}).status_code == 200
    other = str(uuid.uuid4())
    wrong = client.post("/v1/objects", json={"class": "Nv", "tenant": "t1", "id": other,
                                             "vectors": {"a": [1.0, 2.0, 3.0]}})
    assert wrong.status_code == 500 and message(wrong) == (
        'put object: import into index nv: put local object: shard="t1": Validate vector index '
        f"a for target vector {other}: new node has a vector with length 3. Existing nodes have "
        "vectors with length 2: vector dimensions do not match the index dimensions")
    assert client.post("/v1/objects", json={"class": "Nv", "tenant": "t2", "vectors": {
        "a": [1.0, 2.0, 3.0]}}).status_code == 200  # another tenant, another index
    patched = client.patch(f"/v1/objects/Nv/{oid}", json={"tenant": "t1", "vectors": {
        "b": [1.0]}})
    assert patched.status_code == 500 and message(patched).endswith(
        f"validate vector index for update of {oid} for target vector b: new node has a vector "
        "with length 1. Existing nodes have vectors with length 3: vector dimensions do not "
        "match the index dimensions")
    client.delete(f"/v1/objects/Nv/{oid}", params={"tenant": "t1"})
    assert sandbox.app.db.get("Nv").count("t1") == 0
    emptied = client.post("/v1/objects", json={"class": "Nv", "tenant": "t1", "vectors": {
        "a": [1.0, 2.0, 3.0]}})
    assert emptied.status_code == 500  # HNSW keeps its length once an index held a vector


def test_put_replaces_patch_merges(client: httpx.Client, filled: list[str]) -> None:
    oid = filled[0]
    original = client.get(f"/v1/objects/Doc/{oid}").json()
    no_id = client.put(f"/v1/objects/Doc/{oid}", json={"class": "Doc", "properties": {"n": 1}})
    assert message(no_id) == "invalid update: field 'id' is immutable"
    client.put(f"/v1/objects/Doc/{oid}", json={"class": "Doc", "id": oid,
                                               "properties": {"n": 1000}})
    replaced = client.get(f"/v1/objects/Doc/{oid}", params={"include": "vector"}).json()
    assert replaced["properties"] == {"n": 1000} and "vector" not in replaced
    assert replaced["creationTimeUnix"] == original["creationTimeUnix"]
    assert client.patch(f"/v1/objects/Doc/{oid}", json={"properties": {"title": "x"}}) \
        .status_code == 204
    assert client.get(f"/v1/objects/Doc/{oid}").json()["properties"] == {"n": 1000, "title": "x"}
    bad = client.patch(f"/v1/objects/Doc/{oid}", json={"properties": {"n": "many"}})
    assert bad.status_code == 422 and message(bad).startswith("msg:bad request code:400 err:")
    assert client.patch(f"/v1/objects/Doc/{uuid.uuid4()}", json={}).status_code == 404


def test_multi_tenant_objects(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Mt", "multiTenancyConfig": {"enabled": True}})
    client.post("/v1/schema/Mt/tenants", json=[{"name": "a"},
                                               {"name": "b", "activityStatus": "INACTIVE"}])
    oid = str(uuid.uuid4())
    assert client.post("/v1/objects", json={"class": "Mt", "id": oid, "tenant": "a"}) \
        .status_code == 200
    assert client.get(f"/v1/objects/Mt/{oid}", params={"tenant": "a"}).json()["tenant"] == "a"
    assert message(client.get(f"/v1/objects/Mt/{oid}", params={"tenant": "zz"})) == \
        'tenant not found: "zz"'
    patched = client.patch(f"/v1/objects/Mt/{oid}", json={"tenant": "a", "properties": {"x": 1}})
    assert patched.status_code == 204  # PATCH has no tenant query parameter: the body has it
    assert client.get(f"/v1/objects/Mt/{oid}", params={"tenant": "a"}).json()["properties"] == \
        {"x": 1}
    in_query = client.patch(f"/v1/objects/Mt/{oid}", params={"tenant": "a"}, json={})
    assert message(in_query) == "class Mt has multi-tenancy enabled, but request was without " \
                                "tenant"
    cold = client.get("/v1/objects", params={"class": "Mt", "tenant": "b"})
    assert message(cold) == "msg:search index mt code:422 err:tenant not active: 'b'"
    client.post("/v1/schema", json={"class": "Plain"})
    with_tenant = client.post("/v1/objects", json={"class": "Plain", "tenant": "a"})
    assert message(with_tenant) == ("class Plain has multi-tenancy disabled, but request was "
                                    "with tenant")


def test_auto_tenant_creation(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Auto", "multiTenancyConfig": {
        "enabled": True, "autoTenantCreation": True}})
    assert client.post("/v1/objects", json={"class": "Auto", "tenant": "new"}).status_code == 200
    assert client.get("/v1/schema/Auto/tenants/new").json() == {"name": "new",
                                                                "activityStatus": "HOT"}
    missing = client.get(f"/v1/objects/Auto/{uuid.uuid4()}", params={"tenant": "other"})
    assert message(missing) == 'tenant not found: "other"'  # reads never create tenants


def test_auto_tenant_activation(client: httpx.Client, sandbox: Sandbox) -> None:
    client.post("/v1/schema", json={"class": "Wake", "multiTenancyConfig": {
        "enabled": True, "autoTenantActivation": True}})
    client.post("/v1/schema/Wake/tenants", json=[{"name": "t", "activityStatus": "COLD"}])
    col = sandbox.app.db.get("Wake")
    assert col.check_tenant("t") is None and col.tenants["t"] == "COLD"  # a check changes nothing
    listed = client.get("/v1/objects", params={"class": "Wake", "tenant": "t"})
    assert listed.status_code == 200
    assert client.get("/v1/schema/Wake/tenants/t").json()["activityStatus"] == "HOT"


def test_auto_schema_infers_types(client: httpx.Client) -> None:
    client.post("/v1/objects", json={"class": "Inferred", "properties": {
        "when": "2024-01-01T00:00:00Z", "ref": str(uuid.uuid4()), "n": 1, "ok": True,
        "tags": ["a"], "where": {"latitude": 1.0, "longitude": 2.0}, "meta": {"k": "v"}}})
    cls = client.get("/v1/schema/Inferred").json()
    types = {p["name"]: p["dataType"][0] for p in cls["properties"]}
    assert types == {"when": "date", "ref": "uuid", "n": "number", "ok": "boolean",
                     "tags": "text[]", "where": "geoCoordinates", "meta": "object"}
    assert list(cls["vectorConfig"]) == ["default"] and "vectorIndexType" not in cls


def test_class_less_listing_and_delete(client: httpx.Client, filled: list[str]) -> None:
    listing = client.get("/v1/objects", params={"limit": 5}).json()
    assert listing["deprecations"] is None and len(listing["objects"]) == 5
    cursor = client.get("/v1/objects", params={"after": "", "limit": 5})
    assert cursor.status_code == 500
    assert client.delete(f"/v1/objects/{filled[0]}").status_code == 204
    assert client.delete(f"/v1/objects/{filled[0]}").status_code == 404
    missing_class = client.delete(f"/v1/objects/Nope/{filled[1]}")
    assert missing_class.status_code == 500


def test_consistency_level_is_validated(client: httpx.Client, filled: list[str]) -> None:
    bad = client.get(f"/v1/objects/Doc/{filled[0]}", params={"consistency_level": "one"})
    assert bad.status_code == 400 and message(bad).startswith("unrecognized consistency level")
    assert client.get(f"/v1/objects/Doc/{filled[0]}",
                      params={"consistency_level": "QUORUM"}).status_code == 200


def test_auto_schema_refusals_are_object_errors(client: httpx.Client) -> None:
    results = client.post("/v1/batch/objects", json={"objects": [
        {"class": "bad-name"}, {"class": "Fine"}]}).json()
    assert [r["result"]["status"] for r in results] == ["FAILED", "SUCCESS"]
    assert results[0]["result"]["errors"]["error"][0]["message"] == \
        "'Bad-name' is not a valid class name"
    client.post("/v1/schema", json={"class": "Article"})
    similar = client.post("/v1/objects", json={"class": "ARTICLE"})
    assert similar.status_code == 422
    assert message(similar).endswith('class already exists: found similar class "Article"')


def test_malformed_body_ids_fail_as_go_openapi_binds_them(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Doc"})
    bad = client.post("/v1/objects", json={"class": "Doc", "id": "abc"})
    assert bad.status_code == 422
    assert bad.json() == {"code": 601, "message": 'id in body must be of type uuid: "abc"'}
    oid = str(uuid.uuid4())
    put = client.put(f"/v1/objects/Doc/{oid}", json={"class": "Doc", "id": "abc"})
    assert put.status_code == 422 and put.json()["code"] == 601
    number = client.post("/v1/objects", json={"class": "Doc", "id": 7})
    assert number.status_code == 400 and number.json()["message"].endswith(
        "json: cannot unmarshal number into Go struct field Object.id of type strfmt.UUID")
    hex_id = client.post("/v1/objects", json={"class": "Doc", "id": oid.replace("-", "").upper()})
    assert hex_id.status_code == 200
    assert client.get(f"/v1/objects/Doc/{oid}").status_code == 200


def test_validate_changes_nothing(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Doc", "properties": [
        {"name": "n", "dataType": ["int"]}]})
    client.post("/v1/schema", json={"class": "Auto", "multiTenancyConfig": {
        "enabled": True, "autoTenantCreation": True}})
    before = client.get("/v1/schema").json()
    unknown = client.post("/v1/objects/validate", json={"class": "Doc", "properties": {"x": 1}})
    assert unknown.status_code == 422 and message(unknown) == (
        "invalid object: no such prop with name 'x' found in class 'Doc' in the schema. Check "
        "your schema files for which properties in this class are available")
    missing = client.post("/v1/objects/validate", json={"class": "nope"})
    assert message(missing) == 'invalid object: class "Nope" not found in schema'
    assert client.post("/v1/objects/validate", json={"class": "Doc", "properties": {
        "n": 1}}).status_code == 200
    assert client.post("/v1/objects/validate", json={"class": "Auto",
                                                     "tenant": "new"}).status_code == 200
    assert client.get("/v1/schema").json() == before
    assert client.get("/v1/schema/Auto/tenants").json() == []


def test_duplicate_id_is_refused_before_auto_schema(client: httpx.Client) -> None:
    oid = str(uuid.uuid4())
    client.post("/v1/objects", json={"class": "Doc", "id": oid, "properties": {"a": 1}})
    again = client.post("/v1/objects", json={"class": "Doc", "id": oid.upper(),
                                             "properties": {"b": "new"}})
    assert again.status_code == 422 and message(again) == f"id '{oid.upper()}' already exists"
    names = [p["name"] for p in client.get("/v1/schema/Doc").json()["properties"]]
    assert names == ["a"]


def test_failed_batch_items_carry_an_id_and_the_batch_time(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Doc", "properties": [
        {"name": "n", "dataType": ["int"]}]})
    given = str(uuid.uuid4())
    results = client.post("/v1/batch/objects", json={"objects": [
        {"class": "Doc", "properties": {"n": "x"}},
        {"class": "Doc", "id": given, "properties": {"n": "y"}},
        {"class": "Doc", "properties": {"n": 1}},
        {"class": ""}]}).json()
    assert [r["result"]["status"] for r in results] == ["FAILED", "FAILED", "SUCCESS", "FAILED"]
    assert uuid.UUID(results[0]["id"]) and results[1]["id"] == given
    assert "id" not in results[3]  # no class, no id: Weaviate skips the object at once
    assert {r["creationTimeUnix"] for r in results[:3]} == {results[2]["lastUpdateTimeUnix"]}
