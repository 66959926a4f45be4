"""Before a migration writes anything: preflight checks of both clusters (OPERATIONS.md
§3.1.1), the class the target gets (§3.1.2), whether an existing target class can take the
objects, and which tenants can be read (§3.1.3). Everything here only reads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from commands.api.client import RestClient
from commands.errors import ApiError, ShellError, UsageError
from commands.ops import class_paths
from commands.ops.collections import compression, creatable, is_multi_tenant
from commands.ops.references import referenced_classes, rename_data_types
from commands.ops.tenants import documented_status
from commands.ops.versions import at_least

# Read-only or synthesized fields Weaviate fills in itself (OPERATIONS.md §3.1.2).
SERVER_FILLED = ("shardingConfig.actualCount", "shardingConfig.actualVirtualCount",
                 "shardingConfig.desiredVirtualCount", "replicationConfig.asyncEnabled")
INTERNAL_PROPERTY_FIELDS = ("bucketGeneration", "searchableBlockmax")
# Feature floors of the target (OPERATIONS.md §3.3): an older server drops what it does not
# know without an error.
FLOORS = (("named vectors", (1, 24)), ("multi-vectors", (1, 30)), ("RQ compression", (1, 32)))
NOT_CARRIED = ("creation and update timestamps are reset to the import time on the target "
               "(OPERATIONS.md §3.2)",
               "the physical layout is not carried: shard names and placement, HNSW graphs "
               "(rebuilt on import), PQ/SQ codebooks (retrained), tombstones",
               "offloaded (FROZEN) tenants cannot be read: they are skipped")


@dataclass
class Preflight:
    """What both clusters said before the migration (versions, nodes) and its warnings."""

    source_version: str | None
    target_version: str | None
    target_nodes: int
    warnings: list[str] = field(default_factory=list)


def used_modules(cls: dict[str, Any]) -> set[str]:
    """The modules a class definition names (vectorizers, moduleConfig entries)."""
    names = set((cls.get("moduleConfig") or {}).keys())
    if isinstance(cls.get("vectorizer"), str):
        names.add(cls["vectorizer"])
    for config in (cls.get("vectorConfig") or {}).values():
        names |= set(((config or {}).get("vectorizer") or {}).keys())
    return names - {"none"}


def _features(cls: dict[str, Any]) -> set[str]:
    configs = [cls.get("vectorIndexConfig") or {}] + [
        (c or {}).get("vectorIndexConfig") or {} for c in (cls.get("vectorConfig") or {}).values()]
    found = {"named vectors"} if cls.get("vectorConfig") else set()
    for config in configs:
        if class_paths.get_path(config, "multivector.enabled"):
            found.add("multi-vectors")
        if compression(config) == "rq":
            found.add("RQ compression")
    return found


def preflight(source: RestClient, target: RestClient, cls: dict[str, Any]) -> Preflight:
    """``/v1/meta`` of both sides, the target's node count and modules, and whether both
    clusters' schemas are synchronized (OPERATIONS.md §3.1.1)."""
    source_meta = source.get_json("/v1/meta") or {}
    target_meta = target.get_json("/v1/meta") or {}
    nodes = len((target.get_json("/v1/nodes") or {}).get("nodes") or []) or 1
    check = Preflight(source_meta.get("version"), target_meta.get("version"), nodes)
    missing = sorted(used_modules(cls) - set((target_meta.get("modules") or {}).keys()))
    if missing:
        raise ShellError(f"the target has no module {', '.join(missing)}, which "
                         f"{cls['class']} uses (POST /v1/schema would fail: no module with name)",
                         "enable the module on the target cluster, or change the class with "
                         "--set (e.g. --set vectorizer=none)")
    for feature, floor in FLOORS:
        if feature in _features(cls) and not at_least(check.target_version, floor):
            check.warnings.append(f"the target runs {check.target_version}, older than "
                                  f"{floor[0]}.{floor[1]}: it may drop the {feature} of the "
                                  "class without an error (the definition diff shows it)")
    for side, api in (("source", source), ("target", target)):
        try:
            stats = api.get_json("/v1/cluster/statistics") or {}
        except ApiError:
            continue  # older servers have no statistics endpoint
        if stats.get("synchronized") is False:
            check.warnings.append(f"the {side} cluster's schema is not synchronized between "
                                  "its nodes (GET /v1/cluster/statistics)")
    return check


def _has_class(api: RestClient, name: str) -> bool:
    """Whether ``name`` is a class (an alias does not count, as for a reference target)."""
    response = api.request("GET", f"/v1/schema/{name}", ok=(404,))
    return response.status_code != 404 and response.json().get("class") == name


def check_referenced_classes(target: RestClient, cls: dict[str, Any]) -> None:
    """Refuse a class whose references point at classes the target lacks: creating it would
    fail (reference property to nonexistent class, OPERATIONS.md §3.1.5)."""
    missing = [name for name in referenced_classes(cls) if not _has_class(target, name)]
    if missing:
        names = ", ".join(missing)
        first = " and ".join(f"\\migrate {name} --target {target.url}" for name in missing)
        raise ShellError(f"{cls['class']} refers to {names}, which {target.url} does not "
                         f"have", f"migrate {names} first ({first})")


def _strip_internal(props: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for prop in props:
        prop = {k: v for k, v in prop.items() if k not in INTERNAL_PROPERTY_FIELDS}
        if prop.get("nestedProperties"):
            prop["nestedProperties"] = _strip_internal(prop["nestedProperties"])
        out.append(prop)
    return out


def _index_configs(cls: dict[str, Any]) -> list[dict[str, Any]]:
    configs = [cls["vectorIndexConfig"]] if isinstance(cls.get("vectorIndexConfig"), dict) \
        else []
    return configs + [c["vectorIndexConfig"] for c in (cls.get("vectorConfig") or {}).values()
                      if isinstance((c or {}).get("vectorIndexConfig"), dict)]


def target_definition(cls: dict[str, Any], name: str,
                      assignments: list[tuple[str, Any]]) -> dict[str, Any]:
    """The class ``POST /v1/schema`` gets on the target: the source's, renamed, without the
    fields the server fills in (OPERATIONS.md §3.1.2), then ``--set`` applied."""
    out = copy.deepcopy(cls)
    out["class"] = name
    # Self-references follow the class under its new name (OPERATIONS.md §3.1.5).
    out["properties"] = rename_data_types(out.get("properties") or [], cls["class"], name)
    for path in SERVER_FILLED:
        parent, _, leaf = path.rpartition(".")
        node = class_paths.get_path(out, parent)
        if isinstance(node, dict):
            node.pop(leaf, None)
    out["properties"] = _strip_internal(out.get("properties") or [])
    for config in _index_configs(out):
        # An uncompressed source stays uncompressed on a target with DEFAULT_QUANTIZATION.
        if "skipDefaultQuantization" in config and compression(config) is None:
            config["skipDefaultQuantization"] = True
        config.pop("trackDefaultQuantization", None)
    for path, value in assignments:
        if path in ("class", "multiTenancyConfig.enabled"):
            raise UsageError(f"--set {path}: a migration cannot change that",
                             "use --as NAME for the name")
        out = class_paths.set_path(out, path, value)
    return creatable(out)


def check_replication(definition: dict[str, Any], check: Preflight) -> None:
    """Refuse a replication factor the target cannot hold (creation would fail)."""
    factor = class_paths.get_path(definition, "replicationConfig.factor", 1) or 1
    if factor > check.target_nodes:
        raise ShellError(f"replication factor {factor} needs {factor} nodes; the target has "
                         f"{check.target_nodes}",
                         f"add --set replicationConfig.factor={check.target_nodes}")


def _vector_spaces(cls: dict[str, Any]) -> tuple[bool, set[str]]:
    legacy = bool(cls.get("vectorIndexType") or cls.get("vectorizer"))
    return legacy, set((cls.get("vectorConfig") or {}).keys())


def incompatibilities(source: dict[str, Any], target: dict[str, Any]) -> list[str]:
    """Why objects of ``source`` cannot go into the existing class ``target`` (none: they can)."""
    problems = []
    if is_multi_tenant(source) != is_multi_tenant(target):
        words = ("is not multi-tenant", "is multi-tenant")
        problems.append(f"the source {words[is_multi_tenant(source)]}, the target "
                        f"{words[is_multi_tenant(target)]}")
    (s_legacy, s_named), (t_legacy, t_named) = _vector_spaces(source), _vector_spaces(target)
    if s_named - t_named:
        problems.append(f"the target has no named vector {', '.join(sorted(s_named - t_named))}")
    if s_legacy and not t_legacy and not s_named:
        problems.append("the target has no class-level vector index")
    theirs = {str(p.get("name")).lower(): p.get("dataType") for p in target.get("properties") or []}
    for prop in source.get("properties") or []:
        name = str(prop.get("name"))
        if name.lower() not in theirs:
            problems.append(f"the target has no property {name}")
        elif theirs[name.lower()] != prop.get("dataType"):
            problems.append(f"property {name} is {theirs[name.lower()]} on the target, "
                            f"{prop.get('dataType')} on the source")
    return problems


@dataclass(frozen=True)
class TenantPlan:
    """The tenants of a migration as they were when it began: copied as they are, activated
    on the source for the copy (then made INACTIVE again), or skipped."""

    copied: list[tuple[str, str]]
    skipped: list[tuple[str, str]]

    @property
    def to_activate(self) -> list[str]:
        return [name for name, status in self.copied if status == "INACTIVE"]


def plan_tenants(raw: list[dict[str, Any]], only: str | None) -> TenantPlan:
    """ACTIVE and INACTIVE tenants are copied (INACTIVE ones activated on the source for the
    copy, OPERATIONS.md §3.1.3); OFFLOADED and transitional ones cannot be read (§3.2)."""
    found = sorted((str(t.get("name")), documented_status(t.get("activityStatus")))
                   for t in raw)
    if only is not None:
        found = [t for t in found if t[0] == only]
    copied = [t for t in found if t[1] in ("ACTIVE", "INACTIVE")]
    return TenantPlan(copied, [t for t in found if t not in copied])
