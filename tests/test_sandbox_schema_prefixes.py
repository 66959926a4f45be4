"""``PUT /v1/schema/{c}`` errors carry Weaviate's wrapper prefixes: plain before the RAFT
apply, ``updating schema: TYPE_UPDATE_CLASS: bad request :parse class update: `` inside it,
plus the parser's own (usecases/schema/class.go ``UpdateClassInternal``,
usecases/schema/parser.go ``ParseClassUpdate``, cluster/schema/manager.go ``apply``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox import Sandbox

RAFT = "updating schema: TYPE_UPDATE_CLASS: bad request :parse class update: "


@pytest.fixture(scope="module")
def http(tmp_path_factory) -> Iterator[httpx.Client]:
    with Sandbox(nodes=2, backup_dir=tmp_path_factory.mktemp("b")) as sb, \
            httpx.Client(base_url=sb.url, timeout=10) as client:
        client.post("/v1/schema", json={"class": "Legacy"}).raise_for_status()
        client.post("/v1/schema", json={"class": "Named", "vectorConfig": {
            "v": {"vectorizer": {"none": {}}, "vectorIndexType": "hnsw"}}}).raise_for_status()
        yield client


def refusal(http: httpx.Client, name: str, change) -> str:
    cls = http.get(f"/v1/schema/{name}").json()
    change(cls)
    answer = http.put(f"/v1/schema/{name}", json=cls)
    assert answer.status_code == 422
    return answer.json()["error"][0]["message"]


def test_checks_before_the_raft_apply_are_plain(http: httpx.Client) -> None:
    def raise_factor(cls):
        cls["replicationConfig"]["factor"] = 2
    assert refusal(http, "Legacy", raise_factor).startswith("not enough replicas in shard")

    def swap_vectorizer(cls):
        cls["vectorConfig"]["v"]["vectorizer"] = {"none": {"x": 1}}
    assert refusal(http, "Named", swap_vectorizer) == \
        'vectorizer config of vector "v" is immutable for class Named'


def test_checks_inside_the_raft_apply_are_wrapped(http: httpx.Client) -> None:
    def named_ef_construction(cls):
        cls["vectorConfig"]["v"]["vectorIndexConfig"]["efConstruction"] = 64
    assert refusal(http, "Named", named_ef_construction) == (
        f'{RAFT}invalid update for vector "v": efConstruction is immutable: attempted change '
        'from "128" to "64"')

    def shards(cls):
        cls["shardingConfig"]["desiredCount"] = 5
    assert refusal(http, "Legacy", shards) == (
        f"{RAFT}validate sharding config: re-sharding not supported yet: shard count is "
        'immutable: attempted change from "2" to "5"')

    def drop_vector(cls):
        cls["vectorConfig"] = {}
    assert refusal(http, "Named", drop_vector) == f'{RAFT}missing config for vector "v"'

    def index_type(cls):
        cls["vectorIndexType"] = "flat"
        cls.pop("vectorIndexConfig")
    assert refusal(http, "Legacy", index_type) == (
        f'{RAFT}vector index type is immutable: attempted change from "hnsw" to "flat"')

    def default_beside_legacy(cls):
        cls["vectorConfig"] = {"default": {"vectorizer": {"none": {}},
                                           "vectorIndexType": "hnsw"}}
    assert refusal(http, "Legacy", default_beside_legacy) == (
        f"{RAFT}vector named default cannot be created when collection level vector index is "
        "configured")


def test_a_named_vector_may_join_a_class_level_index(http: httpx.Client) -> None:
    cls = http.get("/v1/schema/Legacy").json()
    cls["vectorConfig"] = {"extra": {"vectorizer": {"none": {}}, "vectorIndexType": "flat"}}
    http.put("/v1/schema/Legacy", json=cls).raise_for_status()
    stored = http.get("/v1/schema/Legacy").json()
    assert stored["vectorIndexType"] == "hnsw" and stored["vectorConfig"]["extra"][
        "vectorIndexType"] == "flat"
    created = http.post("/v1/schema", json={**cls, "class": "Both"})
    assert created.status_code == 422  # on create, both together stay forbidden
