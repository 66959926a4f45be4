"""Weaviate's Prometheus endpoint (``:2112/metrics``, OPERATIONS.md §1.9): scrape, parse with
``prometheus_client``'s parser, and turn two scrapes into rates and latencies.

Metric names do not follow semver and may change or disappear between versions (§1.9),
so every figure is optional: a series that is absent leaves its figure empty and is
named in ``absent``. Names are matched exactly or behind a namespace prefix
(``PROMETHEUS_MONITORING_METRIC_NAMESPACE``, e.g. ``weaviate_queries_durations_ms``).
With ``PROMETHEUS_MONITORING_GROUP=true`` ``class_name`` is ``"n/a"``: totals still work,
per-collection latencies do not.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from commands.api.client import RestClient
from commands.errors import ShellError, UsageError
from commands.url_credentials import hide
from commands.urls import check_url

QUERY_LATENCY = "queries_durations_ms"
BATCH_OBJECTS = "batch_objects_processed_total"
BATCH_DURATIONS = "batch_durations_ms"
HEAP_INUSE = "go_memstats_heap_inuse_bytes"
Labels = dict[str, str]


@dataclass(frozen=True)
class Scrape:
    """One scrape: every sample by its name, taken at ``at`` (``time.monotonic``)."""

    at: float
    samples: dict[str, list[tuple[Labels, float]]]

    def _name(self, name: str) -> str | None:
        if name in self.samples:
            return name
        return next((n for n in self.samples if n.endswith("_" + name)), None)

    def has(self, name: str) -> bool:
        """True when a series of that name (possibly prefixed; a histogram by its
        ``_count``) was served."""
        return self._name(name) is not None or self._name(name + "_count") is not None

    def total(self, name: str) -> float | None:
        """The sum over every label set of ``name``, or None when it is absent."""
        found = self._name(name)
        if found is None:
            return None
        return sum(value for _, value in self.samples[found])

    def by_label(self, name: str, label: str) -> dict[str, float]:
        """``name`` summed per value of ``label``."""
        out: dict[str, float] = defaultdict(float)
        for labels, value in self.samples.get(self._name(name) or "", []):
            out[labels.get(label, "")] += value
        return dict(out)


def parse(text: str, at: float) -> Scrape:
    """Prometheus text exposition -> ``Scrape`` (``prometheus_client``'s parser, not ours)."""
    samples: dict[str, list[tuple[Labels, float]]] = defaultdict(list)
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[sample.name].append((dict(sample.labels), float(sample.value)))
    except ValueError as exc:
        raise ShellError(f"the metrics endpoint did not answer Prometheus text: {exc}") from None
    return Scrape(at, dict(samples))


def split_url(url: str) -> tuple[str, str]:
    """``http://host:2112/metrics`` -> ``("http://host:2112", "/metrics")``; else UsageError."""
    if hide(url) != url:
        raise UsageError(f"--metrics-url {hide(url)!r}: a metrics URL takes no credentials",
                         "remove them: Weaviate's Prometheus endpoint has no authentication")
    parts = check_url(url, "--metrics-url ", "expected http(s)://HOST:PORT/metrics; Weaviate "
                      "serves Prometheus on port 2112 when PROMETHEUS_MONITORING_ENABLED=true")
    path = parts.path or "/metrics"
    return f"{parts.scheme}://{parts.netloc}", path + (f"?{parts.query}" if parts.query else "")


class MetricsSource:
    """A Prometheus endpoint; no credentials are sent (Weaviate's port 2112 has no auth)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        base, self.path = split_url(url)
        self.url = url
        self._api = RestClient(base, timeout=timeout, retries=0)

    def scrape(self) -> Scrape:
        """``GET`` the endpoint once and parse it."""
        text = self._api.request("GET", self.path).text
        return parse(text, time.monotonic())

    def close(self) -> None:
        self._api.close()


@dataclass(frozen=True)
class MetricsSummary:
    """What the dashboard shows from the metrics of one or more endpoints (one per node):
    ``None`` where a series is absent, or where a rate needs a second scrape. ``window_s`` is
    the span between two scrapes (None: latencies are averages since the servers started)."""

    urls: tuple[str, ...]
    window_s: float | None
    query_latency_ms: float | None
    query_p95_ms: float | None
    queries_per_s: float | None
    import_per_s: float | None
    import_unit: str | None
    heap_inuse_bytes: float | None
    absent: tuple[str, ...]
    latency_by_collection: dict[str, float] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return {"urls": list(self.urls), "window_s": rounded(self.window_s),
                "query_latency_ms": rounded(self.query_latency_ms),
                "query_p95_ms": rounded(self.query_p95_ms),
                "queries_per_s": rounded(self.queries_per_s),
                "import_per_s": rounded(self.import_per_s), "import_unit": self.import_unit,
                "heap_inuse_bytes": self.heap_inuse_bytes, "absent": list(self.absent)}


@dataclass(frozen=True)
class Window:
    """What one endpoint counted between two of its scrapes (``seconds`` None: since start)."""

    seconds: float | None
    queries: float
    query_ms: float
    buckets: dict[float, float]
    by_collection: dict[str, tuple[float, float]]
    imported: float | None
    import_unit: str | None
    heap: float | None
    served: frozenset[str]


def rounded(value: float | None) -> float | None:
    """Two decimals, for figures people read; None stays None."""
    return None if value is None else round(value, 2)


def _increase(now: dict[str, float], before: dict[str, float] | None) -> dict[str, float]:
    """Counters' values (``before`` None) or increases; a counter that went down was reset
    (the node restarted), so its whole value is the increase."""
    if before is None:
        return dict(now)
    return {k: v if v < before.get(k, 0.0) else v - before.get(k, 0.0) for k, v in now.items()}


def window(now: Scrape, before: Scrape | None) -> Window:
    """One endpoint's counts since ``before`` (a scrape of the same endpoint) or since start."""
    prior = before if before is not None and now.at > before.at else None

    def grown(name: str, label: str) -> dict[str, float]:
        return _increase(now.by_label(name, label),
                         prior.by_label(name, label) if prior else None)

    totals = grown(QUERY_LATENCY + "_count", "class_name")
    sums = grown(QUERY_LATENCY + "_sum", "class_name")
    if now.has(BATCH_OBJECTS):
        unit, counter = "objects", BATCH_OBJECTS
    elif now.has(BATCH_DURATIONS):
        unit, counter = "batches", BATCH_DURATIONS + "_count"  # one per shard batch, not objects
    else:
        unit, counter = None, None
    imported = sum(grown(counter, "").values()) if counter and prior else None
    return Window(
        seconds=now.at - prior.at if prior else None, queries=sum(totals.values()),
        query_ms=sum(sums.values()),
        buckets={float(le): n for le, n in grown(QUERY_LATENCY + "_bucket", "le").items() if le},
        by_collection={c: (sums.get(c, 0.0), n) for c, n in totals.items()},
        imported=imported, import_unit=unit, heap=now.total(HEAP_INUSE),
        served=frozenset(n for n in (QUERY_LATENCY, BATCH_OBJECTS, HEAP_INUSE) if now.has(n)))


def _p95(buckets: dict[float, float]) -> float | None:
    """The 95th percentile of cumulative ``le`` bucket counts, interpolated linearly inside
    the bucket, as PromQL's ``histogram_quantile`` does."""
    ordered = sorted(buckets.items())
    if not ordered or ordered[-1][1] <= 0:
        return None
    rank, lower, below = 0.95 * ordered[-1][1], 0.0, 0.0
    for bound, count in ordered:
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return None


def combine(urls: tuple[str, ...], windows: list[Window]) -> MetricsSummary:
    """The cluster's figures from each endpoint's window: latencies over all the queries,
    rates and heap summed over the nodes."""
    timed = [w for w in windows if w.seconds]
    used = timed or windows
    queries = sum(w.queries for w in used)
    buckets: dict[float, float] = defaultdict(float)
    by_collection: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for w in used:
        for bound, n in w.buckets.items():
            buckets[bound] += n
        for name, (ms, n) in w.by_collection.items():
            by_collection[name][0] += ms
            by_collection[name][1] += n
    imports = [w.imported / w.seconds for w in timed if w.imported is not None]
    heaps = [w.heap for w in windows if w.heap is not None]
    served = frozenset().union(*(w.served for w in windows))
    return MetricsSummary(
        urls=urls, window_s=max(w.seconds for w in timed) if timed else None,
        query_latency_ms=sum(w.query_ms for w in used) / queries if queries else None,
        query_p95_ms=_p95(buckets),
        queries_per_s=sum(w.queries / w.seconds for w in timed) if timed else None,
        import_per_s=sum(imports) if imports else None,
        import_unit=next((w.import_unit for w in windows if w.import_unit), None),
        heap_inuse_bytes=sum(heaps) if heaps else None,
        absent=tuple(n for n in (QUERY_LATENCY, BATCH_OBJECTS, HEAP_INUSE) if n not in served),
        latency_by_collection={name: ms / n for name, (ms, n) in by_collection.items()
                               if n > 0 and name not in ("", "n/a")})


def summarize(url: str, now: Scrape, before: Scrape | None) -> MetricsSummary:
    """One endpoint's figures from a scrape and, for rates, the one before it."""
    return combine((url,), [window(now, before)])
