"""``python -m bench``: sandbox throughput against a same-run baseline.

The server under test runs in its own process pinned to one core, the client on
the other, so "objects/s on one core" means the server's core. Results are
written to ``docs/benchmarks.md`` with the machine and the date.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
DIMS = 128
PAGE = 1000
TARGET = 20_000


def _pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {core})


def _start(args: list[str], pattern: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=lambda: _pin(0))
    stream = proc.stderr if pattern == "sandbox" else proc.stdout
    line = stream.readline()
    match = re.search(r":(\d+) with|^(\d+)$", line.strip())
    if not match:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, int(match.group(1) or match.group(2))


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _batches(count: int, batch: int) -> list[bytes]:
    rng = np.random.default_rng(1)
    ids = random.Random(1)
    bodies = []
    for start in range(0, count, batch):
        n = min(batch, count - start)
        vecs = rng.standard_normal((n, DIMS), dtype=np.float32)
        objects = [{"class": "Bench", "id": str(uuid.UUID(int=ids.getrandbits(128))),
                    "properties": {"title": f"object {start + i}", "n": start + i},
                    "vector": vecs[i]} for i in range(n)]
        bodies.append(orjson.dumps({"objects": objects}, option=orjson.OPT_SERIALIZE_NUMPY))
    return bodies


def _import(http: httpx.Client, bodies: list[bytes], check: bool) -> float:
    started = time.perf_counter()
    for body in bodies:
        response = http.post("/v1/batch/objects", content=body,
                             headers={"Content-Type": "application/json"})
        response.raise_for_status()
        if check:
            assert all(r["result"]["status"] == "SUCCESS" for r in orjson.loads(response.content))
    return time.perf_counter() - started


def _read(http: httpx.Client, limit: int) -> tuple[float, int, bytes]:
    """Page through the collection; stop at an empty page or after ``limit`` objects."""
    started, after, total, first = time.perf_counter(), "", 0, b""
    while True:
        response = http.get("/v1/objects", params={"class": "Bench", "limit": PAGE,
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


def _lifecycle(runs: int = 20) -> list[tuple[str, float, float, float]]:
    """Median seconds: in-process start+stop against a bare stdlib server, and the demo seed."""
    import statistics
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from sandbox import Sandbox
    from sandbox.seed import load_demo
    from sandbox.store import Database

    def timed(action, runs: int = runs) -> float:
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            action()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    def bare() -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        server.shutdown()
        thread.join()
        server.server_close()

    def sandbox() -> None:
        Sandbox().start().stop()

    return [("start and stop, in-process (empty)", timed(sandbox), timed(bare), 1.0),
            ("demo seed (20,000-object collection and four more)",
             timed(lambda: load_demo(Database()), runs=3), float("nan"), 2.0)]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write docs/benchmarks.md."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--objects", type=int, default=200_000)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    _pin(1)
    bodies = _batches(args.objects, PAGE)
    sandbox, port = _start(["-m", "sandbox", "--port", "0", "--seed", "none"], "sandbox")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            import_s = _import(http, bodies, check=True)
            rss = _rss_mb(sandbox.pid)
            read_s, read_n, page = _read(http, args.objects)
    finally:
        sandbox.kill()
    assert read_n == args.objects, f"read {read_n} of {args.objects}"
    with tempfile.NamedTemporaryFile(suffix=".json") as page_file:
        Path(page_file.name).write_bytes(page)
        base, base_port = _start(["-m", "bench.baseline_server", page_file.name], "baseline")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{base_port}", timeout=60) as http:
                base_import_s = _import(http, bodies, check=False)
                base_read_s, _, _ = _read(http, args.objects)
        finally:
            base.kill()
    rows = [("batch import (1,000 per request)", args.objects / import_s,
             args.objects / base_import_s),
            ("after-cursor read (pages of 1,000, include=vector)", args.objects / read_s,
             args.objects / base_read_s)]
    lifecycle = _lifecycle()
    _write(args.output, args.objects, rows, rss, lifecycle)
    print(args.output.read_text())
    return 0 if all(rate >= TARGET for _, rate, _ in rows) and all(
        seconds < target for _, seconds, _, target in lifecycle) else 1


def _write(path: Path, count: int, rows: list[tuple[str, float, float]], rss: float,
           lifecycle: list[tuple[str, float, float, float]]) -> None:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    lines = [
        "# Benchmarks", "",
        "Written by `make bench` (`python -m bench`); rerun to refresh.", "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- python: {platform.python_version()}", "",
        "## Sandbox throughput", "",
        f"{count:,} objects with {DIMS}-dim float32 vectors and two properties. The sandbox runs "
        "in its own process pinned to one core; the client (httpx + orjson) runs on the other. "
        "The baseline is a trivial HTTP server, measured in the same run, that serves the same "
        "page bytes and swallows the same batch bodies: it costs only HTTP and the client.", "",
        "| operation | sandbox objects/s | baseline objects/s | sandbox / baseline | target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, rate, base in rows:
        verdict = "met" if rate >= TARGET else "MISSED"
        lines.append(f"| {name} | {rate:,.0f} | {base:,.0f} | {rate / base:.2f} | "
                     f"{TARGET:,}/s: {verdict} |")
    lines += ["", f"Sandbox resident memory after the import: {rss:,.0f} MB.", "",
              "Reading the ratios: a ratio near 1 means the sandbox adds little beyond HTTP and "
              "the client.", "",
              "## Sandbox lifecycle", "",
              "Median wall time. The start/stop baseline is a bare stdlib `ThreadingHTTPServer` "
              "started and shut down the same way.", "",
              "| step | sandbox | baseline | target |", "| --- | ---: | ---: | --- |"]
    for name, seconds, base, target in lifecycle:
        baseline = "n/a" if math.isnan(base) else f"{base * 1000:.1f} ms"
        verdict = "met" if seconds < target else "MISSED"
        lines.append(f"| {name} | {seconds * 1000:.1f} ms | {baseline} | under {target:g} s: "
                     f"{verdict} |")
    lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
