"""Sandbox throughput and lifecycle, each against a baseline measured in the same run.

The server under test runs in its own process pinned to one core, the client on
the other, so "objects/s on one core" means the server's core.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import numpy as np
import orjson

from bench.cursor import CLASS, read_pages
from bench.report import Section, median_seconds, pin, start_server, verdict

DIMS = 128
PAGE = 1000
TARGET = 20_000


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def batch_bodies(count: int, batch: int, seed: int = 1) -> Iterator[bytes]:
    """Batch-import bodies of ``count`` seeded objects in class ``Bench`` (title, n, vector),
    built one batch at a time."""
    rng = np.random.default_rng(seed)
    ids = random.Random(seed)
    for start in range(0, count, batch):
        n = min(batch, count - start)
        vecs = rng.standard_normal((n, DIMS), dtype=np.float32)
        objects = [{"class": CLASS, "id": str(uuid.UUID(int=ids.getrandbits(128))),
                    "properties": {"title": f"object {start + i}", "n": start + i},
                    "vector": vecs[i]} for i in range(n)]
        yield orjson.dumps({"objects": objects}, option=orjson.OPT_SERIALIZE_NUMPY)


def post_batches(http: httpx.Client, bodies: Iterable[bytes], check: bool) -> float:
    """Seconds to post every body to ``/v1/batch/objects``; ``check`` asserts each object."""
    started = time.perf_counter()
    for body in bodies:
        response = http.post("/v1/batch/objects", content=body,
                             headers={"Content-Type": "application/json"})
        response.raise_for_status()
        if check:
            assert all(r["result"]["status"] == "SUCCESS" for r in orjson.loads(response.content))
    return time.perf_counter() - started


def _lifecycle(runs: int = 20) -> list[tuple[str, float, float, float]]:
    """Median seconds: in-process start+stop against a bare stdlib server, and the demo seed."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from sandbox import Sandbox
    from sandbox.seed import load_demo
    from sandbox.store import Database

    def bare() -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        server.shutdown()
        thread.join()
        server.server_close()

    def sandbox() -> None:
        Sandbox().start().stop()

    return [("start and stop, in-process (empty)", median_seconds(sandbox, runs),
             median_seconds(bare, runs), 1.0),
            ("demo seed (20,000-object collection and four more)",
             median_seconds(lambda: load_demo(Database()), 3), float("nan"), 2.0)]


def run(objects: int) -> list[Section]:
    """Import and read ``objects`` objects through the sandbox and through the baseline."""
    pin(1)
    bodies = list(batch_bodies(objects, PAGE))
    sandbox, port = start_server(["-m", "sandbox", "--port", "0", "--seed", "none"], True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            import_s = post_batches(http, bodies, check=True)
            rss = _rss_mb(sandbox.pid)
            read_s, read_n, page = read_pages(http, objects)
    finally:
        sandbox.kill()
    assert read_n == objects, f"read {read_n} of {objects}"
    with tempfile.NamedTemporaryFile(suffix=".json") as page_file:
        Path(page_file.name).write_bytes(page)
        base, base_port = start_server(["-m", "bench.baseline_server", page_file.name], False)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{base_port}", timeout=60) as http:
                base_import_s = post_batches(http, bodies, check=False)
                base_read_s, _, _ = read_pages(http, objects)
        finally:
            base.kill()
    rates = [("batch import (1,000 per request)", objects / import_s, objects / base_import_s),
             ("after-cursor read (pages of 1,000, include=vector)", objects / read_s,
              objects / base_read_s)]
    throughput = Section(
        "Sandbox throughput",
        f"{objects:,} objects with {DIMS}-dim float32 vectors and two properties. The sandbox "
        "runs in its own process pinned to one core; the client (httpx + orjson) runs on the "
        "other. The baseline is a trivial HTTP server, measured in the same run, that serves the "
        "same page bytes and swallows the same batch bodies: it costs only HTTP and the client.",
        ("operation", "sandbox objects/s", "baseline objects/s", "sandbox / baseline", "target"),
        [(name, f"{rate:,.0f}", f"{base:,.0f}", f"{rate / base:.2f}",
          f"{TARGET:,}/s: {verdict(rate >= TARGET)}") for name, rate, base in rates],
        all(rate >= TARGET for _, rate, _ in rates),
        f"Sandbox resident memory after the import: {rss:,.0f} MB. A ratio near 1 means the "
        "sandbox adds little beyond HTTP and the client.")
    steps = _lifecycle()
    lifecycle = Section(
        "Sandbox lifecycle",
        "Median wall time. The start/stop baseline is a bare stdlib `ThreadingHTTPServer` "
        "started and shut down the same way.",
        ("step", "sandbox", "baseline", "target"),
        [(name, f"{s * 1000:.1f} ms", "n/a" if math.isnan(base) else f"{base * 1000:.1f} ms",
          f"under {target:g} s: {verdict(s < target)}") for name, s, base, target in steps],
        all(s < target for _, s, _, target in steps))
    return [throughput, lifecycle]
