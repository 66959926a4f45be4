"""Inspection meta-commands (``\\ls``, ``\\show``, ``\\nodes``, ``\\shards``, ``\\tenants``)
against the sandbox over HTTP: results, JSON shapes, errors and request counts.

``\\objects``, ``\\get`` and ``\\count`` are in ``test_commands_data.py``.
"""

from __future__ import annotations

import httpx
import pytest
from conftest import REGISTRY, make_session, run

from commands.context import Session
from commands.errors import ShellError, UsageError
from commands.results import Document, Record, Table
from commands.spec import Kind
from sandbox import Sandbox
from sandbox.classes import build_class

DEMO = ["Article", "DocumentChunk", "ELYSIACTL_Audit", "Product", "SupportTicket"]


def requests_made(url: str) -> list[dict]:
    return httpx.get(f"{url}/__sandbox/requests").json()


def clear_requests(url: str) -> None:
    httpx.delete(f"{url}/__sandbox/requests")



# --- declarations -------------------------------------------------------------------------

def test_every_inspection_command_is_declared() -> None:
    inspection = {n for n in REGISTRY.names() if REGISTRY.find(n).group == "inspect"}
    assert inspection == {"ls", "show", "d", "nodes", "shards", "tenants", "objects", "get",
                          "count", "graphql"}
    assert REGISTRY.find("d").name == "show"
    for name in inspection:
        for arg in REGISTRY.find(name).args:
            assert arg.kind is not Kind.COLLECTION or arg.from_context, name


# --- \ls ----------------------------------------------------------------------------------

def test_ls_lists_demo_collections_sorted_with_counts(session: Session) -> None:
    table = run(session, r"\ls")
    assert isinstance(table, Table)
    assert table.columns == ("name", "objects", "tenants", "description")
    rows = {r["name"]: r for r in table.to_data()}
    assert [r["name"] for r in table.to_data()] == DEMO
    assert rows["Article"]["objects"] == 250
    assert rows["DocumentChunk"]["objects"] == 20_000
    assert rows["Article"]["tenants"] is None
    # acme and globex are active; initech (COLD) and umbrella (FROZEN) are not loaded
    assert rows["SupportTicket"]["tenants"] == 2
    assert rows["Product"]["description"] == "A catalogue with two named vectors"
    assert "approximate" in table.note and "active tenants" in table.note


def test_ls_json_is_a_list_of_objects_with_a_name(session: Session) -> None:
    data_ = run(session, r"\ls --verbose --format json").to_data()
    assert isinstance(data_, list) and all(isinstance(r["name"], str) for r in data_)
    product = next(r for r in data_ if r["name"] == "Product")
    assert product == {
        "name": "Product", "objects": 120, "tenants": None,
        "description": "A catalogue with two named vectors", "replication": 1, "shards": 1,
        "multi_tenancy": False, "vectorizer": "title_vector:none, image_vector:none",
        "vector_index": "title_vector:hnsw, image_vector:flat"}
    ticket = next(r for r in data_ if r["name"] == "SupportTicket")
    assert ticket["multi_tenancy"] is True and ticket["shards"] == 2
    article = next(r for r in data_ if r["name"] == "Article")
    assert (article["vectorizer"], article["vector_index"]) == ("none", "hnsw")


@pytest.mark.parametrize(("line", "expected"), [
    (r"\ls Art*", ["Article"]),
    (r"\ls art*", ["Article"]),
    (r"\ls --filter *t", ["ELYSIACTL_Audit", "Product", "SupportTicket"]),
    (r"\ls --filter 'elysiactl_*'", ["ELYSIACTL_Audit"]),
    (r"\ls *t* --filter S*", ["SupportTicket"]),
    (r"\ls ?roduct", ["Product"]),
])
def test_ls_glob_filters_case_insensitively(session: Session, line: str,
                                           expected: list[str]) -> None:
    assert [r["name"] for r in run(session, line).to_data()] == expected


def test_ls_with_no_match_says_so(session: Session) -> None:
    table = run(session, r"\ls 'nothing*'")
    assert table.rows == () and "nothing*" in table.note


def test_ls_uses_two_requests_on_the_demo(demo: Sandbox, session: Session) -> None:
    clear_requests(demo.url)
    run(session, r"\ls --verbose")
    assert [(r["method"], r["path"]) for r in requests_made(demo.url)] == [
        ("GET", "/v1/schema"), ("GET", "/v1/nodes")]


def test_ls_verbose_over_1000_collections_uses_at_most_3_requests() -> None:
    with Sandbox() as server:
        with server.app.db.lock:
            for i in range(1000):
                server.app.db.add(build_class(
                    {"class": f"Coll{i:04d}", "description": f"number {i}",
                     "multiTenancyConfig": {"enabled": i % 10 == 0},
                     "properties": [{"name": "title", "dataType": ["text"]}]}, 1))
        session = make_session(server.url)
        clear_requests(server.url)
        table = run(session, r"\ls --verbose")
        made = requests_made(server.url)
        assert len(table.rows) == 1000
        assert len(made) <= 3 and all(r["method"] == "GET" for r in made)
        assert table.to_data()[0]["name"] == "Coll0000"
        assert table.to_data()[0]["tenants"] == 0 and table.to_data()[1]["tenants"] is None
        clear_requests(server.url)
        assert len(run(session, r"\ls coll00*").rows) == 100
        assert len(requests_made(server.url)) <= 3


def test_ls_counts_each_replicated_shard_once() -> None:
    with Sandbox(nodes=3) as server:
        http = httpx.Client(base_url=server.url)
        http.post("/v1/schema", json={"class": "Rep", "replicationConfig": {"factor": 2},
                                      "shardingConfig": {"desiredCount": 3}}).raise_for_status()
        objs = [{"class": "Rep", "properties": {"n": i}} for i in range(30)]
        http.post("/v1/batch/objects", json={"objects": objs}).raise_for_status()
        session = make_session(server.url)
        row = run(session, r"\ls --verbose").to_data()[0]
        assert (row["objects"], row["replication"], row["shards"]) == (30, 2, 3)
        shards = run(session, r"\shards Rep").to_data()
        assert len(shards) == 3 and sum(s["objects"] for s in shards) == 30
        assert all(len(s["nodes"].split(", ")) == 2 for s in shards)
        nodes = run(session, r"\nodes").to_data()
        assert [n["name"] for n in nodes] == ["node1", "node2", "node3"]
        assert sum(n["shards"] for n in nodes) == 6 and sum(n["objects"] for n in nodes) == 60
        shown = run(session, r"\show Rep --stats").to_data()
        assert shown["objects"] == 30 and shown["replication_factor"] == 2
        assert sum(shown["shards_per_node"].values()) == 6 and len(shown["shards"]) == 6
        http.post("/v1/schema", json={"class": "RepMt", "replicationConfig": {"factor": 2},
                                      "multiTenancyConfig": {"enabled": True}}
                  ).raise_for_status()
        http.post("/v1/schema/RepMt/tenants", json=[
            {"name": "hot"}, {"name": "cold", "activityStatus": "INACTIVE"}]).raise_for_status()
        objs = [{"class": "RepMt", "tenant": "hot", "properties": {"n": i}} for i in range(7)]
        http.post("/v1/batch/objects", json={"objects": objs}).raise_for_status()
        row = {r["name"]: r for r in run(session, r"\ls --verbose").to_data()}["RepMt"]
        assert (row["objects"], row["tenants"], row["shards"]) == (7, 1, 1)
        assert run(session, r"\tenants RepMt").to_data() == [
            {"name": "cold", "status": "INACTIVE", "objects": None},
            {"name": "hot", "status": "ACTIVE", "objects": 7}]
        assert run(session, r"\count RepMt --tenant hot").to_data()["count"] == 7


def test_ls_verbose_shows_compression(sandbox: Sandbox) -> None:
    httpx.post(f"{sandbox.url}/v1/schema", json={
        "class": "Quantized", "vectorIndexConfig": {"pq": {"enabled": True}}}).raise_for_status()
    httpx.post(f"{sandbox.url}/v1/schema", json={
        "class": "Named", "vectorConfig": {
            "a": {"vectorizer": {"none": {}}, "vectorIndexType": "hnsw",
                  "vectorIndexConfig": {"bq": {"enabled": True}}},
            "b": {"vectorizer": {"none": {}}, "vectorIndexType": "flat"}}}).raise_for_status()
    rows = {r["name"]: r for r in run(make_session(sandbox.url), r"\ls --verbose").to_data()}
    assert rows["Quantized"]["vector_index"] == "hnsw+pq"
    assert rows["Named"]["vector_index"] == "a:hnsw+bq, b:flat"
    shown = run(make_session(sandbox.url), r"\show Named").to_data()
    assert [(v["name"], v["compression"]) for v in shown["vectors"]] == [("a", "bq"), ("b", None)]


def test_ls_on_an_empty_cluster(sandbox: Sandbox) -> None:
    table = run(make_session(sandbox.url), r"\ls")
    assert table.rows == () and table.note == "no collections"


# --- \show --------------------------------------------------------------------------------

def test_show_describes_article(session: Session) -> None:
    record = run(session, r"\show Article")
    assert isinstance(record, Record)
    fields = record.to_data()
    assert fields["name"] == "Article" and fields["objects"] == 250
    assert fields["objects_exact"] is True
    props = {p["name"]: p for p in fields["properties"]}
    assert props["title"] == {"name": "title", "data_type": "text", "filterable": True,
                              "searchable": True, "range_filters": False,
                              "tokenization": "word"}
    assert props["wordCount"]["data_type"] == "int" and props["wordCount"]["tokenization"] is None
    assert props["tags"]["data_type"] == "text[]"
    assert {"source", "source.name", "source.url"} <= set(props)
    assert fields["vectors"] == [{"name": None, "vectorizer": "none", "index_type": "hnsw",
                                  "compression": None, "distance": "cosine"}]
    assert fields["replication_factor"] == 1 and fields["shards_desired"] == 1
    assert fields["multi_tenancy"] == {"enabled": False, "auto_tenant_creation": False,
                                       "auto_tenant_activation": False}
    assert fields["shards_per_node"] == {"node1": 1}
    assert "shards" not in fields


def test_show_alias_resolves_and_d_is_an_alias(session: Session) -> None:
    record = run(session, r"\d Docs")
    assert record.to_data()["name"] == "DocumentChunk"
    assert record.to_data()["objects"] == 20_000
    assert record.title == "DocumentChunk (alias Docs)"
    assert run(session, r"\show article").to_data()["name"] == "Article"


def test_show_multi_tenant_gives_the_approximate_total(session: Session) -> None:
    fields = run(session, r"\show SupportTicket").to_data()
    assert fields["objects_exact"] is False and "per" in fields["objects_note"]
    acme = run(session, r"\count SupportTicket --tenant acme").to_data()["count"]
    globex = run(session, r"\count SupportTicket --tenant globex").to_data()["count"]
    assert fields["objects"] == acme + globex
    assert fields["tenants"] == {"ACTIVE": 2, "INACTIVE": 1, "OFFLOADED": 1}
    assert fields["multi_tenancy"]["enabled"] is True and fields["shards_desired"] is None


def test_show_named_vectors(session: Session) -> None:
    fields = run(session, r"\show Product").to_data()
    assert [(v["name"], v["index_type"]) for v in fields["vectors"]] == [
        ("title_vector", "hnsw"), ("image_vector", "flat")]
    assert fields["vector_index"] == "title_vector:hnsw, image_vector:flat"


def test_show_stats_lists_shards(session: Session) -> None:
    shards = run(session, r"\show SupportTicket --stats").to_data()["shards"]
    assert {s["shard"]: s["objects"] for s in shards}.keys() == {"acme", "globex"}
    assert set(shards[0]) == {"shard", "node", "status", "objects", "loaded", "compressed",
                              "vector_queue"}


def test_show_schema_is_the_class_json(demo: Sandbox, session: Session) -> None:
    doc = run(session, r"\show Article --schema --format json")
    assert isinstance(doc, Document)
    assert doc.to_data() == httpx.get(f"{demo.url}/v1/schema/Article").json()
    ticket = run(session, r"\show SupportTicket --schema").to_data()
    assert "shardingConfig" not in ticket
    assert ticket == {k: v for k, v in httpx.get(f"{demo.url}/v1/schema/SupportTicket").json()
                      .items() if k != "shardingConfig"}
    assert run(session, r"\show Docs --schema").to_data()["class"] == "DocumentChunk"


@pytest.mark.parametrize("name", ["Article", "Product", "SupportTicket"])
def test_show_schema_is_accepted_by_post_schema(session: Session, sandbox: Sandbox,
                                                name: str) -> None:
    original = httpx.get(f"{session.connection.url}/v1/schema/{name}").json()
    cls = run(session, rf"\show {name} --schema").to_data()
    response = httpx.post(f"{sandbox.url}/v1/schema", json=cls)
    assert response.status_code == 200, response.text
    assert httpx.get(f"{sandbox.url}/v1/schema/{name}").json() == original


def test_show_unknown_collection_suggests(session: Session) -> None:
    with pytest.raises(ShellError) as err:
        run(session, r"\show Artcle")
    assert err.value.message == "no collection named 'Artcle'"
    assert err.value.hint == "did you mean Article?"
    with pytest.raises(ShellError, match="no collection named"):
        run(session, r"\show 'bad/name'")


def test_show_schema_and_stats_do_not_combine(session: Session) -> None:
    with pytest.raises(UsageError):
        run(session, r"\show Article --schema --stats")


# --- \nodes, \shards, \tenants ----------------------------------------------------------

def test_nodes(session: Session) -> None:
    table = run(session, r"\nodes")
    assert table.columns == ("name", "status", "version", "objects", "shards")
    (node,) = table.to_data()
    assert node["name"] == "node1" and node["status"] == "HEALTHY"
    assert node["version"] and node["objects"] == 250 + 120 + 20_000 + 40 + \
        sum(r["objects"] for r in run(session, r"\tenants SupportTicket").to_data()
            if r["objects"] is not None)
    assert node["shards"] == 6  # four single-shard classes and two active tenants


def test_shards(session: Session) -> None:
    table = run(session, r"\shards Docs")
    assert table.title == "Shards of DocumentChunk"
    (shard,) = table.to_data()
    assert set(shard) == {"shard", "status", "nodes", "objects"}
    assert (shard["status"], shard["nodes"], shard["objects"]) == ("READY", "node1", 20_000)
    tenants = {r["shard"]: r for r in run(session, r"\shards SupportTicket").to_data()}
    assert set(tenants) == {"acme", "globex", "initech", "umbrella"}
    assert tenants["initech"]["objects"] is None and tenants["acme"]["objects"] > 0


def test_shards_shows_readonly_status(sandbox: Sandbox) -> None:
    http = httpx.Client(base_url=sandbox.url)
    http.post("/v1/schema", json={"class": "Ro"}).raise_for_status()
    (name,) = [s["name"] for s in http.get("/v1/schema/Ro/shards").json()]
    http.put(f"/v1/schema/Ro/shards/{name}", json={"status": "READONLY"}).raise_for_status()
    assert run(make_session(sandbox.url), r"\shards Ro").to_data()[0]["status"] == "READONLY"


def test_tenants(session: Session) -> None:
    table = run(session, r"\tenants SupportTicket")
    assert table.columns == ("name", "status", "objects")
    rows = table.to_data()
    assert [(r["name"], r["status"]) for r in rows] == [
        ("acme", "ACTIVE"), ("globex", "ACTIVE"), ("initech", "INACTIVE"),
        ("umbrella", "OFFLOADED")]
    counts = {r["name"]: r["objects"] for r in rows}
    assert counts["initech"] is None and counts["umbrella"] is None
    assert counts["acme"] == run(session, r"\count SupportTicket --tenant acme").to_data()["count"]
    assert "inactive" in table.note


def test_tenants_of_a_collection_without_multi_tenancy(session: Session) -> None:
    with pytest.raises(ShellError) as err:
        run(session, r"\tenants Article")
    assert "not multi-tenant" in err.value.message and err.value.hint
    with pytest.raises(ShellError, match="no collection named 'SupportTiket'"):
        run(session, r"\tenants SupportTiket")
