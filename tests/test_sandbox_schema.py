"""Schema endpoints: names, defaults, property rules, updates, aliases (REST-BEHAVIOUR §4, §6.2)."""

from __future__ import annotations

import httpx
import pytest


def message(response: httpx.Response) -> str:
    return response.json()["error"][0]["message"]


@pytest.mark.parametrize("name, expected", [
    ("raft", "parse class name: class name `raft` is reserved"),
    ("with space", "'With space' is not a valid class name"),
    ("a" * 256, "'A" + "a" * 255 + "' is not a valid class name. Name should not be longer "
                "than 255 characters"),
])
def test_invalid_class_names(client: httpx.Client, name: str, expected: str) -> None:
    response = client.post("/v1/schema", json={"class": name})
    assert response.status_code == 422
    assert response.json() == {"allowed": None, "error": [{"message": expected}]}


def test_defaults_match_a_real_server(client: httpx.Client) -> None:
    cls = client.post("/v1/schema", json={"class": "article", "properties": [
        {"name": "Title", "dataType": ["string"]}, {"name": "ID", "dataType": ["int"]}]}).json()
    assert cls["properties"] == [
        {"name": "title", "dataType": ["text"], "indexFilterable": True, "indexSearchable": True,
         "indexRangeFilters": False, "tokenization": "whitespace"},
        {"name": "iD", "dataType": ["int"], "indexFilterable": True, "indexSearchable": False,
         "indexRangeFilters": False}]
    assert cls["invertedIndexConfig"] == {
        "bm25": {"b": 0.75, "k1": 1.2}, "cleanupIntervalSeconds": 60,
        "stopwords": {"additions": None, "preset": "en", "removals": None},
        "usingBlockMaxWAND": True}
    assert cls["multiTenancyConfig"] == {"autoTenantActivation": False,
                                         "autoTenantCreation": False, "enabled": False}
    assert cls["shardingConfig"]["desiredCount"] == 1
    assert cls["shardingConfig"]["desiredVirtualCount"] == 128
    assert cls["vectorizer"] == "none" and cls["vectorIndexType"] == "hnsw"
    assert cls["vectorIndexConfig"]["distance"] == "cosine"
    assert "moduleConfig" not in cls and "description" not in cls


def test_named_vectors_have_no_class_level_index(client: httpx.Client) -> None:
    cls = client.post("/v1/schema", json={"class": "Multi", "vectorConfig": {
        "a": {"vectorizer": {"none": {}}, "vectorIndexType": "flat"}, "b": {}}}).json()
    assert "vectorIndexType" not in cls and "vectorizer" not in cls
    assert cls["vectorConfig"]["a"]["vectorIndexType"] == "flat"
    assert cls["vectorConfig"]["b"]["vectorIndexConfig"]["efConstruction"] == 128
    mixed = client.post("/v1/schema", json={"class": "Mixed", "vectorIndexType": "hnsw",
                                            "vectorConfig": {"a": {}}})
    assert message(mixed) == ("creating a class with both a class level vector index and named "
                              "vectors is forbidden")


def test_multi_tenant_classes_have_an_empty_sharding_config(client: httpx.Client) -> None:
    cls = client.post("/v1/schema", json={"class": "T",
                                          "multiTenancyConfig": {"enabled": True}}).json()
    assert cls["shardingConfig"] == {"virtualPerPhysical": 0, "desiredCount": 0,
                                     "actualCount": 0, "desiredVirtualCount": 0,
                                     "actualVirtualCount": 0, "key": "", "strategy": "",
                                     "function": ""}
    for sharding in ({"desiredCount": 2}, {}, cls["shardingConfig"]):
        both = client.post("/v1/schema", json={"class": "U", "shardingConfig": sharding,
                                               "multiTenancyConfig": {"enabled": True}})
        assert message(both) == "cannot have both shardingConfig and multiTenancyConfig"
    cls["description"] = "round trip"
    assert client.put("/v1/schema/T", json=cls).status_code == 200
    ignored = client.put("/v1/schema/T", json={**cls, "shardingConfig": {"desiredCount": 3}})
    assert ignored.status_code == 200
    assert ignored.json()["shardingConfig"]["desiredCount"] == 0


@pytest.mark.parametrize("prop, expected", [
    ({"name": "_id", "dataType": ["text"]}, "'_id' is a reserved property name"),
    ({"name": "title_searchable", "dataType": ["text"]},
     "'title_searchable' is not a valid property name: suffix '_searchable' is reserved for "
     "internal indices"),
    ({"name": "n", "dataType": ["int"], "tokenization": "word"},
     "tokenization is not allowed for data type 'int'"),
    ({"name": "o", "dataType": ["object"]},
     "property 'o': At least one nested property is required for data type object/object[]"),
])
def test_property_rules(client: httpx.Client, prop: dict, expected: str) -> None:
    response = client.post("/v1/schema", json={"class": "P", "properties": [prop]})
    assert response.status_code == 422 and message(response) == expected


def test_duplicate_property_case_insensitive(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "P", "properties": [
        {"name": "title", "dataType": ["text"]}]})
    response = client.post("/v1/schema/P/properties", json={"name": "Title",
                                                            "dataType": ["text"]})
    assert message(response) == ('class "P": conflict for property "title": already in use or '
                                 "provided multiple times")


def test_update_rejects_immutable_fields(client: httpx.Client) -> None:
    cls = client.post("/v1/schema", json={"class": "Up", "properties": [
        {"name": "a", "dataType": ["text"]}]}).json()
    changed = {**cls, "vectorIndexConfig": {**cls["vectorIndexConfig"], "efConstruction": 64}}
    response = client.put("/v1/schema/Up", json=changed)
    assert response.status_code == 422
    raft = "updating schema: TYPE_UPDATE_CLASS: bad request :parse class update: "
    assert message(response) == (f"{raft}validate vector index config: efConstruction is "
                                 'immutable: attempted change from "128" to "64"')
    renamed = client.put("/v1/schema/Up", json={**cls, "class": "Other"})
    assert message(renamed) == 'class name is immutable: attempted change from "Up" to "Other"'
    props = client.put("/v1/schema/Up", json={**cls, "properties": []})
    assert message(props).startswith(f"{raft}property fields other than description cannot be "
                                     "updated")
    mt = client.put("/v1/schema/Up", json={**cls, "multiTenancyConfig": {"enabled": True}})
    assert message(mt) == "enabling multi-tenancy for an existing class is not supported"
    factor = client.put("/v1/schema/Up", json={**cls, "replicationConfig": {"factor": 2}})
    assert factor.status_code == 422
    assert client.put("/v1/schema/Missing", json={**cls, "class": "Missing"}).status_code == 404
    assert client.get("/v1/schema/Up").json() == cls


def test_update_changes_mutable_fields(client: httpx.Client) -> None:
    cls = client.post("/v1/schema", json={"class": "Up"}).json()
    cls["invertedIndexConfig"]["bm25"]["k1"] = 1.5
    cls["vectorIndexConfig"]["pq"]["enabled"] = True
    updated = client.put("/v1/schema/Up", json=cls)
    assert updated.status_code == 200
    assert client.get("/v1/schema/Up").json()["vectorIndexConfig"]["pq"]["enabled"] is True


def test_replication_factor_cannot_exceed_nodes(client: httpx.Client) -> None:
    response = client.post("/v1/schema", json={"class": "R", "replicationConfig": {"factor": 3}})
    assert message(response) == "init sharding state: not enough storage replicas: found 1 want 3"


def test_unknown_vectorizer_module(client: httpx.Client) -> None:
    response = client.post("/v1/schema", json={"class": "V", "vectorizer": "text2vec-openai"})
    assert message(response) == 'vectorizer: no module with name "text2vec-openai" present'


def test_aliases_resolve_but_do_not_delete(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Target"})
    client.post("/v1/aliases", json={"alias": "nick", "class": "target"})
    assert client.get("/v1/schema/Nick").json()["class"] == "Target"
    collision = client.post("/v1/schema", json={"class": "Nick"})
    assert message(collision) == "alias name Nick already exists"
    assert client.delete("/v1/schema/Nick").status_code == 200
    assert client.get("/v1/schema/Target").status_code == 200
    missing = client.post("/v1/aliases", json={"alias": "X", "class": "Nope"})
    assert message(missing) == 'validation: target class "Nope" does not exist'
    assert client.get("/v1/aliases/Missing").status_code == 404
    assert client.delete("/v1/aliases/Missing").status_code == 404


def test_new_names_collide_with_classes_and_aliases_whatever_came_and_went(
        client: httpx.Client) -> None:
    """Weaviate's messages for a new class name taken by a class or an alias, exactly or
    but for case, stay right through alias updates, deletes and class drops (the sandbox
    keeps the names by lower case instead of scanning every one per create)."""
    def create(name: str) -> str | None:
        response = client.post("/v1/schema", json={"class": name})
        return None if response.status_code == 200 else message(response)

    assert create("Article") is None and create("Other") is None
    assert create("Article") == "class name Article already exists"
    assert create("ARTICLE") == 'class already exists: found similar class "Article"'
    client.post("/v1/aliases", json={"alias": "Nick", "class": "Article"})
    assert create("Nick") == "alias name Nick already exists"
    assert create("NICK") == 'class already exists: found similar alias "Nick"'
    twin = client.post("/v1/aliases", json={"alias": "NICK", "class": "Other"})
    assert message(twin) == ("validation: updating schema: TYPE_CREATE_ALIAS: create alias: "
                             "NICK, alias already exists")
    client.put("/v1/aliases/Nick", json={"class": "Other"})  # moved, still taken
    assert create("nick") == "alias name Nick already exists"
    client.delete("/v1/aliases/Nick")
    assert create("NICK") is None
    client.post("/v1/aliases", json={"alias": "Pen", "class": "Other"})
    client.delete("/v1/schema/Other")  # its aliases go with it
    assert create("PEN") is None and create("OTHER") is None
    client.delete("/v1/schema/Article")
    assert create("ARTICLE") is None


def test_schema_rejects_malformed_json(client: httpx.Client) -> None:
    response = client.post("/v1/schema", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"].startswith('parsing objectClass body from "" failed')
    empty = client.post("/v1/schema", content=b"")
    assert empty.json() == {"code": 602, "message": "objectClass in body is required"}


def test_tenant_bodies_are_decoded_as_go_does(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Mt", "multiTenancyConfig": {"enabled": True}})
    prefix = 'parsing body body from "" failed, because json: cannot unmarshal '
    item = client.post("/v1/schema/Mt/tenants", json=["t1"])
    assert item.status_code == 400 and item.json()["message"] == (
        prefix + "string into Go value of type models.Tenant")
    name = client.post("/v1/schema/Mt/tenants", json=[{"name": 7}])
    assert name.json()["message"] == prefix + "number into Go struct field Tenant.name of type " \
                                              "string"
    names = client.request("DELETE", "/v1/schema/Mt/tenants", json=["t1", 2])
    assert names.status_code == 400 and names.json()["message"] == (
        prefix + "number into Go value of type string")
    assert client.get("/v1/schema/Mt/tenants").json() == []
