"""``\\optimize`` rules on measurements a test sandbox cannot reach (100,000-vector shards,
hundreds of tenants, offload-s3, older servers), the memory formulas of OPERATIONS.md §2.1,
and the ``\\migrate`` command text."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from commands.errors import UsageError
from commands.ops import class_paths
from commands.ops.cluster import ShardReplica
from commands.ops.optimize.apply import edited_class, migrate_command, select
from commands.ops.optimize.measure import (
    Measurements,
    VectorSpace,
    hnsw_bytes,
    parse_size,
    size,
    vector_bytes,
)
from commands.ops.optimize.rules import RULE_IDS, analyze
from commands.parse import tokenize


def hnsw(**config: Any) -> dict[str, Any]:
    return {"distance": "cosine", "maxConnections": 32, "ef": -1,
            "vectorCacheMaxObjects": 10 ** 12, "filterStrategy": "acorn",
            "rq": {"enabled": False, "bits": 8}, **config}


def measured(*, shards: dict[str, int], index: str = "hnsw", config: dict | None = None,
             dims: int = 768, version: str = "1.39.0", nodes: int = 1, factor: int = 1,
             tenants: dict[str, str] | None = None, modules: tuple[str, ...] = (),
             node_memory: int | None = None, cls: dict | None = None) -> Measurements:
    names = tuple(f"node{i + 1}" for i in range(nodes))
    config = config if config is not None else hnsw()
    definition = cls or {
        "class": "C", "vectorIndexType": index, "vectorIndexConfig": config,
        "properties": [], "replicationConfig": {"factor": factor},
        "multiTenancyConfig": {"enabled": tenants is not None},
        "shardingConfig": {"desiredCount": len(shards)}}
    replicas = tuple(ShardReplica("C", s, names[i % nodes], n, "READY", True, False, 0)
                     for i, (s, n) in enumerate(shards.items()))
    compression = next((k for k in ("pq", "bq", "sq", "rq")
                        if (config.get(k) or {}).get("enabled")), None)
    return Measurements(cls=definition, version=version, modules=modules, nodes=names,
                        replicas=replicas, tenant_status=tenants,
                        vectors=(VectorSpace(None, index, config, compression, dims),),
                        sample=(), node_memory=node_memory)


def rules(m: Measurements) -> dict[str, Any]:
    return {r.rule: r for r in analyze(m)}


# --- memory, OPERATIONS.md §2.1 -----------------------------------------------------------------

@pytest.mark.parametrize(("dims", "quantizer", "expected"), [
    (1536, None, 6144), (1536, "rq8", 1552), (100, "rq8", 144), (1536, "rq1", 200),
    (100, "rq1", 40), (1536, "bq", 192), (1536, "sq", 1536), (1536, "pq", 256),
    (768, "pq", 128), (384, "pq", 96), (100, "pq", 50)])
def test_vector_bytes(dims: int, quantizer: str | None, expected: int) -> None:
    assert vector_bytes(dims, quantizer) == expected


def test_hnsw_estimate_matches_the_docs_quick_table() -> None:
    # 1M x 1024-d is "about 6 GB" with the rule of thumb; the exact form without GC is lower
    assert size(hnsw_bytes(1_000_000, 1024, 32)) == "4.1 GiB"
    assert hnsw_bytes(2, 4, 10, "rq8") == 2 * (64 + 16 + 100)


@pytest.mark.parametrize(("text", "expected"), [("16GiB", 16 * 1024 ** 3), ("512mb", 512 << 20),
                                                ("8g", 8 << 30), ("1024", 1024)])
def test_sizes(text: str, expected: int) -> None:
    assert parse_size(text) == expected


# --- compression and version floors -------------------------------------------------------------

def test_a_large_shard_needs_compression_without_a_ram_figure() -> None:
    rec = rules(measured(shards={"s1": 150_000}))["compress-rq8"]
    assert rec.severity == "medium" and rec.applies == "in-place"
    assert "the largest shard has 150,000 vectors" in rec.reason
    assert "150,000 vectors of 768 dimensions" in rec.reason
    assert "compress-rq8" not in rules(measured(shards={"s1": 90_000}))


@pytest.mark.parametrize(("version", "rule", "change"), [
    ("1.33.0", "compress-rq1", "vectorIndexConfig.rq.enabled=true vectorIndexConfig.rq.bits=1"),
    ("1.32.4", "compress-rq8", "vectorIndexConfig.rq.enabled=true"),
    ("1.31.0", "compress-sq", "vectorIndexConfig.sq.enabled=true"),
    ("1.30.9", "compress-pq", "vectorIndexConfig.pq.enabled=true")])
def test_the_quantizer_respects_version_floors(version: str, rule: str, change: str) -> None:
    # 1M x 768-d on a 4 GiB node: RQ-8 still leaves more than 25% of it, so RQ-1 if possible
    found = rules(measured(shards={"s1": 1_000_000}, version=version, node_memory=4 << 30))
    assert [r for r in found if r.startswith("compress")] == [rule]
    assert found[rule].change == change and found[rule].severity == "high"


def test_a_compressed_index_is_left_alone() -> None:
    m = measured(shards={"s1": 500_000}, config=hnsw(rq={"enabled": True, "bits": 8}))
    assert not [r for r in rules(m) if r.startswith("compress")]


# --- index types --------------------------------------------------------------------------------

def test_a_large_flat_index_becomes_hnsw_by_a_copy() -> None:
    rec = rules(measured(shards={"s1": 250_000}, index="flat",
                         config={"distance": "dot"}))["index-hnsw"]
    assert (rec.operations_rule, rec.applies, rec.severity) == ("T2", "copy", "high")
    assert rec.change == ('vectorIndexType=hnsw '
                          'vectorIndexConfig={"distance":"dot","rq":{"enabled":true}}')


@pytest.mark.parametrize(("version", "rule"), [("1.35.0", "flat-compress-rq"),
                                               ("1.34.0", "flat-compress-bq")])
def test_a_mid_sized_flat_index_is_compressed_at_creation(version: str, rule: str) -> None:
    found = rules(measured(shards={"s1": 50_000}, index="flat", config={"distance": "cosine"},
                           version=version))
    assert found[rule].operations_rule == "T8" and found[rule].applies == "copy"


def test_a_flat_index_saves_the_graph_on_the_node_the_memory_estimate_is_for() -> None:
    # three shards on three nodes: node1 holds 3,000 vectors, the cluster 6,000
    m = measured(shards={"s1": 3000, "s2": 2000, "s3": 1000}, nodes=3, dims=128)
    summary = size(m.index_bytes(m.vectors[0]) or 0)  # \optimize's memory_per_node
    assert summary == "2.4 MiB"  # 3,000 x (128 x 4 + 32 x 10) B
    effect = rules(m)["index-flat"].effect
    assert "about 937.5 KiB less on node1, the busiest node" in effect  # 3,000 x 320 B
    tenants = {f"t{i}": "ACTIVE" for i in range(4)}
    dynamic = rules(measured(shards={"t0": 600, "t1": 500, "t2": 500, "t3": 500},
                             tenants=tenants, nodes=2, dims=128))["index-dynamic"]
    assert "about 343.8 KiB less on node1, the busiest node" in dynamic.effect  # 1,100 x 320


def test_many_small_tenants_get_a_dynamic_index() -> None:
    tenants = {f"t{i}": "ACTIVE" for i in range(12)}
    found = rules(measured(shards={t: 500 for t in tenants}, tenants=tenants))
    assert found["index-dynamic"].severity == "medium"
    assert "12 tenants; the largest active one has 500 vectors" in found["index-dynamic"].reason
    assert found["async-indexing"].applies == "server-env"
    assert "index-dynamic" not in rules(measured(shards={"t1": 20_000, "t2": 10},
                                                 tenants={"t1": "ACTIVE", "t2": "ACTIVE"}))


# --- tenants, replication, ordering -------------------------------------------------------------

def test_inactive_tenants_are_offloaded_100_per_request() -> None:
    tenants = {f"t{i:03}": "INACTIVE" for i in range(350)} | {"hot": "ACTIVE"}
    m = measured(shards={"hot": 20_000}, tenants=tenants, modules=("offload-s3",))
    rec = rules(m)["offload-tenants"]
    assert rec.applies == "rest-call" and "350 of 351 tenants are INACTIVE" in rec.reason
    assert rec.change.count("PUT /v1/schema/C/tenants") == 3
    assert rec.change.endswith("; ... (4 calls in all)")
    assert '{"name":"t000","activityStatus":"OFFLOADED"}' in rec.change
    assert "offload-tenants" not in rules(measured(shards={"hot": 20_000}, tenants=tenants))


@pytest.mark.parametrize(("nodes", "factor", "target"), [(3, 1, 3), (2, 1, 2), (5, 4, 5),
                                                         (4, 4, 3), (3, 3, None), (1, 1, None),
                                                         (2, 2, None)])
def test_replication_targets(nodes: int, factor: int, target: int | None) -> None:
    rec = rules(measured(shards={"s1": 10_000}, nodes=nodes, factor=factor)).get(
        "replication-factor")
    assert (rec.assignments[0][1] if rec else None) == target


def test_readonly_reason_depends_on_the_version() -> None:
    m = replace(measured(shards={"s1": 10}, version="1.35.2"),
                replicas=(ShardReplica("C", "s1", "node1", 10, "READONLY", True, False, 0),))
    rec = rules(m)["shard-readonly"]
    assert "before v1.36 Weaviate never returns them to READY itself" in rec.reason
    assert rec.shards == ("s1",)


def test_recommendations_are_ordered_by_severity_then_impact() -> None:
    m = measured(shards={"s1": 150_000, "s2": 5}, nodes=3, factor=1,
                 config=hnsw(ef=1024, filterStrategy="sweeping"))
    found = [(r.severity, r.rule) for r in analyze(m)]
    assert found == sorted(found, key=lambda x: ("high", "medium", "low", "info").index(x[0]))
    assert found[0] == ("medium", "compress-rq8")
    assert {"ef-dynamic", "filter-acorn", "shard-count"} <= {r for _, r in found}


# --- apply helpers ------------------------------------------------------------------------------

def test_unknown_rules_list_what_the_analysis_found() -> None:
    recs = analyze(measured(shards={"s1": 150_000}))
    with pytest.raises(UsageError) as caught:
        select(recs, ["compress-rq8,nope"], RULE_IDS)
    assert "nope" in caught.value.message and "compress-rq8" in caught.value.hint
    chosen, idle = select(recs, ["compress-rq8,shard-readonly", "compress-rq8"], RULE_IDS)
    assert ([r.rule for r in chosen], idle) == (["compress-rq8"], ["shard-readonly"])


def test_every_rule_id_is_in_the_readme_table_and_known_to_apply() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme[readme.index("| rule | OPERATIONS.md |"):]
    table = table[:table.index("\n\n")]
    documented = [i for row in table.splitlines()[2:]
                  for i in re.findall(r"`([a-z0-9-]+)`", row.split("|")[1])]
    assert sorted(documented) == sorted(RULE_IDS)


def test_the_migrate_command_round_trips_through_the_shell_tokenizer() -> None:
    cls = {"class": "C", "vectorIndexType": "hnsw", "vectorIndexConfig": hnsw(),
           "replicationConfig": {"factor": 1}, "multiTenancyConfig": {"enabled": False},
           "shardingConfig": {"desiredCount": 1}, "invertedIndexConfig": {"indexTimestamps": True},
           "properties": [{"name": "note", "dataType": ["text"], "tokenization": "word",
                           "description": "it's \"quoted\""}]}
    m = replace(measured(shards={"s1": 5_000}, nodes=3, cls=cls, version="1.38.0"),
                sample=tuple({"note": f"https://x.example/{i}"} for i in range(5)))
    copies = [r for r in analyze(m) if r.applies == "copy"]
    assert {r.rule for r in copies} >= {"index-flat", "tokenization-field", "optional-indexes",
                                        "replication-factor", "shard-count"}
    command = migrate_command(m, "http://new host:8080", copies)
    words = tokenize(command)
    assert words[:6] == ["migrate", "C", "--target", "http://new host:8080", "--as", "C_v2"]
    target = dict(cls)
    for i, word in enumerate(words):
        if word == "--set":
            target = class_paths.set_path(target, *class_paths.parse_assignment(words[i + 1]))
    assert target == edited_class(cls, copies)
    assert target["properties"][0]["tokenization"] == "field"
    assert target["vectorIndexType"] == "flat"
