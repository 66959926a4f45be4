"""Completion latency at 10,000 collections x 50 properties (part ``completion``).

One sample is one keystroke's whole completion as ``ThreadedCompleter`` runs it: the shell's
real registry and ``MetaCommandCompleter`` given a ``Document`` and a ``CompleteEvent``,
``suggest`` plus the lookups plus every ``Completion`` built (no network: completion never
touches it). Five cases: an empty prefix (every collection), a broad prefix (one or two
letters), a narrow one (all but the last characters of a name), properties (after
``Collection.`` and after ``--properties``) and tenants of a collection with 10,000 of them.
The baseline is the same keystrokes on 1,000 collections (and 1,000 tenants), measured in the
same run: a ratio near 1 means the cost does not grow with the cluster.
``python -m bench --only completion`` updates its section of docs/benchmarks.md.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from bench.report import Section, verdict
from commands.meta import MODULES
from commands.registry import Registry
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache, MetadataSnapshot

COLLECTIONS, PROPERTIES, TENANTS = 10_000, 50, 10_000
# Collections and tenants of the baseline run: a tenth of the cluster, and enough that a broad
# prefix fills the menu there too (at 100, a menu of 15 names would be cheaper for that alone).
BASELINE = 1_000
SAMPLES = 600  # keystrokes per case and size
AIM_MS = 10.0
MULTI_TENANT = "SupportTicket"
TEAMS = ("Article", "Product", "Ticket", "Document", "Chunk", "Customer", "Order", "Invoice",
         "Event", "Review", "Image", "Audit", "Session", "Message", "Report", "Billing")
FIELDS = ("title", "body", "author", "createdAt", "updatedAt", "tags", "rating", "price",
          "summary", "url", "language", "category", "status", "ownerId", "score", "source")
TYPES = ("text", "text", "text[]", "int", "number", "boolean", "date", "uuid")


def classes(count: int, properties: int = PROPERTIES, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` collections (one of them multi-tenant) of ``properties`` properties each,
    with names as teams give them (``ArticleReview12345``) and property lists that differ
    from one collection to the next."""
    rng = random.Random(seed)
    names = {MULTI_TENANT}
    while len(names) < count:
        names.add(rng.choice(TEAMS) + rng.choice(TEAMS) + str(rng.randrange(100_000)))
    return [{"class": name,
             "multiTenancyConfig": {"enabled": name == MULTI_TENANT},
             "properties": [{"name": f"{rng.choice(FIELDS)}{j}", "dataType": [rng.choice(TYPES)]}
                            for j in range(properties)]}
            for name in sorted(names)]


def _snapshot(collections: int, tenants: int) -> MetadataSnapshot:
    snapshot = MetadataSnapshot.from_schema(classes(collections), fetched_at=time.time())
    statuses = ("HOT", "HOT", "HOT", "COLD")
    return snapshot.with_tenants(MULTI_TENANT, {f"customer-{i:05d}": statuses[i % 4]
                                                for i in range(tenants)})


def _cases(snapshot: MetadataSnapshot) -> dict[str, Callable[[random.Random], str]]:
    """A line typed in each case, drawn at random from the snapshot's names."""
    names = [n for n in snapshot.collections if n != MULTI_TENANT]
    tenants = list(snapshot.tenants[MULTI_TENANT])

    def narrow(rng: random.Random) -> str:
        name = rng.choice(names)
        return "\\show " + name[:len(name) - rng.randint(0, 2)]

    def props(rng: random.Random) -> str:
        name = rng.choice(names)
        prop = rng.choice(snapshot.properties.names(name))[:rng.randint(0, 2)]
        return (f"\\objects --properties {name}.{prop}" if rng.random() < 0.5
                else f"\\objects {name} --properties {prop}")

    return {
        "empty prefix": lambda rng: "\\show ",
        "broad prefix": lambda rng: "\\show " + rng.choice(names)[:rng.randint(1, 2)],
        "narrow prefix": narrow,
        "properties": props,
        "tenants": lambda rng: f"\\objects {MULTI_TENANT} --tenant "
                               + rng.choice(tenants)[:rng.randint(0, 11)],
    }


def _time(completer: MetaCommandCompleter,
          lines: list[str]) -> tuple[list[float], list[float], float]:
    """Milliseconds per keystroke (wall and this thread's CPU), and the mean number of
    entries offered."""
    event = CompleteEvent(completion_requested=True)
    wall, cpu, offered = [], [], 0
    for line in lines:
        document = Document(line)
        started, started_cpu = time.perf_counter(), time.thread_time()
        found = list(completer.get_completions(document, event))
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        offered += len(found)
    return wall, cpu, offered / len(lines)


def measure(samples: int = SAMPLES) -> dict[str, dict[str, float]]:
    """Per case, at full size and at the baseline size: p50 and p99 in ms (wall), p99 of
    the CPU time (what the keystroke costs, without the waits another process causes on
    a busy machine), and the entries offered."""
    registry = Registry.from_modules(MODULES)
    sizes = {"full": _snapshot(COLLECTIONS, TENANTS), "base": _snapshot(BASELINE, BASELINE)}
    completers = {size: MetaCommandCompleter(registry, MetadataCache(snap))
                  for size, snap in sizes.items()}
    results: dict[str, dict[str, float]] = {}
    cases = {size: _cases(snap) for size, snap in sizes.items()}
    for case in cases["full"]:
        figures: dict[str, float] = {}
        for size in sizes:
            rng = random.Random(11)
            lines = [cases[size][case](rng) for _ in range(samples)]
            _time(completers[size], lines[:50])  # warm up
            wall, cpu, offered = _time(completers[size], lines)
            cuts = statistics.quantiles(wall, n=100)
            figures |= {f"{size} p50": cuts[49], f"{size} p99": cuts[98],
                        f"{size} cpu p99": statistics.quantiles(cpu, n=100)[98],
                        f"{size} offered": offered}
        results[case] = figures
    return results


def run() -> list[Section]:
    """The ``completion`` section of docs/benchmarks.md."""
    results = measure()
    rows = []
    for case, f in results.items():
        rows.append((case, f"{f['full p50']:.2f} / {f['full p99']:.2f} ms",
                     f"{f['full cpu p99']:.2f} ms", f"{f['full offered']:.0f}",
                     f"{f['base p50']:.2f} / {f['base p99']:.2f} ms",
                     f"{f['full p50'] / f['base p50']:.2f}x",
                     verdict(f["full p99"] < AIM_MS)))
    met = all(f["full p99"] < AIM_MS for f in results.values())
    return [Section(
        "Completion latency",
        f"One keystroke's whole completion through the shell's registry and "
        f"`MetaCommandCompleter` (a `Document` and a `CompleteEvent`, every `Completion` "
        f"built), {SAMPLES} keystrokes per case, on {COLLECTIONS:,} collections x "
        f"{PROPERTIES} properties with a collection of {TENANTS:,} tenants. The baseline is "
        f"the same keystrokes on {BASELINE:,} collections and {BASELINE:,} tenants, in the same "
        f"run. Latencies are wall time; \"CPU p99\" is the completing thread's CPU time, "
        f"which waits for other processes on a busy machine do not inflate. \"offered\" is "
        f"the mean number of menu entries (at most 100 names, then one '… N more').",
        ("case", f"p50 / p99 at {COLLECTIONS:,}", "CPU p99", "offered",
         f"p50 / p99 at {BASELINE:,}",
         "p50 ratio", f"p99 under {AIM_MS:g} ms"), rows, met)]


if __name__ == "__main__":
    for name, figures in measure().items():
        print(name, {k: round(v, 3) for k, v in figures.items()})
