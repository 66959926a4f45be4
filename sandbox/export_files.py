"""The Parquet files of a server-side export, as Weaviate writes them.

One file per shard, ``{class}_{shard}_0000.parquet`` (Weaviate splits big shards into key
ranges, ``_0001`` and on; the sandbox's shards are small), with the columns of
``usecases/export/parquet_writer.go`` (``ParquetRow``): ``id``, ``creation_time``,
``update_time``, ``vector`` (raw little-endian float32), ``named_vectors``,
``multi_vectors`` and ``properties`` (JSON bytes), and the file metadata ``collection``
and, for a tenant, ``tenant`` (``parallel_scan.go``). Writing needs pyarrow (the
``parquet`` extra); without it the shard fails with a sentence saying so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson

from sandbox.store import StoredObject

NO_PYARROW = ("the sandbox writes Parquet with pyarrow, which is not installed: "
              "pip install 'elysiactl[parquet]'")


def row(obj: StoredObject) -> dict[str, Any]:
    """One object as an export row."""
    def as_json(value: Any) -> bytes | None:
        return None if not value else orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)

    vector = None if obj.vector is None else np.asarray(obj.vector, dtype="<f4").tobytes()
    return {"id": obj.id, "creation_time": obj.created, "update_time": obj.updated,
            "vector": vector, "named_vectors": as_json(obj.vectors), "multi_vectors": None,
            "properties": as_json(obj.properties)}


def write_parquet(path: Path, rows: list[dict[str, Any]], collection: str,
                  tenant: str | None) -> None:
    """Write ``rows`` to ``path`` (zstd, as Weaviate compresses); OSError when impossible."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise OSError(NO_PYARROW) from None
    schema = pa.schema([("id", pa.string()), ("creation_time", pa.int64()),
                        ("update_time", pa.int64()), ("vector", pa.binary()),
                        ("named_vectors", pa.binary()), ("multi_vectors", pa.binary()),
                        ("properties", pa.binary())],
                       metadata={"collection": collection, **({"tenant": tenant} if tenant
                                                               else {})})
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path, compression="zstd")
