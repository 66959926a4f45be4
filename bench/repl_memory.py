"""The REPL's memory at 10,000 collections x 50 properties (part ``repl-memory``).

The shell runs as a user runs it: ``python -m shell --url URL`` in a pseudo-terminal, against
a sandbox in its own process holding 10,000 collections of 50 properties (``GET /v1/schema``
answers about 75 MB). Its peak (VmHWM) and steady (VmRSS) resident memory are read from
/proc once the first schema refresh (on connect) is over and ``\\conninfo`` has drawn a
table (so rich is loaded), and again after four ``\\refresh`` more. The baseline, in the
same run and the same terminal harness, is a bare prompt_toolkit prompt in a process that
imports what the REPL has loaded by then (httpx, msgspec, rich). A second section times
the decoders on that schema body: the shell's chunked msgspec reader against orjson and
json building every dict.
``python -m bench --only repl-memory`` updates its sections.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import pexpect

from bench.completion import PROPERTIES, classes
from bench.report import (
    ROOT,
    Section,
    create_collections,
    median_seconds,
    process_env,
    start_server,
    verdict,
)
from completers.compact import CompactSchema, SchemaReader, compact

COLLECTIONS = 10_000
REFRESHES = 5
CHUNK = 64 * 1024  # what httpcore reads from the socket at a time
AIM_MB = 150.0
# Steady memory after five refreshes may exceed that after two by this (what the allocator
# keeps between runs moves by about 1 MB). The second refresh is the first that holds two
# snapshots at once, the old one serving completion while the new one is built: the room
# the allocator keeps for that from then on is a step once, not a growth.
GROWTH_MB = 2.0
BASELINE = ("import httpx, msgspec, rich\n"
            "from prompt_toolkit import PromptSession\n"
            "PromptSession().prompt('bench> ')\n")


def _memory(pid: int) -> tuple[float, float]:
    """(peak, current) resident memory of ``pid`` in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text()
                  .splitlines() if ":" in line)
    return tuple(int(fields[key].split()[0]) / 1024 for key in ("VmHWM", "VmRSS"))  # type: ignore[return-value]


def _cpu_ticks(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(stat[11]) + int(stat[12])  # utime + stime


def _settle(child: pexpect.spawn, quiet: float = 0.6, timeout: float = 120.0) -> None:
    """Wait until the process has used no CPU for ``quiet`` seconds (its work is done),
    draining its terminal output meanwhile."""
    deadline = time.monotonic() + timeout
    ticks, since = _cpu_ticks(child.pid), time.monotonic()
    while time.monotonic() < deadline:
        try:
            child.read_nonblocking(65536, timeout=0.1)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass
        now = _cpu_ticks(child.pid)
        if now != ticks:
            ticks, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
    raise RuntimeError("the process did not settle")


def _schema_fetched(http: httpx.Client, times: int, timeout: float = 120.0) -> None:
    """Wait until the sandbox has answered ``times`` schema refreshes (their last request,
    the roles list, was logged)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = http.get("/__sandbox/requests").json()
        if sum(1 for r in log if r.get("path") == "/v1/authz/roles") >= times:
            return
        time.sleep(0.2)
    raise RuntimeError("the shell did not refresh its schema cache")


def _baseline(env: dict[str, str]) -> tuple[float, float]:
    child = pexpect.spawn(sys.executable, ["-c", BASELINE], env=env, dimensions=(40, 120),
                          timeout=60)
    try:
        child.expect("bench>")
        _settle(child)
        return _memory(child.pid)
    finally:
        child.terminate(force=True)


def _repl(url: str, env: dict[str, str], http: httpx.Client) -> dict[int, tuple[float, float]]:
    """Memory after the first refresh, the second (the first that holds two snapshots for
    a moment) and after ``REFRESHES`` of them."""
    http.delete("/__sandbox/requests")
    child = pexpect.spawn(sys.executable, ["-m", "shell", "--url", url], cwd=str(ROOT),
                          env=env, dimensions=(40, 120), timeout=60)
    try:
        child.expect("> ")
        _schema_fetched(http, 1)
        child.sendline("\\conninfo")  # draws a table: rich is loaded from now on
        _settle(child)
        found = {1: _memory(child.pid)}
        for done in range(2, REFRESHES + 1):
            child.sendline("\\refresh")
            _schema_fetched(http, done)
            _settle(child)
            if done in (2, REFRESHES):
                found[done] = _memory(child.pid)
        child.sendline("\\q")
        child.expect(pexpect.EOF)
        return found
    finally:
        child.terminate(force=True)


def run(count: int = COLLECTIONS) -> list[Section]:
    """The ``repl-memory`` section of docs/benchmarks.md."""
    with tempfile.TemporaryDirectory() as state:
        env = process_env(state)
        server, port = start_server(["-m", "sandbox", "--port", "0", "--seed", "none"], True)
        url = f"http://127.0.0.1:{port}"
        try:
            fill_s = create_collections(url, classes(count))
            with httpx.Client(base_url=url, timeout=120) as http:
                body = http.get("/v1/schema").content
                base_peak, base_steady = _baseline(env)
                memory = _repl(url, env, http)
        finally:
            server.kill()
    size = len(body) / 1e6
    decoding = _decoding(body)
    del body
    steady2, steady5 = memory[2][1], memory[REFRESHES][1]
    growth = steady5 - steady2
    met = max(max(m) for m in memory.values()) < AIM_MB and growth < GROWTH_MB
    rows = [(f"after {n} refresh{'es' if n > 1 else ''}", f"{peak:.0f} MB", f"{steady:.0f} MB",
             f"{steady / base_steady:.2f}x ({steady - base_steady:+.0f} MB)",
             verdict(max(peak, steady) < AIM_MB))
            for n, (peak, steady) in memory.items()]
    rows.append(("baseline: a bare prompt", f"{base_peak:.0f} MB", f"{base_steady:.0f} MB",
                 "1.00x", ""))
    rows.append((f"growth from 2 to {REFRESHES} refreshes", "", f"{growth:+.1f} MB", "",
                 f"under {GROWTH_MB:g} MB: {verdict(growth < GROWTH_MB)}"))
    return [Section(
        "REPL memory",
        f"`python -m shell --url URL` in a pseudo-terminal against a sandbox in its own "
        f"process with {count:,} collections x {PROPERTIES} properties (`GET /v1/schema`: "
        f"{size:.0f} MB; creating them took {fill_s:.0f} s, not counted). Peak is VmHWM, "
        f"steady is VmRSS once the process is idle, after the refresh on connect and after "
        f"{REFRESHES - 1} `\\refresh` more. The second refresh is the first that holds two "
        f"snapshots at once (the old one answers completion while the new one is built): "
        f"the allocator keeps that room from then on, a step once; from the second refresh on "
        f"memory must stay flat. The baseline, measured in the same run the same way, is a "
        f"bare prompt_toolkit prompt in a process that imports httpx, msgspec and rich.",
        ("when", "peak", "steady", "steady vs baseline", f"under {AIM_MB:g} MB"), rows, met),
        _decoding_section(decoding, size, count)]


def _in_chunks(body: bytes) -> CompactSchema:
    reader = SchemaReader()
    for start in range(0, len(body), CHUNK):
        reader.feed(body[start:start + CHUNK])
    return reader.finish()


def _decoding(body: bytes) -> dict[str, tuple[float, float]]:
    """Seconds (median of 3) and traced peak MB to turn the schema body into the cache."""
    ways: dict[str, Callable[[], object]] = {
        "orjson, then the compact form": lambda: compact(orjson.loads(body)["classes"]),
        "json, then the compact form": lambda: compact(json.loads(body)["classes"]),
        f"msgspec `SchemaReader` in {CHUNK // 1024} KiB chunks (the shell)":
            lambda: _in_chunks(body),
    }
    found = {}
    for name, way in ways.items():
        seconds = median_seconds(way, 3)
        tracemalloc.start()
        way()
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        found[name] = (seconds, peak)
    return found


def _decoding_section(found: dict[str, tuple[float, float]], size: float,
                      count: int) -> Section:
    base_s, base_mb = next(iter(found.values()))
    rows = [(name, f"{seconds:.2f} s ({seconds / base_s:.2f}x)",
             f"{peak:.0f} MB ({peak / base_mb:.2f}x)") for name, (seconds, peak) in found.items()]
    ours_s, ours_mb = list(found.values())[-1]
    return Section(
        "Schema cache decoding",
        f"The {size:.0f} MB `GET /v1/schema` body of {count:,} collections x {PROPERTIES} "
        "properties turned into the completion cache's compact form, in the benchmark's "
        "process; the baseline is orjson (the first row), measured in the same run. Peak is "
        "what tracemalloc saw allocated beyond the body itself, which the shell never holds "
        "whole (it reads the response in chunks) while a full parse needs all of it first.",
        ("decoder", "time", "traced peak"), rows, ours_s < base_s and ours_mb < base_mb / 4)


if __name__ == "__main__":
    for section in run(int(sys.argv[1]) if len(sys.argv) > 1 else COLLECTIONS):
        for row in section.rows:
            print(" | ".join(row))
