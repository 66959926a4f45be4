"""``\\shards --set``, ``\\sharding``, ``\\replicate`` (and show, cancel, rm, scale) and
``\\replications`` against a 3-node sandbox: through the dispatcher, and as ``elysiactl``
processes for the version floor, the REPLICA_MOVEMENT_ENABLED switch and refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REGISTRY, make_session

from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.results import Message, Outcome, Record, Table
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
NODES = ["node1", "node2", "node3"]


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(nodes=3) as server:
        with httpx.Client(base_url=server.url) as http:
            http.post("/v1/schema", json={"class": "Article", "shardingConfig": {
                "desiredCount": 2}}).raise_for_status()
            http.post("/v1/batch/objects", json={"objects": [
                {"class": "Article", "properties": {"n": i}} for i in range(20)]})
            http.post("/v1/schema", json={"class": "Ticket", "multiTenancyConfig": {
                "enabled": True}}).raise_for_status()
            http.post("/v1/schema/Ticket/tenants", json=[{"name": "acme"}, {"name": "globex"}])
            http.put("/__sandbox/replication", json={"step_ms": 5})
            http.delete("/__sandbox/requests")
        yield server


@pytest.fixture
def http(sb: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sb.url) as client:
        yield client


@pytest.fixture
def session(sb: Sandbox) -> Session:
    return make_session(sb.url)


def execute(session: Session, line: str) -> Outcome:
    return Dispatcher(REGISTRY, session, MemoryAuditLog()).execute(line, "test")


def ok(session: Session, line: str) -> list:
    outcome = execute(session, line)
    assert outcome.error is None, f"{line}: {outcome.error}"
    return outcome.results


def messages(results: list) -> str:
    return "\n".join(r.text for r in results if isinstance(r, Message))


def mutating(http: httpx.Client) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in http.get("/__sandbox/requests").json()
            if e["mutating"]]


def layout(http: httpx.Client) -> dict[str, list[str]]:
    state = http.get("/v1/replication/sharding-state", params={"collection": "Article"}).json()
    return {s["shard"]: sorted(s["replicas"]) for s in state["shardingState"]["shards"]}


def a_move(http: httpx.Client) -> tuple[str, str, str]:
    shard, nodes = sorted(layout(http).items())[0]
    return shard, nodes[0], next(n for n in NODES if n not in nodes)


def test_sharding_lists_replicas_per_shard(session: Session, http: httpx.Client) -> None:
    [table] = ok(session, r"\sharding article")
    assert isinstance(table, Table) and table.columns == ("shard", "replicas", "nodes")
    assert {r[0]: [r[2]] for r in table.rows} == {s: n for s, n in layout(http).items()}
    shard = table.rows[0][0]
    [one] = ok(session, rf"\sharding Article --shard {shard}")
    assert [r[0] for r in one.rows] == [shard]
    missing = execute(session, r"\sharding Article --shard nope")
    assert "knows no shard nope of Article" in missing.error.message


def test_copy_with_wait_adds_the_replica(session: Session, http: httpx.Client) -> None:
    shard, source, target = a_move(http)
    results = ok(session, rf"\replicate Article {shard} --from {source} --to {target} --wait")
    assert "registered COPY" in messages(results)
    record = next(r for r in results if isinstance(r, Record))
    assert record.fields["state"] == "READY" and record.fields["type"] == "COPY"
    assert [s["state"] for s in record.fields["history"]][:3] == [
        "REGISTERED", "HYDRATING", "FINALIZING"]
    assert layout(http)[shard] == sorted([source, target])
    assert mutating(http) == [("POST", "/v1/replication/replicate")]
    [shards] = ok(session, r"\shards Article")
    assert dict((r[0], r[2]) for r in shards.rows)[shard] == ", ".join(sorted([source, target]))


def test_move_needs_confirmation_and_dry_run_sends_nothing(session: Session,
                                                           http: httpx.Client) -> None:
    shard, source, target = a_move(http)
    line = rf"\replicate Article {shard} --from {source} --to {target} --move"
    refused = execute(session, line)
    assert refused.status == "refused" and "--force" in refused.error.hint
    dry = ok(session, line + " --dry-run")
    assert "dry run: would move the replica" in messages(dry)
    preview = next(r for r in dry if isinstance(r, Table))
    assert preview.rows == ((shard, "MOVE", source, target),)
    assert mutating(http) == []
    results = ok(session, line + " --force --wait")
    assert next(r for r in results if isinstance(r, Record)).fields["state"] == "READY"
    assert layout(http)[shard] == [target]


@pytest.mark.parametrize(("options", "error"), [
    ("--from node9 --to node2", "--from node9: no such node"),
    ("--from {target} --to {source}", "holds no replica of Article/{shard}"),
    ("--from {source} --to {source}", "--from and --to name the same node"),
    ("--from {source} --to {target} --copy --move", "--copy and --move exclude each other"),
    ("--to {target}", "needs --from NODE and --to NODE"),
])
def test_replicate_refuses_before_sending(session: Session, http: httpx.Client, options: str,
                                          error: str) -> None:
    shard, source, target = a_move(http)
    fill = {"shard": shard, "source": source, "target": target}
    outcome = execute(session, rf"\replicate Article {shard} " + options.format(**fill))
    assert error.format(**fill) in outcome.error.message
    assert mutating(http) == []


def test_list_show_cancel_rm(session: Session, http: httpx.Client) -> None:
    http.put("/__sandbox/replication", json={"step_ms": 60_000})
    shard, source, target = a_move(http)
    ok(session, rf"\replicate Article {shard} --from {source} --to {target}")
    [table] = ok(session, r"\replications --collection article --history")
    [row] = table.to_data()
    assert (row["collection"], row["shard"], row["from"], row["to"], row["state"],
            row["history"]) == ("Article", shard, source, target, "REGISTERED", "REGISTERED")
    assert ok(session, r"\replications --node nowhere")[0].rows == ()
    assert len(ok(session, rf"\replications --node {target} --active")[0].rows) == 1
    op_id = row["id"]
    [record] = ok(session, rf"\replicate show {op_id}")
    assert record.fields["cancellable"] is True
    assert execute(session, rf"\replicate cancel {op_id}").status == "refused"
    assert mutating(http) == [("POST", "/v1/replication/replicate")]
    assert "cancellation of" in messages(ok(session, rf"\replicate cancel {op_id} --force"))
    http.put("/__sandbox/replication", json={"step_ms": 1})
    time.sleep(0.01)
    assert ok(session, rf"\replicate show {op_id}")[0].fields["state"] == "CANCELLED"
    assert layout(http)[shard] == [source]
    assert "removed replication" in messages(ok(session, rf"\replicate rm {op_id}"))
    time.sleep(0.01)
    gone = execute(session, rf"\replicate show {op_id}")
    assert gone.error.message == f"no replication operation {op_id}"


def test_cancel_after_the_point_of_no_return(session: Session, http: httpx.Client) -> None:
    shard, source, target = a_move(http)
    ok(session, rf"\replicate Article {shard} --from {source} --to {target} --wait")
    op_id = ok(session, r"\replications")[0].rows[0][0]
    outcome = execute(session, rf"\replicate cancel {op_id} --force")
    assert "can no longer be cancelled" in outcome.error.message


def test_scale_previews_the_plan_then_applies_it(session: Session, http: httpx.Client) -> None:
    dry = ok(session, r"\replicate scale Article --factor 2 --dry-run")
    plan = next(r for r in dry if isinstance(r, Table))
    assert plan.columns == ("shard", "replicas now", "add", "remove", "replicas after")
    assert len(plan.rows) == 2 and all("(from " in r[2] for r in plan.rows)
    assert mutating(http) == []
    assert execute(session, r"\replicate scale Article --factor 2").status == "refused"
    results = ok(session, r"\replicate scale Article --factor 2 --force")
    assert "2 copy operation(s) started" in messages(results)
    assert "replicationConfig.factor to 2" in messages(results)
    assert mutating(http) == [("POST", "/v1/replication/scale")]
    time.sleep(0.1)
    assert all(len(nodes) == 2 for nodes in layout(http).values())
    again = ok(session, r"\replicate scale Article --factor 2")
    assert "already has 2 replica(s); nothing to do" in messages(again)
    assert "--factor N" in execute(session, r"\replicate scale Article").error.message


def test_shards_set_readonly_and_back(session: Session, http: httpx.Client) -> None:
    refused = execute(session, r"\shards Article --set READONLY")
    assert refused.status == "refused"
    dry = ok(session, r"\shards Article --set READONLY --dry-run")
    table = next(r for r in dry if isinstance(r, Table))
    assert table.columns == ("shard", "node", "now", "after")
    assert {r[2] for r in table.rows} == {"READY"} and {r[3] for r in table.rows} == {"READONLY"}
    assert "writes to 2 shard(s) of Article will fail" in messages(dry)
    assert mutating(http) == []
    ok(session, r"\shards Article --set READONLY --force")
    assert {s["status"] for s in http.get("/v1/schema/Article/shards").json()} == {"READONLY"}
    write = http.post("/v1/batch/objects", json={"objects": [{"class": "Article"}] * 5})
    assert "read-only" in json.dumps(write.json())
    back = ok(session, r"\shards Article --set READY")  # giving writes back needs no question
    assert "set 2 shard(s) of Article to READY" in messages(back)
    assert {s["status"] for s in http.get("/v1/schema/Article/shards").json()} == {"READY"}


def test_shards_set_ready_names_disk_pressure(session: Session, http: httpx.Client) -> None:
    http.put("/__sandbox/nodes/node2", json={"disk_used_percent": 95}).raise_for_status()
    pressed = [s for s, nodes in layout(http).items() if "node2" in nodes]
    dry = ok(session, r"\shards Article --set READY --dry-run")
    text = messages(dry)
    assert "likely disk pressure on node2" in text or "disk pressure on node2" in text
    rows = next(r for r in dry if isinstance(r, Table)).rows
    assert {r[0] for r in rows if r[2] == "READONLY"} == set(pressed)


def test_shards_set_one_tenant(session: Session, http: httpx.Client) -> None:
    ok(session, r"\shards Ticket --set READONLY --tenant acme --force")
    statuses = {s["name"]: s["status"] for s in http.get("/v1/schema/Ticket/shards").json()}
    assert statuses == {"acme": "READONLY", "globex": "READY"}
    wrong = execute(session, r"\shards Ticket --set READY --tenant nope")
    assert wrong.error.message == "Ticket has no shard nope"
    assert mutating(http) == [("PUT", "/v1/schema/Ticket/shards/acme")]


# --- as processes ---------------------------------------------------------------------------

def elysiactl(sb: Sandbox, tmp_path: Path, *lines: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")},
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "st"),
           "PYTHONPATH": str(ROOT)}
    args = [a for line in lines for a in ("-c", line)]
    return subprocess.run([sys.executable, "-m", "shell", "--url", sb.url, *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)


def test_process_copy_and_list(sb: Sandbox, http: httpx.Client, tmp_path: Path) -> None:
    shard, source, target = a_move(http)
    done = elysiactl(sb, tmp_path,
                     rf"\replicate Article {shard} --from {source} --to {target} --wait",
                     r"\replications --format json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout[done.stdout.index("["):])
    assert [(o["shard"], o["state"]) for o in listed] == [(shard, "READY")]
    refused = elysiactl(sb, tmp_path, rf"\replicate Article {shard} --from {target} "
                                      f"--to {next(n for n in NODES if n not in (source, target))}"
                                      " --move")
    assert refused.returncode == 4 and "--force" in refused.stderr
    assert mutating(http) == [("POST", "/v1/replication/replicate")]
    entries = [json.loads(line) for line in
               (tmp_path / "st" / "elysiactl" / "audit.jsonl").read_text().splitlines()]
    assert [(e["command"], e["status"], e["confirmation"]) for e in entries] == [
        ("replicate", "ok", "not-needed"), ("replications", "ok", "not-needed"),
        ("replicate", "refused", "refused")]


def test_process_switched_off_and_too_old(sb: Sandbox, http: httpx.Client,
                                          tmp_path: Path) -> None:
    http.put("/__sandbox/replication", json={"enabled": False})
    off = elysiactl(sb, tmp_path, r"\replications")
    assert off.returncode == 1
    assert "REPLICA_MOVEMENT_ENABLED off" in off.stderr and "501" in off.stderr
    assert "Traceback" not in off.stderr
    for node in NODES:
        http.put(f"/__sandbox/nodes/{node}", json={"version": "1.34.0"})
    http.delete("/__sandbox/requests")
    old = elysiactl(sb, tmp_path, r"\replicate scale Article --factor 2 --force")
    assert "replication scaling needs Weaviate >= 1.35" in old.stderr
    for node in NODES:
        http.put(f"/__sandbox/nodes/{node}", json={"version": "1.31.0"})
    older = elysiactl(sb, tmp_path, r"\sharding Article")
    assert "needs Weaviate >= 1.32" in older.stderr
    assert [e["path"] for e in http.get("/__sandbox/requests").json()
            if "replication" in e["path"]] == []


def test_one_shot_form_and_a_target_that_is_down(sb: Sandbox, http: httpx.Client,
                                                tmp_path: Path) -> None:
    shard, source, target = a_move(http)
    http.put(f"/__sandbox/nodes/{target}", json={"status": "UNAVAILABLE"})
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")},
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "st"),
           "PYTHONPATH": str(ROOT), "WEAVIATE_URL": sb.url}
    done = subprocess.run([sys.executable, "-m", "shell", "col", "replicate", "Article", shard,
                           "--from", source, "--to", target, "--dry-run"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"{target} is UNAVAILABLE: the operation waits until it answers" in done.stderr
    assert "requests it would send" in done.stdout + done.stderr
    assert mutating(http) == []


def test_wait_gives_up_and_rm_of_a_running_op_asks(session: Session, http: httpx.Client) -> None:
    shard, source, target = a_move(http)
    http.put(f"/__sandbox/nodes/{target}", json={"status": "UNAVAILABLE"})
    line = rf"\replicate Article {shard} --from {source} --to {target} --wait 0.3"
    outcome = execute(session, line)
    assert outcome.status == "error"
    assert "is still REGISTERED after 0.3 s" in outcome.error.message
    assert "down" in outcome.error.hint
    op_id = ok(session, r"\replications --active")[0].rows[0][0]
    assert execute(session, rf"\replicate rm {op_id}").status == "refused"
    assert "removed replication" in messages(ok(session, rf"\replicate delete {op_id} --force"))
    time.sleep(0.02)
    assert ok(session, r"\replications")[0].rows == ()
    assert mutating(http) == [("POST", "/v1/replication/replicate"),
                              ("DELETE", f"/v1/replication/replicate/{op_id}")]


def test_scale_below_the_class_factor_is_refused_first(session: Session,
                                                       http: httpx.Client) -> None:
    http.post("/v1/schema", json={"class": "Twice", "replicationConfig": {"factor": 2},
                                  "shardingConfig": {"desiredCount": 1}}).raise_for_status()
    http.delete("/__sandbox/requests")
    outcome = execute(session, r"\replicate scale Twice --factor 1 --force")
    assert "replicationConfig.factor is 2" in outcome.error.message
    assert "lower the factor first" in outcome.error.hint
    assert [e["path"] for e in http.get("/__sandbox/requests").json()
            if "replication" in e["path"]] == []


def test_shards_set_leaves_inactive_tenants_alone(session: Session, http: httpx.Client) -> None:
    http.put("/v1/schema/Ticket/tenants", json=[{"name": "globex",
                                                 "activityStatus": "INACTIVE"}])
    http.delete("/__sandbox/requests")
    results = ok(session, r"\shards Ticket --set READONLY --force")
    assert "1 inactive tenant(s) left alone (not loaded): globex" in messages(results)
    assert mutating(http) == [("PUT", "/v1/schema/Ticket/shards/acme")]
