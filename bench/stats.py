"""``\\stats`` at scale: requests per ``--watch`` interval and the time one sample takes, on
1,000 collections in a sandbox in its own process (OPERATIONS.md §4: the polling tiers)."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench.report import Section, start_server, verdict
from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.ops.stats.sample import Sampler, StatsOptions
from commands.registry import Registry
from commands.results import Result

COLLECTIONS = 1000
OBJECTS_EACH = 10
INTERVAL = 0.5
SAMPLES = 10
LIMIT = 20


class _Quiet:
    """A live view that draws nothing and waits as the terminal would."""

    format = "json"
    height = None

    def show(self, results: list[Result]) -> None:
        pass

    def wait(self, seconds: float) -> bool:
        time.sleep(seconds)
        return True


def _fill(http: httpx.Client) -> None:
    for i in range(COLLECTIONS):
        http.post("/v1/schema", json={"class": f"Bench{i:04d}", "properties": [
            {"name": "n", "dataType": ["int"]}]}).raise_for_status()
    objects = [{"class": f"Bench{i:04d}", "properties": {"n": n}}
               for i in range(COLLECTIONS) for n in range(OBJECTS_EACH + i % 7)]
    for start in range(0, len(objects), 1000):
        http.post("/v1/batch/objects", json={"objects": objects[start:start + 1000]}
                  ).raise_for_status()


def _watch_requests(url: str, http: httpx.Client) -> tuple[int, float, Counter[str]]:
    """Requests of the first interval, the mean of the later ones, and all by kind."""
    @contextmanager
    def live(fmt: str) -> Iterator[_Quiet]:
        yield _Quiet()

    session = Session(connection=open_connection(url), live=live)
    dispatcher = Dispatcher(Registry.from_modules(MODULES), session, MemoryAuditLog())
    http.delete("/__sandbox/requests")
    dispatcher.execute(rf"\stats --watch {INTERVAL} --count 1", "bench")
    first = len(http.get("/__sandbox/requests").json())
    http.delete("/__sandbox/requests")
    dispatcher.execute(rf"\stats --watch {INTERVAL} --count {SAMPLES}", "bench")
    made = http.get("/__sandbox/requests").json()
    kinds = Counter(_kind(r) for r in made)
    later = (len(made) - first) / (SAMPLES - 1)  # the first of this run is a first interval
    return first, later, kinds


def _kind(entry: dict) -> str:
    path = entry["path"]
    if path.startswith("/v1/nodes/"):
        return "/v1/nodes/{c}?output=verbose"
    output = entry["query"].get("output")
    return f"{path}?output={output}" if output else path


def _sample_seconds(url: str) -> tuple[float, float]:
    """Median seconds of a one-shot sample and of a steady watch sample."""
    api = open_connection(url).api
    one_shot = []
    for _ in range(5):
        sampler = Sampler(api, StatsOptions(limit=LIMIT))
        started = time.perf_counter()
        sampler.sample()
        one_shot.append(time.perf_counter() - started)
        sampler.close()
    sampler = Sampler(api, StatsOptions(limit=LIMIT, interval=2.0))
    sampler.sample()
    steady = []
    for _ in range(5):
        started = time.perf_counter()
        sampler.sample()
        steady.append(time.perf_counter() - started)
    sampler.close()
    return statistics.median(one_shot), statistics.median(steady)


def run() -> Section:
    """Measure against a sandbox in its own process."""
    server, port = start_server(["-m", "sandbox", "--port", "0", "--seed", "none"], True)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            _fill(http)
            first, later, kinds = _watch_requests(url, http)
            one_shot, steady = _sample_seconds(url)
    finally:
        server.kill()
    budget = 1 + LIMIT
    ok_requests = later <= budget
    ok_time = steady < 0.9 * 2.0 and one_shot < 1.0
    by_kind = ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items()))
    rows = [
        (rf"requests per `\stats --watch {INTERVAL:g}` interval, steady",
         f"{later:.1f}", f"at most {budget} (minimal /v1/nodes + verbose for the {LIMIT} "
         f"shown): {verdict(ok_requests)}"),
        ("requests in the first interval", f"{first}",
         "schema and one full verbose (to pick the largest), then once a minute"),
        ("one sample, one-shot (`\\stats`)", f"{one_shot * 1000:.0f} ms",
         f"under 1 s: {verdict(one_shot < 1.0)}"),
        ("one sample in a watch (cached schema)", f"{steady * 1000:.0f} ms",
         f"under 0.9 x the 2 s interval: {verdict(steady < 1.8)}"),
    ]
    return Section(
        r"\stats --watch cost",
        f"{COLLECTIONS:,} collections with {OBJECTS_EACH}-{OBJECTS_EACH + 6} objects each, in a "
        f"sandbox in its own process; `--limit {LIMIT}` (the default). Requests counted from "
        f"the sandbox's request log over {SAMPLES} intervals of {INTERVAL:g} s: {by_kind}. "
        "Medians of 5 samples.",
        ("measure", "result", "aim"), rows, ok_requests and ok_time)
