"""Completion latency on a schema of 10,000 collections (``measure()``; the aim is p99 < 10 ms).

One sample is one keystroke's whole completion: ``suggest`` plus matching plus building
every ``Completion``, as ``ThreadedCompleter`` would run it, on an in-memory snapshot (no
network: completion never touches it). The mix is command names, collection prefixes of
one to nine characters, and properties after ``Collection.``. ``python -m bench.completion``
prints the figures; ``python -m bench`` calls ``measure()``.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from commands.registry import Registry
from commands.spec import Arg, Kind, Opt, command
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache, MetadataSnapshot

COLLECTIONS = 10_000
SAMPLES = 2_000
WORDS = ("Article", "Product", "Ticket", "Document", "Chunk", "Customer", "Order", "Invoice",
         "Event", "Review", "Image", "Audit", "Session", "Message", "Report", "Tenant")


def _noop(ctx: Any, **arguments: Any) -> None:
    return None


def _registry() -> Registry:
    """Commands shaped like the shell's: collection, property and tenant slots, options."""
    table = [
        ("show", (Arg("collection", Kind.COLLECTION, from_context=True),), ()),
        ("objects", (Arg("collection", Kind.COLLECTION, from_context=True),),
         (Opt("--properties", Kind.PROPERTY), Opt("--tenant", Kind.TENANT),
          Opt("--limit", Kind.INT))),
        ("count", (Arg("collection", Kind.COLLECTION, from_context=True),),
         (Opt("--tenant", Kind.TENANT),)),
        ("shards", (Arg("collection", Kind.COLLECTION),), ()),
        ("ls", (Arg("pattern", Kind.PATTERN, required=False),), ()),
        ("help", (Arg("command", Kind.COMMAND, required=False),), ()),
    ]
    return Registry(command(name, f"The {name} command.", args=args, opts=opts)(_noop).spec
                    for name, args, opts in table)


def schema(count: int = COLLECTIONS, seed: int = 7) -> MetadataSnapshot:
    """``count`` collections with eight properties each, as ``GET /v1/schema`` lists them."""
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < count:
        names.add(rng.choice(WORDS) + rng.choice(WORDS) + str(rng.randrange(100_000)))
    classes = [{"class": name, "properties": [
        {"name": f"{word.lower()}{i}", "dataType": ["text"]}
        for i, word in enumerate(rng.sample(WORDS, 8))]} for name in sorted(names)]
    return MetadataSnapshot.from_schema(classes, fetched_at=time.time())


def _lines(snapshot: MetadataSnapshot, samples: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    names = snapshot.collections
    lines = []
    for i in range(samples):
        name = rng.choice(names)
        case = i % 4
        if case == 0:
            lines.append("\\" + rng.choice(("s", "sh", "o", "obj", "c", "", "l", "he")))
        elif case == 1:
            lines.append(f"\\show {name[:rng.randint(1, 9)]}")
        elif case == 2:
            lines.append(f"\\objects {name[:rng.randint(3, 12)]}")
        else:
            prop = next(iter(snapshot.properties[name]))
            lines.append(f"\\objects --properties {name}.{prop[:rng.randint(0, 3)]}")
    return lines


def measure(samples: int = SAMPLES, collections: int = COLLECTIONS) -> list[tuple[str, float]]:
    """Completion latency in milliseconds: ``[("p50", ms), ("p99", ms), ("all names", ms)]``.

    p50 and p99 are over the mix of ``samples`` keystrokes. "all names" is the worst case,
    outside the mix: the median time to list every one of the ``collections`` names for an
    empty prefix (``\\show `` TAB); ``ThreadedCompleter`` streams them, so the menu opens
    sooner than that.
    """
    snapshot = schema(collections)
    completer = MetaCommandCompleter(_registry(), MetadataCache(snapshot))
    event = CompleteEvent(completion_requested=True)
    timings = []
    for line in _lines(snapshot, samples):
        document = Document(line)
        started = time.perf_counter()
        list(completer.get_completions(document, event))
        timings.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(timings, n=100)
    listing = []
    for _ in range(20):
        started = time.perf_counter()
        list(completer.get_completions(Document("\\show "), event))
        listing.append((time.perf_counter() - started) * 1000)
    return [("p50", cuts[49]), ("p99", cuts[98]), ("all names", statistics.median(listing))]


if __name__ == "__main__":
    print(f"completion latency, {COLLECTIONS:,} collections, {SAMPLES:,} keystrokes:")
    for name, value in measure():
        print(f"  {name}: {value:.3f} ms")
