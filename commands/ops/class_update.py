"""Changing a collection in place: what ``\\alter`` and ``\\optimize --apply`` send, and how
they read the result back.

Weaviate changes a class in place only through ``PUT /v1/schema/{c}`` (the full class, with
mutable fields changed; the body's ``class`` is the stored name exactly: RB§4.4), ``POST
/v1/schema/{c}/properties`` (one new property each) and ``PUT /v1/schema/{c}/shards/{s}``
(READONLY shards back to READY). Shards go first (OPERATIONS.md §1.3: a READONLY shard
refuses vector-index updates), then new properties, then the class.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient
from commands.ops import class_paths, cluster


@dataclass(frozen=True)
class InPlace:
    """An in-place change: the class before and after, properties to add, shards to make
    READY."""

    old: dict[str, Any]
    new: dict[str, Any]
    shards: tuple[str, ...] = ()
    properties: tuple[dict[str, Any], ...] = ()

    @property
    def diff(self) -> list[tuple[str, Any, Any]]:
        """``(path, old, new)`` of the class PUT (new properties are sent apart)."""
        return class_paths.diff(self.old, self.new)

    @property
    def empty(self) -> bool:
        return not (self.diff or self.shards or self.properties)

    def requests(self, name: str) -> tuple[str, ...]:
        """The REST calls in the order they are sent."""
        calls = [f"PUT /v1/schema/{name}/shards/{s}" for s in self.shards]
        calls += [f"POST /v1/schema/{name}/properties {p['name']}" for p in self.properties]
        if self.diff:
            calls.append(f"PUT /v1/schema/{name}")
        return tuple(calls)


def diff_rows(diff: list[tuple[str, Any, Any]]) -> tuple[tuple[str, Any, Any], ...]:
    """Diff entries as table rows, a missing side shown as ``(absent)``."""
    def shown(value: Any) -> Any:
        return "(absent)" if value is class_paths.MISSING else value

    return tuple((path, shown(old), shown(new)) for path, old, new in diff)


def send(api: RestClient, name: str, plan: InPlace) -> tuple[dict[str, Any], dict[str, str]]:
    """Send ``plan`` to class ``name``; the class and the shards' statuses as Weaviate reports
    them afterwards."""
    for shard in plan.shards:
        cluster.set_shard_status(api, name, shard, "READY")
    for prop in plan.properties:
        api.request("POST", f"/v1/schema/{name}/properties", json=prop)
    if plan.diff:
        body = dict(plan.new)
        if plan.properties:  # the class has them now: a PUT without them would be refused
            body["properties"] = api.get_json(f"/v1/schema/{name}").get("properties") or []
        api.request("PUT", f"/v1/schema/{name}", json=body)
    after = api.get_json(f"/v1/schema/{name}")
    status: dict[str, str] = {}
    if plan.shards:
        for shard in cluster.fetch_shards(api, name):
            if shard.get("name") in plan.shards:
                status[shard["name"]] = shard.get("status", "")
    return after, status


def _kept(stored: Any, sent: Any) -> bool:
    """Whether ``stored`` holds ``sent``; an object may have gained defaults."""
    if isinstance(sent, dict) and isinstance(stored, dict):
        return all(_kept(stored.get(k, class_paths.MISSING), v) for k, v in sent.items())
    if isinstance(sent, list) and isinstance(stored, list) and len(sent) == len(stored):
        return all(_kept(a, b) for a, b in zip(stored, sent, strict=True))
    return stored == sent


def unapplied(plan: InPlace, after: dict[str, Any]) -> list[str]:
    """Paths whose new value Weaviate did not keep, and properties it does not list."""
    missed = [p for p, _, new in plan.diff
              if not _kept(class_paths.get_path(after, p, class_paths.MISSING), new)]
    names = {p.get("name", "").lower() for p in after.get("properties") or []}
    missed += [f"property {p['name']}" for p in plan.properties if p["name"].lower() not in names]
    return missed


def migrate_command(name: str, url: str, sets: list[str]) -> str:
    """The ``\\migrate`` command that makes a copy ``NAME_v2`` with ``--set`` changes."""
    words = [f"\\migrate {name} --target {shlex.quote(url)} --as {name}_v2"]
    words += [f"--set {shlex.quote(s)}" for s in sets]
    return " ".join(words)
