"""The baseline of the listing benchmark: ``python bench/listing_baseline.py URL [--verbose]``.

What any program listing collections must do, in plain Python: the same three GETs as
``elysiactl -c '\\ls'`` (``/v1/meta`` when connecting, ``/v1/schema``,
``/v1/nodes?output=verbose``) with httpx, the same rows sorted by name, printed as
space-aligned columns under a header. No rich, no registry. It is run as a script (not
``-m bench...``) so that it imports nothing of the project.
"""

from __future__ import annotations

import sys

import httpx

COLUMNS = ("name", "objects", "tenants", "description")
VERBOSE = ("replication", "shards", "multi_tenancy", "vectorizer", "vector_index")


def _compression(config: dict) -> str:
    return next((f"+{k}" for k in ("pq", "bq", "sq", "rq")
                 if (config.get(k) or {}).get("enabled")), "")


def _vectors(cls: dict) -> tuple[str, str]:
    if cls.get("vectorConfig"):
        named = cls["vectorConfig"].items()
        return (", ".join(f"{n}:{', '.join(v['vectorizer'])}" for n, v in named),
                ", ".join(f"{n}:{v['vectorIndexType']}"
                          f"{_compression(v.get('vectorIndexConfig') or {})}" for n, v in named))
    return (cls.get("vectorizer", ""),
            cls.get("vectorIndexType", "") + _compression(cls.get("vectorIndexConfig") or {}))


def rows(schema: dict, nodes: dict, verbose: bool) -> list[list[str]]:
    """One list of cell strings per collection, sorted by name."""
    counts: dict[str, int] = {}
    active: dict[str, int] = {}
    for node in nodes["nodes"]:
        for shard in node.get("shards") or []:
            if shard.get("loaded", True) is not False:
                counts[shard["class"]] = counts.get(shard["class"], 0) + shard["objectCount"]
                active[shard["class"]] = active.get(shard["class"], 0) + 1
    out = []
    for cls in sorted(schema["classes"], key=lambda c: c["class"].lower()):
        name = cls["class"]
        mt = cls["multiTenancyConfig"]["enabled"]
        row = [name, str(counts.get(name, 0)), str(active.get(name, 0)) if mt else "",
               cls.get("description", "")]
        if verbose:
            shards = active.get(name, 0) if mt else cls["shardingConfig"]["actualCount"]
            row += [str(cls["replicationConfig"]["factor"]), str(shards), str(mt),
                    *_vectors(cls)]
        out.append(row)
    return out


def main(argv: list[str]) -> int:
    """Fetch, build the rows, print them aligned."""
    url, verbose = argv[0], "--verbose" in argv
    with httpx.Client(base_url=url) as http:
        http.get("/v1/meta").raise_for_status()
        schema = http.get("/v1/schema").json()
        nodes = http.get("/v1/nodes", params={"output": "verbose"}).json()
    sys.stdout.write(aligned([list(COLUMNS + VERBOSE if verbose else COLUMNS),
                              *rows(schema, nodes, verbose)]))
    return 0


def aligned(table: list[list[str]]) -> str:
    """Rows of cell strings as space-aligned columns, one line each."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                   .rstrip() + "\n" for row in table)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
