"""A class definition read and changed by dotted path: ``vectorIndexConfig.ef=128``.

One syntax for every command that changes settings (``\\optimize --apply``,
``\\migrate --set``, ``\\alter --set``): ``PATH=VALUE`` where PATH walks the class
JSON by key (``vectorConfig.default.vectorIndexConfig.rq.enabled``) and VALUE is
JSON (``true``, ``128``, ``"word"``, ``{"enabled": true}``) or else a plain string.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from commands.errors import UsageError
from commands.inputs import check_numbers

MISSING = object()


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"a.b=VALUE"`` -> ``("a.b", value)``; VALUE is JSON when it parses, else a string."""
    path, eq, raw = text.partition("=")
    path = path.strip()
    if not eq or not path or any(not key for key in path.split(".")):
        raise UsageError(f"--set {text!r}: expected PATH=VALUE",
                         "e.g. --set vectorIndexConfig.ef=128 or "
                         "--set invertedIndexConfig.bm25.b=0.7")
    raw = raw.strip()
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):  # Recursion: '[[[[...' deeper than the stack
        return path, raw
    except ValueError:  # an integer too long to convert: not a string the user meant
        raise UsageError(f"--set {text[:40]!r}: the number is out of range") from None
    return path, check_numbers(value, f"--set {text[:40]!r}")


def get_path(cls: dict[str, Any], path: str, default: Any = None) -> Any:
    """The value at ``path``, or ``default`` when any key on the way is missing."""
    node: Any = cls
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def set_path(cls: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``cls`` with ``value`` at ``path`` (missing objects are created)."""
    out = copy.deepcopy(cls)
    node = out
    keys = path.split(".")
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            where = ".".join(keys[:depth + 1])
            raise UsageError(f"cannot set {path}: {where} is {json.dumps(child)}, not an object")
        node = child
    node[keys[-1]] = value
    return out


def diff(old: Any, new: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """``(path, old, new)`` for every leaf that differs; a missing side is ``MISSING``."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            out += diff(old.get(key, MISSING), new.get(key, MISSING), path)
        return out
    return [] if old == new else [(prefix, old, new)]


def assignment_text(path: str, value: Any) -> str:
    """``PATH=VALUE`` as ``parse_assignment`` reads it back: JSON, or a plain string when that
    reads back as the same string."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except (ValueError, RecursionError):
            return f"{path}={value}"
    return f"{path}={json.dumps(value, separators=(',', ':'))}"
