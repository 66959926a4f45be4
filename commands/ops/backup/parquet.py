"""Backup chunks as Parquet files (``\\backup --format parquet``), for pandas, DuckDB or Spark.

A Parquet backup has the same manifest, chunk kinds, checksums and windows as a JSON-lines
one (``commands.ops.backup.format``); each chunk is one Parquet file,
``NNNNNN.<kind>.parquet``, one row per entry (so a chunk's ``lines`` is its row count),
compressed inside the file by the backup's codec. The columns:

- ``objects``: ``id`` (string), ``tenant`` (string, null without multi-tenancy),
  ``creationTimeUnix`` and ``lastUpdateTimeUnix`` (int64, milliseconds), ``properties``
  (a struct with one field per property of the class), ``other_properties`` (a JSON string
  of any property the class does not declare, else null), ``vector`` (list<float32>) and
  ``vectors`` (a struct with one list<float32> field per named vector; list<list<float32>>
  for a multi-vector). Properties are typed where Weaviate's type has a Parquet twin: text,
  string, date, uuid and blob as strings (dates as Weaviate wrote them, so they round-trip
  exactly), int as int64, number as float64, boolean as bool, and their arrays as lists;
  objects, geo coordinates, phone numbers and references as JSON strings. A column with no
  field (a class without properties or named vectors) is left out.
- ``deleted``: ``id``, ``tenant``; ``index``: ``id``, ``tenant``, ``lastUpdateTimeUnix``.

The file's key-value metadata ``elysiactl`` (JSON) names the chunk kind and the JSON
columns, so reading a chunk needs nothing but the file. pyarrow is imported only when a
Parquet chunk is written or read: it is the ``parquet`` extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from commands.errors import UsageError
from commands.lazy import lazy_module
from commands.ops.backup import heap

np = lazy_module("numpy")  # only a Parquet chunk needs it; a JSON lines backup never does

SUFFIX = ".parquet"
NEEDS_PYARROW = "Parquet needs pyarrow: pip install 'elysiactl[parquet]'"
METADATA = b"elysiactl"
ROWS_PER_BATCH = 200  # rows turned into Python objects at a time when reading
COMPRESSION = {"zstd": "zstd", "gzip": "gzip", "none": "none"}
TEXT_TYPES = ("text", "string", "date", "uuid", "blob")


def pyarrow() -> Any:
    """The ``pyarrow`` module, or the usage error saying how to install it."""
    try:
        import pyarrow as pa
        import pyarrow.parquet  # noqa: F401  (pa.parquet below)
    except ImportError:
        raise UsageError(NEEDS_PYARROW) from None
    # mimalloc, pyarrow's default, kept each window's freed buffers: 40 MB more resident
    # than malloc, whose free pages heap.trim returns.
    pa.set_memory_pool(pa.system_memory_pool())
    return pa


def _scalar(pa: Any, data_type: str) -> Any:
    """The Arrow type of one value of a Weaviate data type (None: kept as JSON)."""
    if data_type in TEXT_TYPES:
        return pa.string()
    return {"int": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}.get(data_type)


def _property_type(pa: Any, data_type: list[Any] | None) -> Any:
    """The Arrow type of a property, or None when its values are kept as JSON strings."""
    if not data_type or len(data_type) != 1 or not isinstance(data_type[0], str):
        return None  # a reference to several classes
    name = data_type[0]
    if name.endswith("[]"):
        item = _scalar(pa, name[:-2])
        return None if item is None else pa.list_(item)
    return _scalar(pa, name)


def _vector_names(cls: dict[str, Any], objects: list[dict[str, Any]]) -> dict[str, bool]:
    """Named vectors of the class and of ``objects``, in name order: whether each is a
    multi-vector (a list of vectors)."""
    multi: dict[str, bool] = {}
    for name, config in (cls.get("vectorConfig") or {}).items():
        index = (config or {}).get("vectorIndexConfig") or {}
        multi[name] = bool((index.get("multivector") or {}).get("enabled"))
    for obj in objects:
        for name, value in (obj.get("vectors") or {}).items():
            multi[name] = multi.get(name, False) or isinstance(value, list)  # see _compact
    return dict(sorted(multi.items()))


def _float32(value: Any) -> Any:
    """A vector as a float32 array (None when empty); a multi-vector stays a Python list."""
    if not value:
        return None
    return value if isinstance(value[0], list) else np.asarray(value, dtype=np.float32)


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with its vectors as float32 arrays: a window holds 4 bytes a dimension instead
    of a Python float's 32, so memory stays near the JSON-lines backup's."""
    obj["vector"] = _float32(obj.get("vector"))
    if obj.get("vectors"):
        obj["vectors"] = {name: _float32(value) for name, value in obj["vectors"].items()}
    return obj


def _float32_lists(pa: Any, values: list[Any]) -> Any:
    """A list<float32> column from float32 arrays and Nones, without a Python float."""
    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([0 if v is None else len(v) for v in values])
    present = [v for v in values if v is not None]
    flat = np.concatenate(present) if present else np.empty(0, dtype=np.float32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat),
                                    mask=pa.array([v is None for v in values], pa.bool_()))


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _objects_table(pa: Any, objects: list[dict[str, Any]], cls: dict[str, Any],
                   typed: bool) -> Any:
    """The ``objects`` columns; ``typed`` False keeps every property as JSON."""
    declared = {str(p.get("name")): _property_type(pa, p.get("dataType")) if typed else None
                for p in cls.get("properties") or []}
    fields = [pa.field(name, kind or pa.string()) for name, kind in declared.items()]
    as_json = sorted(name for name, kind in declared.items() if kind is None)
    props, others = [], []
    for obj in objects:
        values = obj.get("properties") or {}
        props.append({name: _json(values.get(name)) if declared[name] is None
                      else values.get(name) for name in declared})
        rest = {k: v for k, v in values.items() if k not in declared}
        others.append(_json(rest) if rest else None)
    columns = {
        "id": pa.array([o["id"] for o in objects], pa.string()),
        "tenant": pa.array([o.get("tenant") for o in objects], pa.string()),
        "creationTimeUnix": pa.array([o.get("creationTimeUnix") for o in objects], pa.int64()),
        "lastUpdateTimeUnix": pa.array([o.get("lastUpdateTimeUnix") for o in objects],
                                       pa.int64()),
    }
    if fields:
        columns["properties"] = pa.array(props, pa.struct(fields))
    columns["other_properties"] = pa.array(others, pa.string())
    columns["vector"] = _float32_lists(pa, [o.get("vector") for o in objects])
    named = _vector_names(cls, objects)
    if named:
        multi_type = pa.list_(pa.list_(pa.float32()))
        values = {name: [(o.get("vectors") or {}).get(name) for o in objects] for name in named}
        columns["vectors"] = pa.StructArray.from_arrays(
            [pa.array(values[n], multi_type) if multi else _float32_lists(pa, values[n])
             for n, multi in named.items()], names=list(named))
    return pa.table(columns), as_json


def _entries_table(pa: Any, kind: str, entries: list[dict[str, Any]]) -> Any:
    """The ``deleted`` or ``index`` columns."""
    columns = {"id": pa.array([e["id"] for e in entries], pa.string()),
               "tenant": pa.array([e.get("tenant") for e in entries], pa.string())}
    if kind == "index":
        columns["lastUpdateTimeUnix"] = pa.array([e.get("lastUpdateTimeUnix") for e in entries],
                                                 pa.int64())
    return pa.table(columns)


def _entries(kind: str, lines: Iterable[bytes | memoryview]) -> list[dict[str, Any]]:
    """The entries of a chunk's JSON lines (pages of objects for ``objects``)."""
    out: list[dict[str, Any]] = []
    for line in lines:
        parsed = orjson.loads(line)
        out.extend(map(_compact, parsed["objects"]) if kind == "objects" else [parsed])
    return out


def encode(kind: str, lines: Iterable[bytes | memoryview], codec: str,
           cls: dict[str, Any]) -> bytes:
    """A chunk's JSON lines (as ``ChunkWriter`` buffers them) as a Parquet file's bytes."""
    pa = pyarrow()
    entries = _entries(kind, lines)
    as_json: list[str] = []
    if kind != "objects":
        table = _entries_table(pa, kind, entries)
    else:
        try:
            table, as_json = _objects_table(pa, entries, cls, typed=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            # a value the class's type does not describe: this chunk keeps them all as JSON
            table, as_json = _objects_table(pa, entries, cls, typed=False)
    meta = {"kind": kind, "json_properties": as_json}
    table = table.replace_schema_metadata({METADATA: orjson.dumps(meta)})
    sink = pa.BufferOutputStream()
    # Dictionary pages cost a 5,000-object window of vectors 0.5 s and 50 MB for a file 20%
    # bigger than plain pages (floats hardly repeat); the codec finds the repeated strings.
    pa.parquet.write_table(table, sink, compression=COMPRESSION[codec], use_dictionary=False)
    del table, entries
    heap.trim()  # the window's objects are freed: give their pages back (heap.py)
    return sink.getvalue().to_pybytes()


def _open(data: bytes, kind: str) -> tuple[Any, dict[str, Any]]:
    """The Parquet file in ``data`` and its ``elysiactl`` metadata (ValueError if it is not
    a chunk of ``kind``)."""
    pa = pyarrow()
    reader = pa.parquet.ParquetFile(pa.BufferReader(data))
    meta = orjson.loads((reader.schema_arrow.metadata or {}).get(METADATA, b"null"))
    if not isinstance(meta, dict) or meta.get("kind") != kind:
        raise ValueError(f"not an elysiactl {kind} chunk (its metadata says {meta!r})")
    return reader, meta


def row_count(data: bytes, kind: str) -> int:
    """Rows of a Parquet chunk, from its footer (the data is not decoded)."""
    reader, _ = _open(data, kind)
    return int(reader.metadata.num_rows)


def decode(data: bytes, kind: str) -> Iterator[dict[str, Any]]:
    """The entries of a Parquet chunk, as the JSON-lines chunk of ``kind`` holds them: for
    ``objects``, dicts with ``id``, ``tenant``, the times, ``properties``, ``vector`` and
    ``vectors`` (null values left out, as Weaviate leaves them out)."""
    reader, meta = _open(data, kind)
    as_json = set(meta.get("json_properties") or ())
    for batch in reader.iter_batches(batch_size=ROWS_PER_BATCH):
        for row in batch.to_pylist():
            if kind == "objects":
                yield _object(row, as_json)
            else:
                yield row


def _object(row: dict[str, Any], as_json: set[str]) -> dict[str, Any]:
    props = {name: orjson.loads(value) if name in as_json else value
             for name, value in (row.get("properties") or {}).items() if value is not None}
    if row.get("other_properties") is not None:
        props.update(orjson.loads(row["other_properties"]))
    obj = {"id": row["id"], "properties": props}
    for key in ("tenant", "creationTimeUnix", "lastUpdateTimeUnix", "vector"):
        if row.get(key) is not None:
            obj[key] = row[key]
    vectors = {name: value for name, value in (row.get("vectors") or {}).items()
               if value is not None}
    if vectors:
        obj["vectors"] = vectors
    return obj
