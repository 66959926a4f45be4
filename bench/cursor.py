"""The bare cursor-read loop the benchmarks compare with: ``python -m bench.cursor URL PAGE``
pages through class ``Bench`` and nothing else. Only httpx and orjson are imported, so as a
process it starts as fast as a minimal program can."""

from __future__ import annotations

import sys
import time

import httpx
import orjson

CLASS = "Bench"


def read_pages(http: httpx.Client, limit: int = sys.maxsize,
               page: int = 1000) -> tuple[float, int, bytes]:
    """Page through ``Bench`` with the cursor; stop at an empty page or after ``limit``
    objects. Returns the seconds, the objects read and the first page's bytes."""
    started, after, total, first = time.perf_counter(), "", 0, b""
    while True:
        response = http.get("/v1/objects", params={"class": CLASS, "limit": page,
                                                   "after": after, "include": "vector"})
        response.raise_for_status()
        objects = orjson.loads(response.content)["objects"]
        first = first or response.content
        if not objects:
            break
        total += len(objects)
        after = objects[-1]["id"]
        if total >= limit:
            break
    return time.perf_counter() - started, total, first


if __name__ == "__main__":
    with httpx.Client(base_url=sys.argv[1], timeout=120) as client:
        read_pages(client, page=int(sys.argv[2]))
