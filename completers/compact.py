"""The schema as completion keeps it: names, property names and types, multi-tenancy.

``GET /v1/schema`` at 10,000 collections x 50 properties is about 75 MB of JSON, nearly all
of it index and module configuration completion never reads. ``SchemaReader`` decodes it as
it arrives, chunk by chunk, with msgspec into Structs that name only the fields kept (msgspec
skips the others without building them), and each class shrinks to two strings as soon as it
is decoded: neither the whole body nor a parsed copy of it is ever held. Measured on that
schema: 0.16 s and +11 MB, against 2.0 s and +277 MB for orjson (or ``json``) building every
dict, and 0.55 s and +143 MB for msgspec keeping every property Struct.
"""

from __future__ import annotations

import bisect
import mmap
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import msgspec

from commands.errors import ShellError

__all__ = ["CompactSchema", "PropertyTable", "SchemaReader", "compact"]

_SEP = "\n"  # never in a property name (/[_A-Za-z][_0-9A-Za-z]{0,230}/) nor a data type
_HEAD = b'{"classes":['
_NEXT = b'},{"class":'  # a "{" before a quote never occurs inside a JSON string


class _Property(msgspec.Struct):
    name: str
    dataType: list[str] = []  # noqa: N815 - Weaviate's field name


class _MultiTenancy(msgspec.Struct):
    enabled: bool = False


class _Class(msgspec.Struct, dict=True):
    """One class definition; shrinks its properties to two strings once decoded."""

    name: str = msgspec.field(name="class")
    properties: list[_Property] | None = None
    multiTenancyConfig: _MultiTenancy | None = None  # noqa: N815 - Weaviate's field name

    def __post_init__(self) -> None:
        props = self.properties or ()
        self.properties = None
        self.columns = _columns((p.name, _data_type(p.dataType)) for p in props)


class _Schema(msgspec.Struct):
    classes: list[_Class] | None = None


def _data_type(types: Iterable[Any]) -> str:
    return "|".join(str(t) for t in types or ()) or "?"


def _columns(props: Iterable[tuple[str, str]]) -> tuple[str, str]:
    pairs = list(props)
    return _SEP.join(n for n, _ in pairs), _SEP.join(t for _, t in pairs)


def _split(joined: str) -> list[str]:
    return joined.split(_SEP) if joined else []


class PropertyTable(Mapping[str, Mapping[str, str]]):
    """``{collection: {property: data type}}`` (top-level properties in schema order).

    Every collection's property names, joined, and its data types, joined, are spans of one
    buffer (an equal list is kept once); a collection's mapping is built when asked for. A
    few large objects instead of a few per collection, and the buffer a memory map of its
    own: when a refresh drops the previous table, its memory goes back to the system at once
    instead of staying in the allocator's heap (where the next table would sit beside it).
    """

    __slots__ = ("_collections", "_spans", "_text")

    def __init__(self, collections: tuple[str, ...] = (), text: bytes | mmap.mmap = b"",
                 spans: array[int] | None = None) -> None:
        self._collections = collections  # sorted; row i is collection i
        self._text = text  # UTF-8
        self._spans = spans if spans is not None else array("I")  # 4 a row: names, types

    def _row(self, collection: object) -> int | None:
        if not isinstance(collection, str):
            return None
        i = bisect.bisect_left(self._collections, collection)
        return i if i < len(self._collections) and self._collections[i] == collection else None

    def _column(self, row: int, column: int) -> str:
        at = 4 * row + 2 * column
        return self._text[self._spans[at]:self._spans[at + 1]].decode()

    def __getitem__(self, collection: str) -> Mapping[str, str]:
        row = self._row(collection)
        if row is None:
            raise KeyError(collection)
        return MappingProxyType(dict(zip(_split(self._column(row, 0)),
                                         _split(self._column(row, 1)), strict=True)))

    def __contains__(self, collection: object) -> bool:
        return self._row(collection) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._collections)

    def __len__(self) -> int:
        return len(self._collections)

    def names(self, collection: str) -> list[str]:
        """The collection's property names in schema order (none for an unknown one)."""
        row = self._row(collection)
        return [] if row is None else _split(self._column(row, 0))

    def count(self, collection: str) -> int:
        """How many properties the collection has."""
        row = self._row(collection)
        names = "" if row is None else self._column(row, 0)
        return names.count(_SEP) + 1 if names else 0


@dataclass(frozen=True, slots=True)
class CompactSchema:
    """The collections (sorted), their properties and which are multi-tenant."""

    collections: tuple[str, ...]
    properties: PropertyTable
    multi_tenant: frozenset[str]


class _Buffer:
    """Bytes appended to a private anonymous memory map that grows in place (Linux remaps
    it; elsewhere a map cannot grow and a bytearray holds them)."""

    def __init__(self) -> None:
        self._data: mmap.mmap | bytearray = (
            mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE) if sys.platform == "linux"
            else bytearray())
        self.size = 0

    def append(self, data: bytes) -> int:
        """Add ``data``; returns where it starts."""
        start, self.size = self.size, self.size + len(data)
        if isinstance(self._data, bytearray):
            self._data += data
            return start
        if self.size > len(self._data):
            self._data.resize(max(self.size, 2 * len(self._data)))
        self._data[start:self.size] = data
        return start

    def equals(self, start: int, data: bytes) -> bool:
        """Whether ``data`` is what the buffer holds from ``start``."""
        return self._data[start:start + len(data)] == data

    def done(self) -> mmap.mmap | bytes:
        """The bytes, for good (the map shrunk to them); the buffer is empty after."""
        data, self._data = self._data, bytearray()
        if not self.size:
            return b""
        if isinstance(data, bytearray):
            return bytes(data)
        data.resize(self.size)
        return data


class _Rows:
    """Collects decoded classes into the parts of a ``PropertyTable``."""

    def __init__(self) -> None:
        self._names: list[str] = []  # in the order decoded
        self._spans = array("I")
        self._text = _Buffer()
        self._starts: dict[int, list[int]] = {}  # hash of a joined list -> where such start
        self._multi: set[str] = set()

    def _place(self, joined: str) -> tuple[int, int]:
        data = joined.encode()
        starts = self._starts.setdefault(hash(data), [])
        start = next((at for at in starts if self._text.equals(at, data)), None)
        if start is None:
            start = self._text.append(data)
            starts.append(start)
        return start, start + len(data)

    def add(self, name: str, columns: tuple[str, str], multi_tenant: bool) -> None:
        self._names.append(name)
        self._spans.extend((*self._place(columns[0]), *self._place(columns[1])))
        if multi_tenant:
            self._multi.add(name)

    def schema(self) -> CompactSchema:
        order = sorted(range(len(self._names)), key=self._names.__getitem__)
        spans = array("I")
        for i in order:
            spans.extend(self._spans[4 * i:4 * i + 4])
        collections = tuple(self._names[i] for i in order)
        return CompactSchema(collections, PropertyTable(collections, self._text.done(), spans),
                             frozenset(self._multi))


def compact(classes: Iterable[Mapping[str, Any]]) -> CompactSchema:
    """The compact form of class dicts already decoded (``GET /v1/schema``'s ``classes``)."""
    rows = _Rows()
    for cls in classes:
        name = cls.get("class")
        if not isinstance(name, str):
            continue
        props = [(p["name"], _data_type(p.get("dataType"))) for p in cls.get("properties") or ()
                 if isinstance(p, Mapping) and isinstance(p.get("name"), str)]
        rows.add(name, _columns(props), bool((cls.get("multiTenancyConfig") or {}).get("enabled")))
    return rows.schema()


class SchemaReader:
    """Decodes a ``GET /v1/schema`` body fed in chunks: ``feed(chunk)``..., ``finish()``.

    Whole classes are decoded as soon as the next one begins (``},{"class":`` follows every
    class but the last, as Weaviate writes ``class`` first). Such a sequence inside a
    class (in a module's free-form configuration) cuts an unbalanced piece, which fails
    to decode: the piece then waits for the next cut. A body that does not begin as
    Weaviate's does is decoded whole at the end.
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        self._streaming: bool | None = None
        self._rows = _Rows()

    def feed(self, chunk: bytes) -> None:
        """Take the next bytes of the body."""
        self._pending += chunk
        if self._streaming is None and len(self._pending) >= len(_HEAD):
            self._streaming = self._pending.startswith(_HEAD)
            if self._streaming:
                del self._pending[:len(_HEAD) - 1]  # keep the "["
        if not self._streaming:
            return
        cut = self._pending.rfind(_NEXT)
        if cut < 0:
            return
        try:
            classes = msgspec.json.decode(self._pending[:cut + 1] + b"]", type=list[_Class])
        except msgspec.DecodeError:
            return  # the cut was inside a class: wait for the next one
        self._keep(classes)
        del self._pending[:cut + 1]
        self._pending[0] = ord("[")  # the "," before the next class opens the next piece

    def finish(self) -> CompactSchema:
        """The schema, once the whole body was fed; malformed JSON raises ``ShellError``."""
        body = b'{"classes":' + self._pending if self._streaming else bytes(self._pending)
        self._pending = bytearray()
        try:
            schema = msgspec.json.decode(body, type=_Schema)
        except msgspec.DecodeError as exc:
            raise ShellError(f"GET /v1/schema answered unreadable JSON: {exc}") from None
        self._keep(schema.classes or ())
        return self._rows.schema()

    def _keep(self, classes: Iterable[_Class]) -> None:
        for cls in classes:
            config = cls.multiTenancyConfig
            self._rows.add(cls.name, cls.columns, config is not None and config.enabled)
