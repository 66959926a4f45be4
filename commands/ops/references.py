"""Cross-references in copies of a class (``\\restore``, ``\\migrate``), OPERATIONS.md §3.1.5.

Weaviate checks on every object write that each beacon's target object exists, and checks a
batch in full before storing any of it: an object cannot refer to another object of the same
batch, nor to one later in the copy. A class with reference properties is therefore copied
in two passes: every object without its reference properties, then the objects that hold
references again, whole. Under a new name (``--as``), a self-reference is renamed with the
class: the property's data type and the class in every beacon.
"""

from __future__ import annotations

import re
from typing import Any

# Weaviate's answer for a beacon whose target object does not exist (§3.1.5).
MISSING_TARGET = re.compile(r"no object with id \S+ found")


def is_reference(data_type: Any) -> bool:
    """Whether a property's data type is a list of class names (a cross-reference)."""
    return any(str(t)[:1].isupper() for t in data_type or [])


def reference_properties(cls: dict[str, Any]) -> list[str]:
    """Properties holding cross-references (their data type is a class name)."""
    return [str(p["name"]) for p in cls.get("properties") or [] if is_reference(p.get("dataType"))]


def self_references(cls: dict[str, Any]) -> frozenset[str]:
    """Reference properties that may point at the class itself."""
    name = cls.get("class")
    return frozenset(str(p["name"]) for p in cls.get("properties") or []
                     if name in (p.get("dataType") or []))


def referenced_classes(cls: dict[str, Any]) -> list[str]:
    """The other classes the reference properties of ``cls`` point at."""
    return sorted({str(t) for p in cls.get("properties") or [] if is_reference(p.get("dataType"))
                   for t in p["dataType"]} - {cls.get("class")})


def holds_references(properties: dict[str, Any] | None, names: list[str]) -> bool:
    """Whether an object's properties have a value in any of the reference properties."""
    return properties is not None and any(properties.get(name) for name in names)


def refused_for_missing_targets(messages: list[str]) -> int:
    """How many of the error report's messages say a referenced object does not exist."""
    return sum(1 for message in messages if MISSING_TARGET.search(message))


def rename_data_types(properties: list[dict[str, Any]], old: str,
                      new: str) -> list[dict[str, Any]]:
    """Properties with ``old`` replaced by ``new`` in reference data types (self-references
    of a class copied under a new name)."""
    return [{**p, "dataType": [new if t == old else t for t in p["dataType"]]}
            if old in (p.get("dataType") or []) else p for p in properties]


def rename_beacons(value: Any, old: str, new: str) -> Any:
    """A reference property's value with beacons (and hrefs) to class ``old`` pointing at
    ``new`` instead: ``weaviate://localhost/Book/ID`` -> ``weaviate://localhost/Novel/ID``.
    A beacon without a class is left as it is (the server takes the property's one)."""
    if not isinstance(value, list):
        return value
    out = []
    for item in value:
        if isinstance(item, dict):
            item = {key: _renamed(text, old, new) if key in ("beacon", "href") else text
                    for key, text in item.items()}
        out.append(item)
    return out


def rename_self_references(properties: dict[str, Any], refs: frozenset[str], old: str,
                           new: str) -> dict[str, Any]:
    """An object's properties with the beacons of the self-references ``refs`` renamed."""
    return {key: rename_beacons(value, old, new) if key in refs else value
            for key, value in properties.items()}


def _renamed(link: Any, old: str, new: str) -> Any:
    """``weaviate://HOST/OLD/ID`` or ``/v1/objects/OLD/ID`` with ``NEW`` for ``OLD``."""
    if not isinstance(link, str):
        return link
    parts = link.split("/")
    # ["weaviate:", "", HOST, CLASS, ID] or ["", "v1", "objects", CLASS, ID]
    if len(parts) == 5 and parts[3] == old:
        parts[3] = new
    return "/".join(parts)
