"""``MetadataSnapshot`` built from ``GET /v1/schema`` class dicts, and ``MetadataCache``."""

from __future__ import annotations

import dataclasses

import pytest

from completers.metadata import MetadataCache, MetadataSnapshot, NameIndex

CLASSES = [
    {"class": "Zeta", "properties": [{"name": "b", "dataType": ["text"]},
                                     {"name": "a", "dataType": ["int[]"]}]},
    {"class": "alpha", "properties": None},
    {"class": "Beta", "multiTenancyConfig": {"enabled": True},
     "properties": [{"name": "source", "dataType": ["object"],
                     "nestedProperties": [{"name": "url", "dataType": ["text"]}]},
                    {"name": "ref", "dataType": ["Zeta", "alpha"]}]},
    {"class": "Gamma", "multiTenancyConfig": {"enabled": False}},
]


def test_from_schema() -> None:
    snap = MetadataSnapshot.from_schema(CLASSES, fetched_at=12.5)
    assert snap.collections == ("Beta", "Gamma", "Zeta", "alpha")
    assert list(snap.properties["Zeta"]) == ["b", "a"]  # schema order
    assert snap.properties["Zeta"]["a"] == "int[]"
    assert dict(snap.properties["Beta"]) == {"source": "object", "ref": "Zeta|alpha"}
    assert snap.properties["alpha"] == {} and snap.properties["Gamma"] == {}
    assert snap.multi_tenant == {"Beta"}
    assert snap.tenants == {} and snap.fetched_at == 12.5 and snap.error is None


def test_snapshots_are_frozen() -> None:
    snap = MetadataSnapshot.from_schema(CLASSES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.error = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        snap.properties["New"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        snap.properties["Zeta"]["c"] = "text"  # type: ignore[index]


def test_resolve_ignores_case() -> None:
    snap = MetadataSnapshot.from_schema(CLASSES)
    assert snap.resolve("zeta") == "Zeta"
    assert snap.resolve("Alpha") == "alpha"
    assert snap.resolve("Nosuch") is None and snap.resolve(None) is None


def found(index: NameIndex, query: str) -> list[str]:
    return [name for name, _ in index.find(query).names]


def test_prefix_lookup_ignores_case_and_is_sorted() -> None:
    names = MetadataSnapshot.from_schema(CLASSES).names("collections")
    assert found(names, "") == ["alpha", "Beta", "Gamma", "Zeta"]
    assert found(names, "B") == ["Beta"]
    assert found(names, "z") == ["Zeta"]
    assert found(names, "q") == []
    index = NameIndex({"ab": "1", "AB": "2", "Ac": "3", "b": "4"})
    assert found(index, "a") == ["AB", "ab", "Ac"] and len(index) == 4
    assert (index["ab"], index["AB"], "aB" in index, index.spelled("aC")) == ("1", "2", False,
                                                                            "Ac")


def test_with_tenants_and_with_error_copy() -> None:
    snap = MetadataSnapshot.from_schema(CLASSES, fetched_at=1.0)
    more = snap.with_tenants("Beta", {"b": "COLD", "a": "HOT"})
    assert list(more.tenants["Beta"]) == ["a", "b"] and snap.tenants == {}
    failed = more.with_error("cannot reach it")
    assert failed.error == "cannot reach it" and failed.collections == snap.collections
    assert failed.tenants["Beta"]["b"] == "COLD" and more.error is None


def test_cache_state_for_the_toolbar() -> None:
    cache = MetadataCache()
    assert cache.state == "empty"
    cache.refreshing = True
    assert cache.state == "refreshing"
    cache.refreshing = False
    cache.replace(MetadataSnapshot.from_schema(CLASSES, fetched_at=1.0))
    assert cache.state == "fresh"
    cache.update(lambda s: s.with_error("timed out"))
    assert cache.state == "error: timed out"
    assert cache.snapshot.collections  # the last good data is kept


def test_replace_swaps_one_reference() -> None:
    cache = MetadataCache()
    before = cache.snapshot
    new = MetadataSnapshot.from_schema(CLASSES)
    cache.replace(new)
    assert cache.snapshot is new and before.collections == ()
