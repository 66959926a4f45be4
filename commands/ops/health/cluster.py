"""Cluster checks: readiness, modules, node status, membership, RAFT, versions, modes.

Each ``check_*`` reads the ``Evidence`` and returns one summary ``Check`` (with per-node
items where a node is the unit); the rule ids are OPERATIONS.md §1.10's.
"""

from __future__ import annotations

from typing import Any

from commands.ops.health.model import Check, Evidence, Status, counted, listed, unreadable, worst

NODE_HINTS = {
    # OPERATIONS.md §1.2: what each status means and where to look.
    "UNHEALTHY": "its gossip (memberlist) health score is above 0: check the node's network "
                 "to its peers and its log",
    "UNAVAILABLE": "the node could not be reached or answered with an error (down or "
                   "shutting down): check its process or pod, then GET /v1/.well-known/live "
                   "on it",
    "TIMEOUT": "the node did not answer within MINIMUM_INTERNAL_TIMEOUT (30 s by default): "
               "overloaded or cut off; check its CPU, memory and network",
}
MODE_EFFECTS = {
    # RB§3.4: requests the mode blocks get 503.
    "ReadOnly": "writes are refused with 503",
    "WriteOnly": "reads are refused with 503",
    "ScaleOut": "requests are refused with 503 while it scales out",
}


SLOW_FAN_OUT_S = 5.0
"""A fan-out slower than this warns [JUDGEMENT]: peers answer in milliseconds, and the node
waits for its slowest one up to the 30 s deadline (OPERATIONS.md §1.2, §4)."""


def checks(evidence: Evidence) -> list[Check]:
    """The cluster-level checks, in the order a runbook reads them."""
    found = [check_ready(evidence), check_modules(evidence), check_nodes(evidence),
             check_response_time(evidence), check_membership(evidence), check_raft(evidence),
             check_versions(evidence), check_modes(evidence)]
    return [c for c in found if c is not None]


def check_ready(evidence: Evidence) -> Check:
    """The node we talk to can serve (H1; /ready, OPERATIONS.md §1.1)."""
    if evidence.ready == 200:
        return Check("ready", Status.OK, "GET /v1/.well-known/ready answered 200")
    return Check("ready", Status.CRIT,
                 f"GET /v1/.well-known/ready answered {evidence.ready}: this node cannot serve",
                 "one of: maintenance mode, the cluster service not ready, its gossip health "
                 "score above 0, or a module failing (see modules)")


def _users(evidence: Evidence, module: str) -> list[str]:
    """The collections whose vectorizer or module config names ``module``."""
    out = []
    for cls in evidence.classes:
        vectorizers = [cls.get("vectorizer")] + [
            v.get("vectorizer") for v in (cls.get("vectorConfig") or {}).values()]
        named = {n for v in vectorizers for n in (v if isinstance(v, dict) else [v]) if n}
        if module in named or module in (cls.get("moduleConfig") or {}):
            out.append(cls["class"])
    return sorted(out)


def check_modules(evidence: Evidence) -> Check:
    """Every module answers its meta call (§1.1). Before v1.25.29/1.26.14/1.27.7 one failing
    module fails /v1/meta (500) and /ready (503); since then /v1/meta reports it as
    ``{"error": ...}`` and stays 200, so the module's own entry is read too."""
    hint = ("a module's meta call failed; for a local inference module "
            "(text2vec-transformers, ...) check its container and the URL Weaviate is "
            "configured with")
    failed = unreadable("modules", evidence, "meta", hint)
    if failed is not None:
        return failed
    modules = (evidence.meta or {}).get("modules") or {}
    broken = sorted(name for name, meta in modules.items()
                    if isinstance(meta, dict) and meta.get("error"))
    if not broken:
        return Check("modules", Status.OK,
                     f"GET /v1/meta answered: {counted(len(modules), 'module')}"
                     + (f" ({listed(sorted(modules))})" if modules else ""))
    items, facts = [], []
    for name in broken:
        users = _users(evidence, name)
        # Failing only matters to the collections that use it: their writes and queries fail.
        used = f"used by {listed(users)}" if users else "no collection checked uses it"
        facts.append(f"{name} failing ({used})")
        items.append(Check(f"module {name}", Status.CRIT if users else Status.WARN,
                           f"{modules[name]['error']} ({used})", hint))
    return Check("modules", worst([i.status for i in items]), "; ".join(facts), hint,
                 tuple(items))


def _node_item(node: dict[str, Any]) -> Check:
    name, status = node.get("name", "?"), node.get("status", "UNKNOWN")
    if status != "HEALTHY":
        return Check(f"node {name}", Status.CRIT, status,
                     NODE_HINTS.get(status, "check the node's log"))
    stats = node.get("stats") or {}
    parts = [status, f"v{node.get('version')}", node.get("operationalMode") or "?"]
    if stats:
        shards = stats.get("shardCount", 0)
        parts.append(f"{counted(shards, 'shard replica')}, "
                     f"{stats.get('objectCount', 0):,} objects")
    return Check(f"node {name}", Status.OK, ", ".join(parts))


def check_nodes(evidence: Evidence) -> Check:
    """Every node reports HEALTHY (H1; node status, OPERATIONS.md §1.2)."""
    failed = unreadable("nodes", evidence, "nodes")
    if failed is not None:
        return failed
    items = tuple(_node_item(n) for n in sorted(evidence.nodes or [],
                                                key=lambda n: n.get("name", "")))
    bad = [i for i in items if i.status is not Status.OK]
    if not bad:
        return Check("nodes", Status.OK, f"{counted(len(items), 'node')} HEALTHY",
                     items=items)
    by_status: dict[str, list[str]] = {}
    for item in bad:
        by_status.setdefault(item.evidence, []).append(item.check.removeprefix("node "))
    evidence_text = "; ".join(f"{listed(names)} {status}" for status, names in by_status.items())
    hint = "; ".join(f"{status}: {NODE_HINTS.get(status, 'check the node log')}"
                     for status in by_status)
    return Check("nodes", Status.CRIT, f"{evidence_text} (of {len(items)} nodes)", hint,
                 items)


def _took(seconds: float | None) -> str:
    if seconds is None:
        return "no answer"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def check_response_time(evidence: Evidence) -> Check | None:
    """The requests every peer must answer came back quickly (OPERATIONS.md §1.2, §4):
    the node we ask waits for its slowest peer, and a peer past the 30 s deadline is
    TIMEOUT; one that answers in 20 s is HEALTHY but slows every cluster-wide read."""
    if not evidence.timings:
        return None
    took = "; ".join(f"GET {path} {_took(seconds)}" for path, seconds in evidence.timings.items())
    slow = [s for s in evidence.timings.values() if s is None or s > SLOW_FAN_OUT_S]
    if not slow:
        return Check("response time", Status.OK, took)
    return Check("response time", Status.WARN, f"{took} (over {SLOW_FAN_OUT_S:g} s)",
                 "these requests wait for the slowest node, up to MINIMUM_INTERNAL_TIMEOUT "
                 "(30 s): a node is overloaded or its network is slow; check each node's "
                 "CPU, memory, network and log")


def expected_nodes(evidence: Evidence) -> dict[str, str]:
    """Nodes the cluster should have, with where each is named: the RAFT configuration
    and the shard ownership (OPERATIONS.md §1.2: a dead node drops out of /v1/nodes)."""
    found: dict[str, str] = {}
    for entry in (evidence.statistics or {}).get("statistics") or []:
        for server in (entry.get("raft") or {}).get("latestConfiguration") or []:
            if server.get("id"):
                found.setdefault(server["id"], "the RAFT configuration")
    for shard in evidence.shards or []:
        for node in shard.get("per_node_status") or {}:
            found.setdefault(node, f"the owners of shard {shard.get('name')}")
    return found


def check_membership(evidence: Evidence) -> Check:
    """Nodes named by RAFT or shard ownership are all in /v1/nodes (H2)."""
    if evidence.nodes is None:
        return Check("membership", Status.INFO, "not checked: /v1/nodes could not be read")
    present = {n.get("name") for n in evidence.nodes}
    expected = expected_nodes(evidence)
    if not expected:
        return Check("membership", Status.INFO,
                     "not checked: no RAFT configuration or shard owners to compare with")
    missing = sorted(set(expected) - present)
    if not missing:
        return Check("membership", Status.OK,
                     f"every node named by the RAFT configuration"
                     f"{' or shard ownership' if evidence.shards else ''} ({len(expected)}) "
                     "is in /v1/nodes")
    items = tuple(Check(f"member {name}", Status.CRIT,
                        f"named in {expected[name]} but absent from /v1/nodes",
                        "memberlist declared it dead or it left the cluster: restart it; if "
                        "it is gone for good, move its replicas and remove it from RAFT")
                  for name in missing)
    return Check("membership", Status.CRIT,
                 f"{listed(missing)} missing from /v1/nodes (expected {len(expected)} nodes, "
                 f"{len(present)} answer)", items[0].hint, items)


def _raft(entry: dict[str, Any], key: str) -> str | None:
    return (entry.get("raft") or {}).get(key)


def check_raft(evidence: Evidence) -> Check:
    """RAFT converged: synchronized, one leader all agree on, nothing pending (H3, §1.8)."""
    failed = unreadable("raft", evidence, "statistics")
    if failed is not None:
        return failed
    stats = evidence.statistics or {}
    entries = stats.get("statistics") or []
    problems: list[str] = []
    if not stats.get("synchronized"):
        # synchronized = every node HEALTHY and one appliedIndex (handlers_nodes.go).
        unhealthy = [f"{e.get('name')} {e.get('status')}" for e in entries
                     if e.get("status") != "HEALTHY"]
        applied = {e.get("name"): _raft(e, "appliedIndex") for e in entries if e.get("raft")}
        reason = ", ".join(unhealthy) if unhealthy else "appliedIndex " + ", ".join(
            f"{name} {index}" for name, index in applied.items())
        problems.append(f"not synchronized ({reason})")
    leaders = sorted(e.get("name", "?") for e in entries if _raft(e, "state") == "Leader")
    agreed = sorted({e["leaderId"] for e in entries if e.get("leaderId")})
    if len(agreed) > 1:
        problems.append(f"nodes disagree on the leader ({', '.join(agreed)})")
    if len(leaders) > 1:
        problems.append(f"{len(leaders)} leaders ({', '.join(leaders)})")
    elif not leaders:
        problems.append(f"the leader {agreed[0]} did not report" if len(agreed) == 1 else
                        "no leader")
    if problems:
        return Check("raft", Status.CRIT, "; ".join(problems),
                     "RAFT has not converged: schema changes may fail or be lost; check "
                     "that every node is up and can reach the others on the RAFT port (8300), "
                     "and their logs")
    pending = [f"{e.get('name')} {_raft(e, 'fsmPending')}" for e in entries
               if (_raft(e, "fsmPending") or "0") != "0"]
    leader = agreed[0] if agreed else leaders[0]
    fact = f"synchronized, leader {leader}, {counted(len(entries), 'member')}"
    if pending:
        # One sample cannot tell a backlog that is draining from a stuck one (§1.8).
        return Check("raft", Status.INFO, f"{fact}; fsmPending {', '.join(pending)}",
                     "a problem only if it stays above 0: run \\health again")
    return Check("raft", Status.OK, fact)


def check_versions(evidence: Evidence) -> Check:
    """All nodes run the same version (H4)."""
    by_version: dict[str, list[str]] = {}
    for node in evidence.nodes or []:
        if node.get("version"):
            by_version.setdefault(node["version"], []).append(node.get("name", "?"))
    if len(by_version) <= 1:
        version = next(iter(by_version), None)
        return Check("versions", Status.OK, f"every node runs {version}" if version else
                     "no node reported its version")
    spread = "; ".join(f"{version} on {listed(sorted(names))}"
                       for version, names in sorted(by_version.items()))
    return Check("versions", Status.WARN, spread,
                 "a rolling upgrade is in progress or half-finished: upgrade every node, "
                 "one minor version at a time, to the latest patch")


def check_modes(evidence: Evidence) -> Check:
    """Every node accepts reads and writes (H5; operationalMode, RB§3.4)."""
    odd = sorted((n.get("name", "?"), n["operationalMode"]) for n in evidence.nodes or []
                 if n.get("operationalMode") not in (None, "ReadWrite"))
    if not odd:
        return Check("operational mode", Status.OK, "ReadWrite on every node")
    items = tuple(Check(f"mode {name}", Status.WARN, f"{mode}: "
                        f"{MODE_EFFECTS.get(mode, 'some requests are refused with 503')}",
                        "set OPERATIONAL_MODE=ReadWrite on it (and restart) once the "
                        "maintenance is over") for name, mode in odd)
    return Check("operational mode", worst([i.status for i in items]),
                 "; ".join(f"{name} {mode}" for name, mode in odd), items[0].hint, items)
