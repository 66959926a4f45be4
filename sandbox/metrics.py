"""Prometheus metrics of the emulated nodes, as Weaviate serves them with
``PROMETHEUS_MONITORING_ENABLED=true``: each node on its own port at ``/metrics``, never on
the REST port (OPERATIONS.md §1.9, RB§13).

Series, named and labelled as in weaviate usecases/monitoring/prometheus.go and
adapters/repos/db/metrics.go (no namespace: only the HTTP and index-shard series carry
``weaviate_``):

* ``object_count{class_name,shard_name}``: exact object counts of the node's loaded shards
  (a real node counts flushed segments only, §1.5);
* ``batch_durations_ms{operation="object_storage",class_name,shard_name}`` and
  ``batch_objects_processed_total{class_name,shard_name}``: per batch import and shard, on
  every node holding a replica of the shard;
* ``queries_durations_ms{class_name,query_type="aggregate"|"get_graphql"}``: GraphQL
  Aggregate and Get, on the answering node;
* ``weaviate_http_request_duration_seconds{method,route,status_code}``: every ``/v1`` request,
  on the answering node; ``route`` is the matched path pattern, or the path when none matches;
* ``weaviate_index_shards_total{status}``, ``queue_size{class_name,shard_name}`` (async
  indexing on) and ``go_memstats_heap_inuse_bytes`` (the sandbox process's resident size).

A node that is UNAVAILABLE or GONE does not answer scrapes. Counters survive
``/__sandbox/reset`` as they would a schema change; they start at zero with the sandbox.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from sandbox.nodes import GONE, UNAVAILABLE, replica_status

if TYPE_CHECKING:
    from sandbox.core import Core

# Go's client emits no ``_created`` series
disable_created_metrics()

MS_BUCKETS = (10, 50, 100, 500, 1000, 5000, 10000, 60000, 300000)
REQUEST_LATENCY_BUCKETS = (.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5,
                           1, 2.5, 5, 10, 25, 50, 100)
SHARD_STATUSES = ("READONLY", "INDEXING", "LOADING", "READY", "SHUTDOWN")


class NodeMetrics:
    """One node's registry: request-path series plus gauges read from the database."""

    def __init__(self, app: Core, node: str) -> None:
        self.app, self.node = app, node
        self.registry = CollectorRegistry(auto_describe=False)
        self.batch_time = Histogram(
            "batch_durations_ms", "Duration in ms of a single batch",
            ["operation", "class_name", "shard_name"], buckets=MS_BUCKETS,
            registry=self.registry)
        self.batch_count = Counter(
            "batch_objects_processed", "Number of objects processed in a batch",
            ["class_name", "shard_name"], registry=self.registry)
        self.queries = Histogram(
            "queries_durations_ms", "Duration of queries in milliseconds",
            ["class_name", "query_type"], buckets=MS_BUCKETS, registry=self.registry)
        self.http = Histogram(
            "weaviate_http_request_duration_seconds", "Time (in seconds) spent serving requests.",
            ["method", "route", "status_code"], buckets=REQUEST_LATENCY_BUCKETS,
            registry=self.registry)
        self.registry.register(self)

    def collect(self) -> Iterator[Metric]:
        """The gauges, read at scrape time (the registry's custom-collector protocol)."""
        objects = GaugeMetricFamily("object_count", "Number of currently ongoing async operations",
                                    labels=["class_name", "shard_name"])
        queue = GaugeMetricFamily("queue_size", "Number of records in the queue",
                                  labels=["class_name", "shard_name"])
        statuses = dict.fromkeys(SHARD_STATUSES, 0)
        pending = self.app.cluster.nodes[self.node].vector_queue
        db = self.app.db
        with db.lock:
            for col in db.collections.values():
                for shard in col.shard_names(loaded_only=True):
                    if self.node not in col.placement.get(shard, ()):
                        continue
                    objects.add_metric([col.name, shard], col.shard_counts.get(shard, 0))
                    status = replica_status(col, shard, self.node, pending)
                    statuses[status] = statuses.get(status, 0) + 1
                    if pending is not None:
                        queue.add_metric([col.name, shard], pending)
        shards = GaugeMetricFamily("weaviate_index_shards_total",
                                   "Total number of shards per index status", labels=["status"])
        for status, count in statuses.items():
            shards.add_metric([status], count)
        heap = GaugeMetricFamily("go_memstats_heap_inuse_bytes",
                                 "Number of heap bytes that are in use.", value=_resident_bytes())
        yield from (objects, queue, shards, heap)


def _resident_bytes() -> int:
    """The process's resident set size (the closest a Python process has to Go's in-use heap)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Metrics:
    """Every node's metrics and the hooks the request path calls."""

    def __init__(self, app: Core) -> None:
        self.app = app
        self.nodes = {name: NodeMetrics(app, name) for name in app.cluster.names}

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One REST request answered by the answering node."""
        node = self.app.cluster.answering()
        if node is not None:
            self.nodes[node].http.labels(method, route, str(status)).observe(seconds)

    def batch(self, class_name: str, shard: str, nodes: list[str], objects: int,
              ms: float) -> None:
        """One batch import's objects for one shard, on each node holding a replica."""
        for node in nodes:
            metrics = self.nodes[node]
            metrics.batch_time.labels("object_storage", class_name, shard).observe(ms)
            metrics.batch_count.labels(class_name, shard).inc(objects)

    def query(self, class_name: str, query_type: str, ms: float) -> None:
        """One query on the answering node."""
        node = self.app.cluster.answering()
        if node is not None:
            self.nodes[node].queries.labels(class_name, query_type).observe(ms)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _MetricsServer

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's naming
        node = self.server.node
        if node.app.cluster.nodes[node.node].status in (UNAVAILABLE, GONE):
            self.close_connection = True  # the node is down: its scrape port too
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if self.path.split("?")[0] != "/metrics":
            body, status, kind = b"404 page not found\n", 404, "text/plain; charset=utf-8"
        else:
            body, status, kind = generate_latest(node.registry), 200, CONTENT_TYPE_LATEST
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet, as the REST side is."""


class _MetricsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, node: NodeMetrics) -> None:
        self.node = node
        super().__init__((host, 0), _Handler)


class MetricsServers:
    """One scrape port per node, each serving in a daemon thread."""

    def __init__(self, metrics: Metrics, host: str) -> None:
        self._servers = {name: _MetricsServer(host, node)
                         for name, node in metrics.nodes.items()}
        self._threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                                          daemon=True, name=f"sandbox-metrics:{name}")
                         for name, s in self._servers.items()]
        for thread in self._threads:
            thread.start()

    @property
    def urls(self) -> dict[str, str]:
        """Node name -> ``http://HOST:PORT/metrics``."""
        return {name: f"http://{s.server_address[0]}:{s.server_address[1]}/metrics"
                for name, s in self._servers.items()}

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()
