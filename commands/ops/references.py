"""Cross-references in copies of a class (``\\restore``, ``\\migrate``), OPERATIONS.md §3.1.5.

Weaviate checks on every object write that each beacon's target object exists, and checks a
batch in full before storing any of it: an object cannot refer to another object of the same
batch, nor to one later in the copy. A class with reference properties is therefore copied
in two passes: every object without its reference properties, then the objects that hold
references again, whole.
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
