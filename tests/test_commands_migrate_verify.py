"""What ``\\migrate``'s verification counts as a difference: not what ``--set`` asked and the
target stored as asked (nor a shard count capped by a smaller target); every other
difference, a tenant on one side only included, makes the exit status 1 and is shown in
full. The reconciliation deletes the target's tenants the source does not have."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from migrate_support import clear_log, dispatcher, mutating, state

from commands.api.client import RestClient
from commands.ops.class_paths import MISSING
from commands.ops.migrate.verify import definition_diff, verify_copy
from commands.results import Message, Record
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
HNSW = {"class": "A", "vectorIndexType": "hnsw", "properties": [],
        "vectorIndexConfig": {"distance": "cosine", "ef": -1},
        "shardingConfig": {"desiredCount": 3, "virtualPerPhysical": 128}}


@pytest.mark.parametrize(("assignments", "stored", "nodes", "expected"), [
    # stored as asked: another index type brings its own config
    ((("vectorIndexType", "flat"),), {"vectorIndexType": "flat",
                                      "vectorIndexConfig": {"distance": "cosine"}}, 3, []),
    # not applied by the target: a difference, not ignored
    ((("vectorIndexType", "flat"),), {}, 3, [("vectorIndexType", "flat", "hnsw")]),
    ((("nope.x", 1),), {}, 3, [("nope", {"x": 1}, MISSING)]),
    # an object asked: the server's defaults beside the asked keys are not differences
    ((("vectorIndexConfig", {"distance": "dot"}),),
     {"vectorIndexConfig": {"distance": "dot", "ef": -1, "maxConnections": 32}}, 3, []),
    ((("vectorIndexConfig", {"distance": "dot"}),), {}, 3,
     [("vectorIndexConfig.distance", "dot", "cosine"), ("vectorIndexConfig.ef", MISSING, -1)]),
    # a shard count capped at the target's node count is expected, another one is not
    ((), {"shardingConfig": {"desiredCount": 1, "virtualPerPhysical": 128}}, 1, []),
    ((), {"shardingConfig": {"desiredCount": 2, "virtualPerPhysical": 128}}, 1,
     [("shardingConfig.desiredCount", 3, 2)]),
])
def test_expected_differences_and_the_others(assignments, stored, nodes, expected) -> None:
    target = {**HNSW, "class": "B", **stored}
    assert definition_diff(HNSW, target, assignments, nodes) == expected


def test_a_difference_left_exits_1_and_its_evidence_is_shown_whole(tmp_path) -> None:
    cls = {"class": "Doc", "properties": [{"name": "title", "dataType": ["text"]}]}
    with Sandbox() as source, Sandbox() as target:
        httpx.post(f"{source.url}/v1/schema", json=cls).raise_for_status()
        httpx.post(f"{source.url}/v1/objects", json={
            "class": "Doc", "properties": {"title": "one"}}).raise_for_status()
        # an empty target class that can take the objects, with other BM25 settings
        httpx.post(f"{target.url}/v1/schema", json={**cls, "invertedIndexConfig": {
            "bm25": {"b": 0.5, "k1": 1.5}}}).raise_for_status()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "c"),
               "XDG_STATE_HOME": str(tmp_path / "s")}
        done = subprocess.run([sys.executable, "-m", "shell", "--url", source.url, "col",
                               "migrate", "Doc", "--target", target.url], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    evidence = ("2 differences: invertedIndexConfig.bm25.b: 0.75 -> 0.5; "
                "invertedIndexConfig.bm25.k1: 1.2 -> 1.5")
    assert evidence in done.stdout  # not cut at 60 characters
    assert "differences found" in done.stdout


def test_extra_target_tenants_are_deleted_and_verified(tmp_path) -> None:
    with Sandbox() as source, Sandbox() as target:
        http = httpx.Client(base_url=source.url)
        http.post("/v1/schema", json={"class": "Tix", "multiTenancyConfig": {"enabled": True},
                                      "properties": [{"name": "title", "dataType": ["text"]}]}
                  ).raise_for_status()
        http.post("/v1/schema/Tix/tenants", json=[{"name": "a"}, {"name": "b"}])
        for tenant in ("a", "b"):
            http.post("/v1/objects", json={"class": "Tix", "tenant": tenant,
                                           "properties": {"title": tenant}}).raise_for_status()
        shell = dispatcher(source.url, tmp_path)
        assert shell.execute(rf"\migrate Tix --target {target.url}", "test").exit_code == 0
        httpx.post(f"{target.url}/v1/schema/Tix/tenants",
                   json=[{"name": "extra"}]).raise_for_status()
        httpx.post(f"{target.url}/v1/objects", json={"class": "Tix", "tenant": "extra",
                                                     "properties": {"title": "x"}})
        apis = RestClient(source.url), RestClient(target.url)
        report = verify_copy(*apis, "Tix", "Tix", "full")
        assert not report.ok and ("tenant extra", "crit", "only on the target") in report.rows()
        assert verify_copy(*apis, "Tix", "Tix", "full", tenant="a").ok  # only a is compared
        health = shell.execute(rf"\health Tix --target {target.url}", "test")
        assert health.exit_code == 2, health.error  # critical
        row = next(c for c in health.results[0].fields["checks"]
                   if c["check"] == "copy tenant extra")
        assert row["status"] == "crit" and row["evidence"] == "only on the target"
        assert row["hint"].startswith(rf"rerun \migrate Tix --target {target.url}: it ")
        one = shell.execute(rf"\migrate Tix --target {target.url} --tenant a --force", "test")
        assert one.exit_code == 0, one.error
        clear_log(target.url)
        dry = shell.execute(rf"\migrate Tix --target {target.url} --dry-run", "test")
        said = "\n".join(r.text for r in dry.results if isinstance(r, Message))
        assert "delete the tenants only the target has, with their objects: extra" in said
        assert mutating(target.url) == []
        forced = shell.execute(rf"\migrate Tix --target {target.url} --force", "test")
        assert forced.exit_code == 0, forced.error
        names = {t["name"] for t in httpx.get(f"{target.url}/v1/schema/Tix/tenants").json()}
        assert names == {"a", "b"}
        record = next(r for r in forced.results if isinstance(r, Record))
        assert record.fields["tenants_deleted"] == ["extra"]
        for tenant in ("a", "b"):
            assert state(target.url, "Tix", tenant) == state(source.url, "Tix", tenant)
        checks = next(r for r in forced.results if isinstance(r, Record) and
                      r.title.startswith("Verify")).fields["checks"]
        assert [c["check"] for c in checks] == ["definition", "count a", "count b", "objects"]
        assert json.dumps(checks).count('"ok"') == 4
