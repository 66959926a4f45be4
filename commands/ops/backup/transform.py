"""``--as``, ``--rename-property`` and ``--drop-property``: checked against the backup's
class, applied to the class JSON and to every object of a restore (or a migration).
Under a new name, self-references follow the class (``commands/ops/references.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from commands.errors import UsageError
from commands.ops.cursor import RawObject
from commands.ops.references import (
    rename_data_types,
    rename_self_references,
    self_references,
)
from commands.ops.schema import upper_first

CLASS_NAME = re.compile(r"^[A-Z][_0-9A-Za-z]{0,254}$")
PROPERTY_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,230}$")


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


@dataclass(frozen=True)
class Transform:
    """``--as``, ``--rename-property`` and ``--drop-property``, checked against the class."""

    name: str
    renames: dict[str, str] = field(default_factory=dict)
    drops: frozenset[str] = frozenset()
    renamed_from: str | None = None  # the source class, when self-references are renamed
    self_refs: frozenset[str] = frozenset()

    @classmethod
    def build(cls, source: dict[str, Any], target: str | None, renames: list[str],
              drops: list[str]) -> Transform:
        """Check the options against the backup's class; ``UsageError`` names the problem."""
        name = upper_first(target or str(source.get("class") or ""))
        if not CLASS_NAME.match(name):
            raise UsageError(f"--as: {name!r} is not a valid collection name",
                             "a letter, then letters, digits or _")
        known = [p.get("name") for p in source.get("properties") or []]
        hint = "the backup's properties: " + (", ".join(map(str, known)) or "none")
        mapping: dict[str, str] = {}
        for spec in renames:
            old, eq, new = spec.partition("=")
            old, new = lower_first(old.strip()), lower_first(new.strip())
            if not eq or not old or not new:
                raise UsageError(f"--rename-property {spec!r}: expected OLD=NEW")
            if old not in known:
                raise UsageError(f"--rename-property: the backup has no property {old!r}", hint)
            if not PROPERTY_NAME.match(new) or new.lower() in ("id", "_id", "_additional"):
                raise UsageError(f"--rename-property: {new!r} is not a valid property name")
            if old in mapping:
                raise UsageError(f"--rename-property: {old!r} is renamed twice")
            mapping[old] = new
        dropped = frozenset(lower_first(d.strip()) for d in drops)
        for drop in sorted(dropped):
            if drop not in known:
                raise UsageError(f"--drop-property: the backup has no property {drop!r}", hint)
            if drop in mapping:
                raise UsageError(f"{drop!r} is both renamed and dropped")
        final = [mapping.get(str(p), str(p)) for p in known if p not in dropped]
        clash = sorted({p for p in final if [q.lower() for q in final].count(p.lower()) > 1})
        if clash:
            raise UsageError(f"--rename-property: {', '.join(clash)} would exist twice")
        source_name = str(source.get("class") or "")
        refs = self_references(source) if name != source_name else frozenset()
        return cls(name, mapping, dropped, source_name if refs else None, refs)

    def prop(self, name: str) -> str | None:
        """A property's new name, or None when it is dropped."""
        return None if name in self.drops else self.renames.get(name, name)

    def apply_class(self, source: dict[str, Any]) -> dict[str, Any]:
        """The class JSON to create: renamed, properties renamed or left out."""
        out = {**source, "class": self.name}
        props = []
        properties = source.get("properties") or []
        if self.renamed_from:
            properties = rename_data_types(properties, self.renamed_from, self.name)
        for prop in properties:
            new = self.prop(str(prop.get("name")))
            if new is not None:
                props.append({**prop, "name": new})
        out["properties"] = props
        vectors = source.get("vectorConfig")
        if isinstance(vectors, dict):  # source properties of vectorizers
            out["vectorConfig"] = {key: self._vector(value) for key, value in vectors.items()}
        return out

    def _vector(self, config: Any) -> Any:
        if not isinstance(config, dict) or not isinstance(config.get("vectorizer"), dict):
            return config
        vectorizer = {}
        for module, settings in config["vectorizer"].items():
            if isinstance(settings, dict) and isinstance(settings.get("properties"), list):
                kept = [self.prop(str(p)) for p in settings["properties"]]
                settings = {**settings, "properties": [p for p in kept if p is not None]}
            vectorizer[module] = settings
        return {**config, "vectorizer": vectorizer}

    def apply_object(self, line: dict[str, Any], tenant: str | None) -> BatchObject:
        """A backed-up object as a batch-import object of ``tenant`` (its id kept)."""
        return BatchObject(line["id"], self._properties(line.get("properties") or {}),
                           self.name, tenant, line.get("vector") or None,
                           line.get("vectors") or None)

    def apply_raw(self, obj: RawObject, tenant: str | None) -> BatchObject:
        """A cursor page's object as a batch-import object of ``tenant``: vectors, and the
        properties unless they change, are copied as the source wrote them, unparsed."""
        props: Any = obj.properties
        if self.renamed_from or self.renames or self.drops or _empty(props):
            props = self._properties(msgspec.json.decode(props) or {})
        return BatchObject(obj.id, props, self.name, tenant,
                           None if _empty(obj.vector) else obj.vector,
                           None if _empty(obj.vectors) else obj.vectors)

    def _properties(self, props: dict[str, Any]) -> dict[str, Any]:
        if self.renamed_from:
            props = rename_self_references(props, self.self_refs, self.renamed_from, self.name)
        if self.renames or self.drops:
            props = {new: value for key, value in props.items()
                     if (new := self.prop(key)) is not None}
        return props

class BatchObject(msgspec.Struct, omit_defaults=True, gc=False):
    """One object of a ``POST /v1/batch/objects`` body (raw values are written as they are)."""

    id: str
    properties: Any
    class_: str = msgspec.field(name="class")
    tenant: str | None = None
    vector: Any = None
    vectors: Any = None


def _empty(raw: msgspec.Raw) -> bool:
    """``null``, ``[]`` or ``{}`` (a short raw value is cheap to copy and compare)."""
    return len(raw) <= 4 and bytes(raw).strip() in (b"null", b"[]", b"{}", b"")
