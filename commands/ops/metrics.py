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
from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

from commands.api.client import RestClient
from commands.errors import ShellError, UsageError

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


def check_url(url: str) -> tuple[str, str]:
    """``http://host:2112/metrics`` -> ``("http://host:2112", "/metrics")``; else UsageError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--metrics-url {url!r}: expected http(s)://HOST:PORT/metrics",
                         "Weaviate serves Prometheus on port 2112 when "
                         "PROMETHEUS_MONITORING_ENABLED=true")
    path = parts.path or "/metrics"
    return f"{parts.scheme}://{parts.netloc}", path + (f"?{parts.query}" if parts.query else "")


class MetricsSource:
    """A Prometheus endpoint; no credentials are sent (Weaviate's port 2112 has no auth)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        base, self.path = check_url(url)
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
    """What the dashboard shows from the metrics: ``None`` where a series is absent, or where
    a rate needs a second scrape. ``window_s`` is the span between the two scrapes (None:
    latencies are averages since the server started)."""

    url: str
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
        return {"url": self.url, "window_s": _round(self.window_s),
                "query_latency_ms": _round(self.query_latency_ms),
                "query_p95_ms": _round(self.query_p95_ms),
                "queries_per_s": _round(self.queries_per_s),
                "import_per_s": _round(self.import_per_s), "import_unit": self.import_unit,
                "heap_inuse_bytes": self.heap_inuse_bytes, "absent": list(self.absent)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _increase(name: str, now: Scrape, before: Scrape | None) -> float | None:
    """A counter's value (``before`` None) or its increase since ``before``; a counter that
    went down was reset (the node restarted), so its whole value is the increase."""
    current = now.total(name)
    previous = before.total(name) if before is not None else None
    if current is None or previous is None or current < previous:
        return current
    return current - previous


def _p95(now: Scrape, before: Scrape | None) -> float | None:
    """The 95th percentile from the cumulative ``le`` buckets (their increase since ``before``),
    interpolated linearly inside the bucket, as PromQL's ``histogram_quantile`` does."""
    name = QUERY_LATENCY + "_bucket"
    current = now.by_label(name, "le")
    previous = before.by_label(name, "le") if before is not None else {}
    buckets = sorted(((float(le), count - previous.get(le, 0.0)) for le, count in current.items()
                      if le), key=lambda b: b[0])
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank, lower, below = 0.95 * buckets[-1][1], 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return None


def summarize(url: str, now: Scrape, before: Scrape | None) -> MetricsSummary:
    """Latency, query rate, import rate and memory from one scrape and, for rates, the one
    before it (``before`` None: latencies since start, no rates)."""
    window = now.at - before.at if before is not None and now.at > before.at else None
    prior = before if window else None
    absent = [n for n in (QUERY_LATENCY, BATCH_OBJECTS, HEAP_INUSE) if not now.has(n)]
    count = _increase(QUERY_LATENCY + "_count", now, prior)
    total = _increase(QUERY_LATENCY + "_sum", now, prior)
    if now.has(BATCH_OBJECTS):
        unit, counter = "objects", BATCH_OBJECTS
    elif now.has(BATCH_DURATIONS + "_count"):
        unit, counter = "batches", BATCH_DURATIONS + "_count"  # one per shard batch, not objects
    else:
        unit, counter = None, None
    imported = _increase(counter, now, prior) if counter and prior else None
    return MetricsSummary(
        url=url, window_s=window,
        query_latency_ms=total / count if count and total is not None else None,
        query_p95_ms=_p95(now, prior),
        queries_per_s=count / window if window and count is not None else None,
        import_per_s=imported / window if window and imported is not None else None,
        import_unit=unit, heap_inuse_bytes=now.total(HEAP_INUSE), absent=tuple(absent),
        latency_by_collection=_by_collection(now, prior))


def _by_collection(now: Scrape, before: Scrape | None) -> dict[str, float]:
    """Mean query latency per ``class_name`` over the window (or since start)."""
    sums = now.by_label(QUERY_LATENCY + "_sum", "class_name")
    counts = now.by_label(QUERY_LATENCY + "_count", "class_name")
    old_sums = before.by_label(QUERY_LATENCY + "_sum", "class_name") if before else {}
    old_counts = before.by_label(QUERY_LATENCY + "_count", "class_name") if before else {}
    out = {}
    for name, count in counts.items():
        n = count - old_counts.get(name, 0.0)
        if n > 0 and name not in ("", "n/a"):
            out[name] = (sums.get(name, 0.0) - old_sums.get(name, 0.0)) / n
    return out
