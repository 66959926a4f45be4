"""The official Python client (``weaviate-client`` v4) against the sandbox, over real HTTP.

Only the client's REST operations are exercised: the sandbox serves no gRPC, and every
connection here points the client's gRPC channel at a port that is bound but never
listened on, so any accidental gRPC call fails at once instead of passing silently.

Out of scope because the client uses gRPC for them (read from the source of
weaviate-client 4.23.1 under ``weaviate/``, for a server >= 1.29):

* ``collection.query.*`` and ``collection.generate.*``, including
  ``query.fetch_object_by_id`` / ``fetch_objects`` (``connection.grpc_search`` in
  ``collections/queries/*/executor.py``); so also ``collection.iterator()``, which pages
  with ``query.fetch_objects`` (``collections/iterator.py``). Fetch-by-id over REST is
  ``client.debug.get_object_over_rest`` (``debug/executor.py``), used below.
* ``collection.aggregate.*`` and ``len(collection)``: ``over_all`` builds GraphQL only for
  servers older than 1.29, otherwise ``connection.grpc_aggregate``
  (``collections/aggregations/over_all/executor.py``); ``__len__`` calls it
  (``collections/collection/sync.py``). ``client.graphql_raw_query`` stays REST and is
  covered below.
* ``collection.data.insert_many`` (``_BatchGRPC.objects``) and
  ``collection.data.delete_many`` (``_BatchDeleteGRPC`` -> ``connection.grpc_batch_delete``)
  in ``collections/data/executor.py``.
* ``client.batch.*`` / ``collection.batch.*`` object imports (``_BatchGRPC`` ->
  ``grpc_batch_objects`` / ``grpc_batch_stream`` in ``collections/batch/``); only their
  references go over REST (``POST /v1/batch/references``, ``collections/batch/rest.py``).
* ``collection.tenants.get()`` and ``tenants.get_by_names()`` (``grpc_tenants_get`` for
  servers >= 1.25, ``collections/tenants/executor.py``); ``get_by_name`` and ``exists`` use
  REST on servers >= 1.28 and are covered below.
* ``client.is_live()`` pings ``/.well-known/live`` *and* the gRPC health service
  (``client_executor.py``), so it is False on this connection; and connecting without
  ``skip_init_checks=True`` fails on the same gRPC health check (``connect/v4.py``).

Also left out, although REST, because the sandbox does not serve them: cross-references
(``data.reference_*``, batch references) and RBAC users and roles (``users.db``,
``users.oidc``, ``roles``). Shard status and replication (``cluster.replicate``,
``query_sharding_state``, ``replications``) are in
``test_sandbox_weaviate_client_replication.py``.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

weaviate = pytest.importorskip(
    "weaviate", reason="weaviate-client is a test-only dependency (pip install -e .[test])")

from weaviate import WeaviateClient  # noqa: E402
from weaviate.backup.backup import BackupStatusReturn  # noqa: E402
from weaviate.classes.backup import BackupStorage  # noqa: E402
from weaviate.classes.config import (  # noqa: E402
    Configure,
    DataType,
    Property,
    Reconfigure,
    StopwordsPreset,
    Tokenization,
    VectorDistances,
    Vectorizers,
)
from weaviate.classes.init import Auth  # noqa: E402
from weaviate.classes.tenants import Tenant, TenantActivityStatus  # noqa: E402
from weaviate.exceptions import UnexpectedStatusCodeError  # noqa: E402

from sandbox import Sandbox  # noqa: E402

Connect = Callable[..., WeaviateClient]


@pytest.fixture
def dead_grpc_port() -> Iterator[int]:
    """A port bound on 127.0.0.1 but never listened on: gRPC attempts are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def connect(dead_grpc_port: int) -> Iterator[Connect]:
    """Open clients on a sandbox (REST only); all are closed after the test."""
    opened: list[WeaviateClient] = []

    def open_client(server: Sandbox, **kwargs) -> WeaviateClient:
        wv = weaviate.connect_to_custom(
            http_host="127.0.0.1", http_port=server.port, http_secure=False,
            grpc_host="127.0.0.1", grpc_port=dead_grpc_port, grpc_secure=False,
            skip_init_checks=True, **kwargs)
        opened.append(wv)
        return wv

    yield open_client
    for wv in opened:
        wv.close()


@pytest.fixture
def wv(sandbox: Sandbox, connect: Connect) -> WeaviateClient:
    """A client connected anonymously to the empty sandbox."""
    return connect(sandbox)


def poll(read: Callable[[], BackupStatusReturn]) -> BackupStatusReturn:
    """Read a backup status until it is final (faster than the client's 1 s wait loop)."""
    deadline = time.monotonic() + 10
    while (status := read()).status not in ("SUCCESS", "FAILED", "CANCELED"):
        assert time.monotonic() < deadline, f"still {status.status}"
        time.sleep(0.02)
    return status


def status_of(exc: pytest.ExceptionInfo[UnexpectedStatusCodeError]) -> int:
    return exc.value.status_code


def test_connects_over_rest_and_reads_meta(wv: WeaviateClient, client: httpx.Client) -> None:
    """Connecting needs only /v1/meta; readiness and meta are plain REST."""
    assert wv.is_connected()
    assert wv.is_ready() is True
    meta = wv.get_meta()
    assert set(meta) >= {"hostname", "modules", "version", "grpcMaxMessageSize"}
    assert meta["grpcMaxMessageSize"] == 104858000
    assert "backup-filesystem" in meta["modules"]
    major, minor, *_ = meta["version"].split(".")
    assert (int(major), int(minor)) >= (1, 32)
    assert wv.get_open_id_configuration() is None  # 404: no OIDC configured
    # is_live also needs the gRPC health service (see the module docstring).
    assert client.get("/v1/.well-known/live").status_code == 200


def test_collection_lifecycle_and_defaults(wv: WeaviateClient) -> None:
    """Create with several property types, list, exists, read config, add property, delete."""
    articles = wv.collections.create(
        "Article",
        description="news",
        properties=[
            Property(name="title", data_type=DataType.TEXT),
            Property(name="slug", data_type=DataType.TEXT, tokenization=Tokenization.FIELD),
            Property(name="views", data_type=DataType.INT),
            Property(name="rating", data_type=DataType.NUMBER),
            Property(name="published", data_type=DataType.BOOL),
            Property(name="publishedAt", data_type=DataType.DATE),
            Property(name="tags", data_type=DataType.TEXT_ARRAY),
            Property(name="sourceId", data_type=DataType.UUID),
            Property(name="location", data_type=DataType.GEO_COORDINATES),
            Property(name="author", data_type=DataType.OBJECT, nested_properties=[
                Property(name="name", data_type=DataType.TEXT),
                Property(name="age", data_type=DataType.INT),
            ]),
        ],
    )
    assert articles.name == "Article"
    assert wv.collections.exists("Article") and wv.collections.exists("article")
    assert not wv.collections.exists("Missing")

    config = articles.config.get()
    assert config.name == "Article" and config.description == "news"
    props = {p.name: p for p in config.properties}
    assert list(props) == ["title", "slug", "views", "rating", "published", "publishedAt",
                           "tags", "sourceId", "location", "author"]
    assert props["title"].data_type == DataType.TEXT
    assert props["title"].tokenization == Tokenization.WORD
    assert props["title"].index_searchable and props["title"].index_filterable
    assert not props["title"].index_range_filters
    assert props["slug"].tokenization == Tokenization.FIELD
    assert props["views"].data_type == DataType.INT and props["views"].tokenization is None
    assert not props["views"].index_searchable and props["views"].index_filterable
    assert props["rating"].data_type == DataType.NUMBER
    assert props["published"].data_type == DataType.BOOL
    assert props["publishedAt"].data_type == DataType.DATE
    assert props["tags"].data_type == DataType.TEXT_ARRAY
    assert props["sourceId"].data_type == DataType.UUID
    assert props["location"].data_type == DataType.GEO_COORDINATES
    assert props["author"].data_type == DataType.OBJECT
    assert [n.name for n in props["author"].nested_properties or []] == ["name", "age"]

    # Weaviate's defaults, parsed by the client.
    assert config.replication_config.factor == 1
    assert config.sharding_config is not None
    assert config.sharding_config.desired_count == 1
    assert config.sharding_config.virtual_per_physical == 128
    assert config.sharding_config.key == "_id"
    assert not config.multi_tenancy_config.enabled
    assert config.inverted_index_config.bm25.b == 0.75
    assert config.inverted_index_config.bm25.k1 == 1.2
    assert config.inverted_index_config.cleanup_interval_seconds == 60
    assert config.inverted_index_config.stopwords.preset == StopwordsPreset.EN
    # The client sends vectorConfig {"default": self-provided}: one named vector, HNSW defaults.
    assert config.vector_index_config is None
    assert set(config.vector_config or {}) == {"default"}
    hnsw = config.vector_config["default"].vector_index_config
    assert hnsw.ef_construction == 128
    assert hnsw.max_connections == 32
    assert hnsw.ef == -1
    assert hnsw.distance_metric == VectorDistances.COSINE
    assert hnsw.cleanup_interval_seconds == 300
    assert hnsw.flat_search_cutoff == 40000
    assert hnsw.dynamic_ef_min == 100 and hnsw.dynamic_ef_max == 500
    assert hnsw.vector_cache_max_objects == 1_000_000_000_000

    listed = wv.collections.list_all()
    assert set(listed) == {"Article"}
    assert [p.name for p in listed["Article"].properties][:2] == ["title", "slug"]
    full = wv.collections.list_all(simple=False)
    assert full["Article"].replication_config.factor == 1
    assert wv.collections.export_config("article") == config

    articles.config.add_property(Property(name="summary", data_type=DataType.TEXT))
    summary = articles.config.get().properties[-1]
    assert (summary.name, summary.data_type, summary.tokenization) == (
        "summary", DataType.TEXT, Tokenization.WORD)

    (shard,) = articles.config.get_shards()
    assert (shard.status, shard.vector_queue_size) == ("READY", 0)
    assert articles.config.update_shards("READONLY") == {shard.name: "READONLY"}
    assert [s.status for s in articles.config.get_shards()] == ["READONLY"]
    with pytest.raises(UnexpectedStatusCodeError):
        articles.data.insert({"title": "refused by a read-only shard"})
    assert articles.config.update_shards("READY", shard.name) == {shard.name: "READY"}

    articles.config.update(
        description="world news",
        property_descriptions={"title": "the headline"},
        inverted_index_config=Reconfigure.inverted_index(bm25_b=0.7),
        vector_config=Reconfigure.Vectors.update(
            name="default", vector_index_config=Reconfigure.VectorIndex.hnsw(ef=77)),
    )
    updated = articles.config.get()
    assert updated.description == "world news"
    assert updated.properties[0].description == "the headline"
    assert updated.inverted_index_config.bm25.b == 0.7
    assert updated.vector_config["default"].vector_index_config.ef == 77
    assert len(updated.properties) == 11

    with pytest.raises(UnexpectedStatusCodeError) as duplicate:
        wv.collections.create("Article")
    assert status_of(duplicate) == 422

    wv.collections.delete("Article")
    assert not wv.collections.exists("Article")
    wv.collections.delete("Article")  # deleting a missing collection is a 200 no-op
    assert wv.collections.list_all() == {}


def test_legacy_vector_index_defaults(wv: WeaviateClient) -> None:
    """A class-level (legacy) vector index, created from a dict, gets Weaviate's HNSW defaults."""
    legacy = wv.collections.create_from_dict({"class": "Legacy", "vectorizer": "none"})
    config = legacy.config.get()
    assert config.vector_config is None
    assert config.vectorizer == Vectorizers.NONE
    assert config.vector_index_type == "hnsw"  # a str enum
    hnsw = config.vector_index_config
    assert hnsw is not None
    assert (hnsw.ef_construction, hnsw.max_connections, hnsw.ef) == (128, 32, -1)
    assert hnsw.distance_metric == VectorDistances.COSINE
    legacy.config.update(vectorizer_config=Reconfigure.VectorIndex.hnsw(ef=55))
    assert legacy.config.get().vector_index_config.ef == 55


def test_lowercase_name_is_capitalised_by_the_server(wv: WeaviateClient) -> None:
    """``book`` becomes ``Book``; the client names its handle after the server's answer."""
    books = wv.collections.create("book", properties=[Property(name="title",
                                                                data_type=DataType.TEXT)])
    assert books.name == "Book"
    assert set(wv.collections.list_all()) == {"Book"}


def test_named_vectors(wv: WeaviateClient, client: httpx.Client) -> None:
    """Named vectors: per-vector index config on create, vectors stored per name."""
    docs = wv.collections.create(
        "Doc",
        properties=[Property(name="body", data_type=DataType.TEXT)],
        vector_config=[
            Configure.Vectors.self_provided(
                name="title_vec",
                vector_index_config=Configure.VectorIndex.hnsw(
                    ef_construction=64, distance_metric=VectorDistances.DOT)),
            Configure.Vectors.self_provided(name="body_vec"),
        ],
    )
    config = docs.config.get()
    assert config.vector_index_config is None and config.vectorizer is None
    vectors = config.vector_config or {}
    assert set(vectors) == {"title_vec", "body_vec"}
    assert vectors["title_vec"].vector_index_config.ef_construction == 64
    assert vectors["title_vec"].vector_index_config.distance_metric == VectorDistances.DOT
    assert vectors["body_vec"].vector_index_config.ef_construction == 128
    assert vectors["body_vec"].vector_index_config.distance_metric == VectorDistances.COSINE

    uid = docs.data.insert({"body": "hello"},
                           vector={"title_vec": [0.5, 0.25], "body_vec": [1.0, 0.0, -2.0]})
    stored = client.get(f"/v1/objects/Doc/{uid}", params={"include": "vector"}).json()
    assert stored["vectors"] == {"title_vec": [0.5, 0.25], "body_vec": [1.0, 0.0, -2.0]}


def test_single_object_rest_operations(wv: WeaviateClient, client: httpx.Client) -> None:
    """insert (POST), exists (HEAD), get (debug GET), update (PATCH), replace (PUT), delete."""
    articles = wv.collections.create("Article", properties=[
        Property(name="title", data_type=DataType.TEXT),
        Property(name="views", data_type=DataType.INT),
        Property(name="tags", data_type=DataType.TEXT_ARRAY),
    ])
    given = uuid.UUID("0d5d9b5c-2d4c-4c47-9d5a-3b8f6b1d2c01")
    uid = articles.data.insert({"title": "Hello", "views": 1, "tags": ["a", "b"]}, uuid=given,
                               vector=[0.5, -0.25, 1.0])
    assert uid == given
    assert articles.data.exists(uid)
    assert not articles.data.exists(uuid.UUID(int=1))

    obj = wv.debug.get_object_over_rest("Article", uid)
    assert obj is not None
    assert (obj.collection, obj.uuid) == ("Article", given)
    assert obj.properties == {"title": "Hello", "views": 1, "tags": ["a", "b"]}
    assert obj.creation_time == obj.last_update_time
    assert wv.debug.get_object_over_rest("Article", uuid.UUID(int=1)) is None
    # A legacy vector on a class whose only vector is named lands in that named vector.
    stored = client.get(f"/v1/objects/Article/{uid}", params={"include": "vector"}).json()
    assert stored["vectors"]["default"] == [0.5, -0.25, 1.0]

    with pytest.raises(UnexpectedStatusCodeError) as duplicate:
        articles.data.insert({"title": "again"}, uuid=given)
    assert status_of(duplicate) == 422

    articles.data.update(uid, properties={"views": 2})
    merged = wv.debug.get_object_over_rest("Article", uid)
    assert merged is not None
    assert merged.properties == {"title": "Hello", "views": 2, "tags": ["a", "b"]}
    assert merged.creation_time == obj.creation_time
    assert merged.last_update_time >= obj.last_update_time

    articles.data.replace(uid, properties={"title": "Replaced"})
    replaced = wv.debug.get_object_over_rest("Article", uid)
    assert replaced is not None
    assert replaced.properties == {"title": "Replaced"}
    assert replaced.creation_time == obj.creation_time

    with pytest.raises(UnexpectedStatusCodeError) as missing:
        articles.data.update(uuid.UUID(int=1), properties={"views": 3})
    assert status_of(missing) == 404

    assert articles.data.delete_by_id(uid) is True
    assert not articles.data.exists(uid)
    # Weaviate answers 204 for an absent id in an existing class (REST-BEHAVIOUR §7.4).
    assert articles.data.delete_by_id(uid) is True
    assert client.get("/v1/objects", params={"class": "Article"}).json()["objects"] == []


def test_tenants(wv: WeaviateClient) -> None:
    """Tenants over REST: create (with an INACTIVE one), get_by_name, exists, update, remove."""
    docs = wv.collections.create(
        "Doc",
        multi_tenancy_config=Configure.multi_tenancy(enabled=True),
        properties=[Property(name="body", data_type=DataType.TEXT)],
    )
    assert docs.config.get().multi_tenancy_config.enabled

    docs.tenants.create([
        Tenant(name="active1"),
        Tenant(name="inactive1", activity_status=TenantActivityStatus.INACTIVE),
    ])
    assert docs.tenants.exists("active1") and docs.tenants.exists("inactive1")
    assert not docs.tenants.exists("nobody")
    active = docs.tenants.get_by_name("active1")
    inactive = docs.tenants.get_by_name("inactive1")
    assert active is not None and inactive is not None
    # The server answers HOT/COLD; the client maps them onto ACTIVE/INACTIVE.
    assert active.activity_status == TenantActivityStatus.ACTIVE
    assert inactive.activity_status == TenantActivityStatus.INACTIVE
    assert docs.tenants.get_by_name("nobody") is None

    uid = docs.with_tenant("active1").data.insert({"body": "in a tenant"})
    assert docs.with_tenant("active1").data.exists(uid)
    stored = wv.debug.get_object_over_rest("Doc", uid, tenant="active1")
    assert stored is not None and stored.tenant == "active1"
    docs.with_tenant("active1").data.update(uid, properties={"body": "patched"})  # tenant in body
    patched = wv.debug.get_object_over_rest("Doc", uid, tenant="active1")
    assert patched is not None and patched.properties["body"] == "patched"
    with pytest.raises(UnexpectedStatusCodeError) as no_tenant:
        docs.data.insert({"body": "nowhere"})
    assert status_of(no_tenant) == 422
    with pytest.raises(UnexpectedStatusCodeError) as cold:
        docs.with_tenant("inactive1").data.insert({"body": "cold"})
    assert status_of(cold) == 422

    docs.tenants.update(Tenant(name="inactive1", activity_status=TenantActivityStatus.ACTIVE))
    reactivated = docs.tenants.get_by_name("inactive1")
    assert reactivated is not None
    assert reactivated.activity_status == TenantActivityStatus.ACTIVE
    docs.with_tenant("inactive1").data.insert({"body": "warm now"})

    docs.tenants.remove(["active1"])
    assert not docs.tenants.exists("active1")
    assert docs.tenants.exists("inactive1")


def test_multi_tenancy_config_update(wv: WeaviateClient) -> None:
    """``config.update`` on a multi-tenant collection (GET, merge, PUT of the whole class)."""
    docs = wv.collections.create("Doc", multi_tenancy_config=Configure.multi_tenancy(enabled=True))
    assert docs.config.get().sharding_config is None  # the client hides MT's zero struct
    docs.config.update(description="per tenant",
                       multi_tenancy_config=Reconfigure.multi_tenancy(auto_tenant_creation=True))
    config = docs.config.get()
    assert config.description == "per tenant"
    assert config.multi_tenancy_config.enabled and config.multi_tenancy_config.auto_tenant_creation
    docs.with_tenant("auto1").data.insert({"body": "creates its tenant"})
    auto = docs.tenants.get_by_name("auto1")
    assert auto is not None and auto.activity_status == TenantActivityStatus.ACTIVE


def test_aliases(wv: WeaviateClient, client: httpx.Client) -> None:
    """Alias create, list, get, exists, update, delete; the alias resolves to its target."""
    for name in ("Article", "Book"):
        wv.collections.create(name, properties=[Property(name="title", data_type=DataType.TEXT)])
    wv.alias.create(alias_name="Current", target_collection="Article")
    listed = wv.alias.list_all()
    assert set(listed) == {"Current"}
    assert listed["Current"].collection == "Article"
    assert set(wv.alias.list_all(collection="Book")) == set()
    assert wv.alias.exists(alias_name="Current")
    assert wv.collections.use("Current").config.get().name == "Article"

    assert wv.alias.update(alias_name="Current", new_target_collection="Book") is True
    current = wv.alias.get(alias_name="Current")
    assert current is not None and current.collection == "Book"
    wv.collections.use("Current").data.insert({"title": "via alias"})
    books = client.get("/v1/objects", params={"class": "Book"}).json()["objects"]
    assert [o["properties"]["title"] for o in books] == ["via alias"]

    assert wv.alias.delete(alias_name="Current") is True
    assert wv.alias.get(alias_name="Current") is None
    assert wv.alias.delete(alias_name="Current") is False
    assert wv.collections.exists("Book")


def test_cluster_nodes_and_statistics(wv: WeaviateClient, connect: Connect, tmp_path) -> None:
    """Nodes (minimal, verbose, per collection), RAFT statistics, and a three-node cluster."""
    wv.collections.create("Article", properties=[Property(name="title", data_type=DataType.TEXT)])
    wv.collections.create("Book")
    wv.collections.use("Article").data.insert({"title": "x"})

    (node,) = wv.cluster.nodes()
    assert node.status == "HEALTHY"
    assert node.version == wv.get_meta()["version"]
    assert node.shards is None and node.stats is None

    (verbose,) = wv.cluster.nodes(output="verbose")
    assert verbose.name == node.name
    assert sorted(s.collection for s in verbose.shards) == ["Article", "Book"]
    assert verbose.stats.shard_count == 2
    # objectCount may lag behind writes in Weaviate, so only its range is checked.
    assert 0 <= verbose.stats.object_count <= 1
    assert all(s.node == node.name and s.vector_indexing_status == "READY"
               for s in verbose.shards)

    (one,) = wv.cluster.nodes("article", output="verbose")
    assert [s.collection for s in one.shards] == ["Article"]

    stats = wv.cluster.statistics()
    assert stats.synchronized
    (raft,) = stats.statistics
    assert (raft.name, raft.status, raft.ready, raft.is_voter) == (node.name, "HEALTHY", True, True)
    assert raft.leader_id == node.name and raft.raft.state == "Leader"
    assert [m.node_id for m in raft.raft.latest_configuration] == [node.name]

    with Sandbox(backup_dir=tmp_path / "three", nodes=3) as three:
        names = [n.name for n in connect(three).cluster.nodes()]
    assert len(names) == 3 and names == sorted(names)


def test_backup_create_and_restore(wv: WeaviateClient, client: httpx.Client) -> None:
    """Filesystem backup of one collection, then restore after dropping it."""
    articles = wv.collections.create("Article", properties=[
        Property(name="title", data_type=DataType.TEXT),
        Property(name="views", data_type=DataType.INT),
    ])
    wv.collections.create("Scratch")
    ids = {articles.data.insert({"title": f"t{i}", "views": i}) for i in range(3)}

    created = wv.backup.create(backup_id="snap-1", backend=BackupStorage.FILESYSTEM,
                               include_collections=["Article"], wait_for_completion=True)
    assert created.status == "SUCCESS"
    assert created.backup_id == "snap-1" and created.collections == ["Article"]
    status = wv.backup.get_create_status(backup_id="snap-1", backend=BackupStorage.FILESYSTEM)
    assert status.status == "SUCCESS" and status.backup_id == "snap-1"
    listed = wv.backup.list_backups(backend=BackupStorage.FILESYSTEM)
    assert [(b.backup_id, b.status, b.collections) for b in listed] == [
        ("snap-1", "SUCCESS", ["Article"])]

    # Article still exists: Weaviate either refuses the request (422) or fails the restore.
    try:
        wv.backup.restore(backup_id="snap-1", backend=BackupStorage.FILESYSTEM)
    except UnexpectedStatusCodeError as refused:
        assert refused.status_code == 422
    else:
        failed = poll(lambda: wv.backup.get_restore_status(
            backup_id="snap-1", backend=BackupStorage.FILESYSTEM))
        assert failed.status == "FAILED" and "Article" in (failed.error or "")
    assert len(client.get("/v1/objects", params={"class": "Article"}).json()["objects"]) == 3

    wv.collections.delete("Article")
    restored = wv.backup.restore(backup_id="snap-1", backend=BackupStorage.FILESYSTEM,
                                 wait_for_completion=True)
    assert restored.status == "SUCCESS" and restored.collections == ["Article"]
    status = wv.backup.get_restore_status(backup_id="snap-1", backend=BackupStorage.FILESYSTEM)
    assert status.status == "SUCCESS"

    objects = client.get("/v1/objects", params={"class": "Article"}).json()["objects"]
    assert {uuid.UUID(o["id"]) for o in objects} == ids
    assert sorted(o["properties"]["views"] for o in objects) == [0, 1, 2]
    assert [p.name for p in articles.config.get().properties] == ["title", "views"]


def test_graphql_raw_query(wv: WeaviateClient) -> None:
    """``graphql_raw_query`` is REST (POST /v1/graphql): an Aggregate count and an error."""
    articles = wv.collections.create("Article", properties=[Property(name="title",
                                                                     data_type=DataType.TEXT)])
    for title in ("a", "b"):
        articles.data.insert({"title": title})
    result = wv.graphql_raw_query("{ Aggregate { Article { meta { count } } } }")
    assert result.errors is None
    assert result.aggregate == {"Article": [{"meta": {"count": 2}}]}
    bad = wv.graphql_raw_query("{ Aggregate { Missing { meta { count } } } }")
    assert bad.errors and "Missing" in bad.errors[0]["message"]


def test_get_my_user_with_api_key(tmp_path, connect: Connect) -> None:
    """``users.get_my_user`` names the static API-key user; a wrong key cannot connect."""
    with Sandbox(backup_dir=tmp_path / "b", api_keys={"secret": "alice"}) as server:
        alice = connect(server, auth_credentials=Auth.api_key("secret"))
        me = alice.users.get_my_user()
        assert me.user_id == "alice"
        assert me.roles == {} and not me.groups
        assert alice.collections.list_all() == {}
        with pytest.raises(UnexpectedStatusCodeError) as wrong:
            connect(server, auth_credentials=Auth.api_key("wrong"))
        assert status_of(wrong) == 401
