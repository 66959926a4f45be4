"""``/v1/batch/objects``: import with per-object results, delete by filter (§8.1-8.2).

Import always answers 200 with one result per input object, in input order;
ids upsert. Delete removes at most ``QUERY_MAXIMUM_RESULTS`` objects per call and
reports the total number of matches, so a client must repeat until nothing matches.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from itertools import islice
from typing import TYPE_CHECKING, Any

from sandbox.classes import upper_first
from sandbox.http import (
    ApiError,
    GoStruct,
    Request,
    Response,
    error,
    fail,
    framework_error,
    go_decode,
    json_response,
    uuid_param,
)
from sandbox.objects import MAX_RESULTS, require_tenant
from sandbox.store import ShardRefusal, now_ms
from sandbox.where import (
    WHERE_FILTER,
    FilterError,
    UnknownOperator,
    check_operators,
    compile_where,
)
from sandbox.writes import Write, check_consistency, prepare

if TYPE_CHECKING:
    from sandbox.state import State

GO_ZERO_TIME_MS = -62135596800000
BATCH_DELETE = GoStruct("BatchDelete", {
    "match": GoStruct("BatchDeleteMatch", {"class": "string", "where": WHERE_FILTER}),
    "output": "string", "dryRun": "bool", "deletionTimeUnixMilli": "int64"})
OUTPUTS = ("minimal", "verbose")


def _check_ids(objects: list[Any]) -> None:
    for i, obj in enumerate(objects):
        if isinstance(obj, dict):
            # [inferred] Go's field path for a non-string id inside the objects array
            uuid_param(obj.get("id"), f"objects.{i}.id in body", "Object.objects.id")


def import_objects(app: State, request: Request) -> Response:
    """``POST /v1/batch/objects``."""
    db = app.db
    body = request.json()
    check_consistency(request.query)
    objects = body.get("objects") if isinstance(body, dict) else None
    if not objects:
        raise fail(422, "invalid param 'objects': cannot be empty, need at least one object "
                        "for batching")
    _check_ids(objects)
    results: list[dict[str, Any]] = []
    valid: list[tuple[int, Any, Write]] = []  # (place in results, body, validated object)
    stored: Counter[tuple[str, str]] = Counter()  # (class, shard) -> objects
    started = time.perf_counter()
    now = now_ms()  # one batch, one time
    with db.lock:
        # Weaviate validates the whole batch before it stores any of it, so a reference to
        # an object of the same batch is refused (batch_add.go validateAndGetVector).
        for raw in objects:
            if isinstance(raw, dict) and raw.get("class"):
                # Weaviate gives every object with a class an id and the batch time before it
                # validates anything, so failed items carry them too.
                raw = {"properties": {}, **raw, "id": raw.get("id") or str(uuid.uuid4()),
                       "creationTimeUnix": now, "lastUpdateTimeUnix": now}
                if not db.auto_schema and db.get(raw["class"]) is None:
                    results.append(_failed(raw, f"class '{upper_first(raw['class'])}' not "
                                                "present in schema"))
                    continue
            try:
                valid.append((len(results), raw, prepare(db, raw, now=now)))
            except ValueError as exc:
                results.append(_failed(raw, str(exc)))
                continue
            results.append({})  # filled in when stored
        for place, raw, write in valid:
            try:
                stored[write.col.name, write.col.put(write.tenant, write.obj)] += 1
            except ShardRefusal as exc:
                results[place] = _failed(raw, str(exc))
                continue
            item = write.obj.to_json(write.col.name, write.tenant, include_vector=True)
            item["deprecations"] = None
            item["result"] = {"status": "SUCCESS"}
            results[place] = item
        _count_batch(app, stored, (time.perf_counter() - started) * 1000)
    return json_response(results)


def _count_batch(app: State, stored: Counter[tuple[str, str]], ms: float) -> None:
    """Feed each node's batch rate and metrics with the objects its shard replicas stored."""
    per_node: Counter[str] = Counter()
    for (class_name, shard), n in stored.items():
        col = app.db.collections.get(class_name)
        nodes = col.placement.get(shard, []) if col else []
        for node in nodes:
            per_node[node] += n
        if app.metrics is not None:
            app.metrics.batch(class_name, shard, nodes, n, ms)
    for node, n in per_node.items():
        app.cluster.rates[node].add(n)


def _failed(raw: Any, message: str) -> dict[str, Any]:
    item = dict(raw) if isinstance(raw, dict) else {}
    if item.get("class"):
        item["class"] = upper_first(item["class"])
    item["deprecations"] = None
    item["result"] = {"errors": {"error": [{"message": message}]}, "status": "FAILED"}
    return item


def delete_objects(app: State, request: Request) -> Response:
    """``DELETE /v1/batch/objects``: ``match.class`` and ``match.where`` are both required."""
    db = app.db
    body = request.json()
    go_decode(body, BATCH_DELETE)
    try:
        check_operators((body.get("match") or {}).get("where"))
    except UnknownOperator as exc:
        raise ApiError(framework_error(422, 606, f"match.where.{exc}")) from None
    check_consistency(request.query)
    match = body.get("match")
    if not match:
        raise fail(422, "validate: empty match clause")
    if not match.get("class"):
        raise fail(422, "validate: empty match.class clause")
    if not match.get("where"):
        raise fail(422, "validate: empty match.where clause")
    output = body.get("output") or "minimal"
    dry_run = bool(body.get("dryRun"))
    tenant = request.query.get("tenant") or None
    with db.lock:
        col = db.get(match["class"])
        if col is None:
            raise fail(422, f"validate: failed to get class: {upper_first(match['class'])}")
        try:
            where = compile_where(match["where"], col)
        except FilterError as exc:
            kind = "failed to parse where filter: invalid where filter" if exc.parse else \
                "invalid where filter"
            raise fail(422, f"validate: {kind}: {exc}") from None
        if output not in OUTPUTS:
            return error(500, f'validate: invalid output: "{output}", possible values are: '
                              '"minimal", "verbose"')
        require_tenant(col, tenant)
        if where.search_error:
            # [inferred] the shard named is the first one the read plan visits
            shard = tenant if col.multi_tenant else sorted(col.shards)[0]
            raise fail(500, "batch delete objects: cannot find objects: find matching doc ids "
                            f'in shard "{shard}": docIds: {where.search_error}')
        part = col.partition(tenant)
        matches = [oid for oid, obj in part.items() if where.predicate(obj)]
        outcomes = []
        for oid in islice(matches, MAX_RESULTS):
            if dry_run:
                outcomes.append({"id": oid, "status": "DRYRUN"})
                continue
            try:
                col.remove(tenant, oid)
            except ShardRefusal as exc:
                outcomes.append({"id": oid, "status": "FAILED",
                                 "errors": {"error": [{"message": str(exc)}]}})
            else:
                outcomes.append({"id": oid, "status": "SUCCESS"})
    failed = sum(1 for o in outcomes if o["status"] == "FAILED")
    listed = outcomes if output == "verbose" else [o for o in outcomes if o["status"] == "FAILED"]
    return json_response({
        "match": {**match, "class": col.name},
        "output": output,
        "dryRun": dry_run,
        "deletionTimeUnixMilli": body.get("deletionTimeUnixMilli") or GO_ZERO_TIME_MS,
        "results": {"matches": len(matches), "limit": MAX_RESULTS,
                    "successful": 0 if dry_run else len(outcomes) - failed, "failed": failed,
                    "objects": listed or None},
    })


ROUTES = [
    ("POST", "/v1/batch/objects", import_objects),
    ("DELETE", "/v1/batch/objects", delete_objects),
]
