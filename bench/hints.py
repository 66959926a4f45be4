"""A typo's "did you mean" against the answer for a name that exists, at 10,000 collections.

``elysiactl -c '\\show Typo'`` (a lookup that 404s, then the names by GraphQL introspection
and the hint) against ``elysiactl -c '\\show ExistingName'`` (the lookup and the class
drawn), both as whole processes on a sandbox in its own process holding 10,000 collections
of 50 properties each, interleaved, medians. Then the same two commands in a REPL session
whose completion cache is filled (the hint reads the cache's names), through the real
dispatcher and renderer. ``python -m bench --only hints`` updates its section.
"""

from __future__ import annotations

import io
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx
from rich.console import Console

from bench.report import (
    ROOT,
    Section,
    create_collections,
    median_seconds,
    process_env,
    start_server,
    verdict,
)
from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.ops.hints import INTROSPECT_GET
from commands.registry import Registry
from completers.metadata import MetadataCache
from completers.refresher import MetadataRefresher
from shell.render import Renderer

COLLECTIONS = 10_000
PROPERTIES = 50
RUNS = 9
REPL_RUNS = 30
AIM = 1.2
WORDS = ("Article", "Product", "Ticket", "Document", "Chunk", "Customer", "Order", "Invoice",
         "Event", "Review", "Image", "Audit", "Session", "Message", "Report", "Tenant")


def names(count: int, seed: int = 3) -> list[str]:
    """``count`` names built from a few words, as teams name collections: many look alike,
    which is the hard case for a hint."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        found.add(rng.choice(WORDS) + rng.choice(WORDS) + str(rng.randrange(100_000)))
    return sorted(found)


def bodies(classes: list[str], properties: int) -> list[dict[str, Any]]:
    """Class bodies of ``properties`` text properties each."""
    props = [{"name": f"field{i}", "dataType": ["text"]} for i in range(properties)]
    return [{"class": name, "properties": props} for name in classes]


# Runs a command and writes its peak RSS (kB) into the file argv[1]. A child's peak counts
# the memory of the process it was forked from, so the shell is started from this small
# process rather than from the benchmark, which holds much more.
_PEAK = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[2:]); "
         "_, _, use = os.wait4(p.pid, 0); open(sys.argv[1], 'w').write(str(use.ru_maxrss))")


def _process(url: str, line: str, env: dict[str, str], expect: int) -> float:
    """Wall seconds of one ``elysiactl --url URL -c LINE``, its output drawn into files."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "shell", "--url", url, "-c", line],
                              cwd=ROOT, env=env, stdout=out, stderr=err, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != expect:
            err.seek(0)
            raise RuntimeError(f"{line}: exit {done.returncode}: {err.read().decode()[-300:]}")
    return elapsed


def _peak_mb(url: str, line: str, env: dict[str, str]) -> int:
    """Peak RSS (MB) of one ``elysiactl --url URL -c LINE``."""
    with tempfile.NamedTemporaryFile("r") as peak:
        subprocess.run([sys.executable, "-c", _PEAK, peak.name, sys.executable, "-m", "shell",
                        "--url", url, "-c", line], cwd=ROOT, env=env, capture_output=True,
                       check=False)
        return int(peak.read()) // 1024


def _in_repl(url: str, existing: str, typo: str) -> tuple[float, float, list[tuple[str, str]]]:
    """Median seconds of each command dispatched and drawn in a session whose completion
    cache is filled, and the requests the typo made."""
    session = Session()
    session.connection = open_connection(url)
    cache = MetadataCache()
    refresher = MetadataRefresher(cache, lambda: session.connection.api)
    session.known_collections = lambda: s.collections if (s := cache.snapshot).fetched_at \
        else None  # as shell/app.py sets it
    refresher.refresh()
    refresher.wait(300)
    dispatcher = Dispatcher(Registry.from_modules(MODULES), session, MemoryAuditLog())
    sink = io.StringIO()
    renderer = Renderer(Console(file=sink, width=120), Console(file=sink, width=120))

    def show(line: str) -> None:
        outcome = dispatcher.execute(line, "repl")
        if outcome.error is not None:
            renderer.error(outcome.error)
        else:
            renderer.render(outcome, outcome.format or "table")
        sink.seek(0)
        sink.truncate()

    good = median_seconds(lambda: show(rf"\show {existing}"), REPL_RUNS)
    bad = median_seconds(lambda: show(rf"\show {typo}"), REPL_RUNS)
    with httpx.Client(base_url=url) as http:
        http.delete("/__sandbox/requests")
        show(rf"\show {typo}")
        sent = [(e["method"], e["path"]) for e in http.get("/__sandbox/requests").json()]
    refresher.stop()
    return good, bad, sent


def run(collections: int = COLLECTIONS, properties: int = PROPERTIES) -> Section:
    """Measure against a sandbox in its own process."""
    classes = names(collections)
    existing = classes[len(classes) // 2]
    typo = existing[:3] + existing[4:]  # one letter dropped
    with tempfile.TemporaryDirectory() as state:
        env = process_env(state)
        server, port = start_server(["-m", "sandbox", "--port", "0", "--seed", "none"], True)
        url = f"http://127.0.0.1:{port}"
        try:
            fill_s = create_collections(url, bodies(classes, properties))
            with httpx.Client(base_url=url, timeout=120) as http:
                schema_mb = len(http.get("/v1/schema").content) / 1e6
                names_kb = len(http.post("/v1/graphql", json={"query": INTROSPECT_GET}
                                         ).content) / 1e3
            _process(url, rf"\show {existing}", env, 0)  # warm the file cache
            pairs = [(_process(url, rf"\show {existing}", env, 0),
                      _process(url, rf"\show {typo}", env, 1)) for _ in range(RUNS)]
            good = statistics.median(p[0] for p in pairs)
            bad = statistics.median(p[1] for p in pairs)
            good_mb = _peak_mb(url, rf"\show {existing}", env)
            bad_mb = _peak_mb(url, rf"\show {typo}", env)
            repl_good, repl_bad, repl_sent = _in_repl(url, existing, typo)
        finally:
            server.kill()
    ratio, repl_ratio = bad / good, repl_bad / repl_good
    only_lookup = repl_sent == [("GET", f"/v1/schema/{typo}")]
    rows = [
        (rf"`elysiactl -c '\show {typo}'` (typo) vs `'\show {existing}'`",
         f"{bad * 1000:.0f} ms vs {good * 1000:.0f} ms ({ratio:.2f}x)",
         f"at most {AIM}x: {verdict(ratio <= AIM)}"),
        ("peak memory of those processes", f"{bad_mb} MB vs {good_mb} MB", ""),
        ("what the hint fetched", f"{names_kb:,.0f} kB of names by introspection "
                                  f"(`GET /v1/schema` would be {schema_mb:,.1f} MB)", ""),
        (r"in the REPL with its completion cache filled, `\show` typo vs existing "
         "(dispatched and drawn)",
         f"{repl_bad * 1000:.1f} ms vs {repl_good * 1000:.1f} ms ({repl_ratio:.2f}x); "
         f"requests: {', '.join(' '.join(r) for r in repl_sent)}",
         f"no request but the lookup: {verdict(only_lookup)}"),
    ]
    return Section(
        "Name hints without the schema",
        f"{collections:,} collections of {properties} properties each, in a sandbox in its own "
        f"process (creating them took {fill_s:.0f} s, not counted). Process figures are "
        f"medians of {RUNS} interleaved runs of each command; REPL figures are medians of "
        f"{REPL_RUNS} runs through the real dispatcher and renderer, with the cache filled by "
        "the real refresher.",
        ("measure", "result", "aim"), rows, ratio <= AIM and only_lookup)


if __name__ == "__main__":
    section = run(int(sys.argv[1]) if len(sys.argv) > 1 else COLLECTIONS)
    for row in section.rows:
        print(" | ".join(row))
