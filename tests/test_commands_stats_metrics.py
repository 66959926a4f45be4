"""``\\stats`` with a Prometheus endpoint: scrape, parse (``prometheus_client``'s parser),
latency, query and import rates, memory, and graceful degradation when series are absent
(OPERATIONS.md §1.9: names change between versions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from conftest import REGISTRY

from commands.api.client import RestClient
from commands.audit import MemoryAuditLog
from commands.context import Connection, Session
from commands.dispatch import Dispatcher
from commands.errors import ConfigError, ShellError
from commands.ops.stats.metrics import parse, summarize
from commands.ops.stats.sample import Sampler, StatsOptions
from commands.results import Record
from sandbox import Sandbox
from shell.config import load_settings, resolve

ROOT = Path(__file__).resolve().parents[1]

BEFORE = """\
# TYPE queries_durations_ms histogram
queries_durations_ms_bucket{class_name="Article",query_type="get",le="10"} 8
queries_durations_ms_bucket{class_name="Article",query_type="get",le="100"} 10
queries_durations_ms_bucket{class_name="Article",query_type="get",le="+Inf"} 10
queries_durations_ms_sum{class_name="Article",query_type="get"} 100
queries_durations_ms_count{class_name="Article",query_type="get"} 10
# TYPE batch_objects_processed_total counter
batch_objects_processed_total{class_name="Article"} 1000
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 104857600
"""
# Ten seconds later: 20 more queries (18 under 10 ms, 2 under 100 ms) taking 300 ms in all,
# on two collections, and 5,000 more objects imported.
AFTER = """\
# TYPE queries_durations_ms histogram
queries_durations_ms_bucket{class_name="Article",query_type="get",le="10"} 18
queries_durations_ms_bucket{class_name="Article",query_type="get",le="100"} 20
queries_durations_ms_bucket{class_name="Article",query_type="get",le="+Inf"} 20
queries_durations_ms_sum{class_name="Article",query_type="get"} 200
queries_durations_ms_count{class_name="Article",query_type="get"} 20
queries_durations_ms_bucket{class_name="Product",query_type="aggregate",le="10"} 8
queries_durations_ms_bucket{class_name="Product",query_type="aggregate",le="100"} 10
queries_durations_ms_bucket{class_name="Product",query_type="aggregate",le="+Inf"} 10
queries_durations_ms_sum{class_name="Product",query_type="aggregate"} 200
queries_durations_ms_count{class_name="Product",query_type="aggregate"} 10
# TYPE batch_objects_processed_total counter
batch_objects_processed_total{class_name="Article"} 6000
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 209715200
"""


def test_two_scrapes_give_latency_rates_and_memory() -> None:
    summary = summarize("u", parse(AFTER, at=20.0), parse(BEFORE, at=10.0))
    assert summary.window_s == 10.0
    assert summary.query_latency_ms == 300 / 20
    assert summary.queries_per_s == 2.0
    assert (summary.import_per_s, summary.import_unit) == (500.0, "objects")
    assert summary.heap_inuse_bytes == 200 * 2**20
    assert summary.absent == ()
    # 20 new queries: 18 in [0, 10] ms, 2 in (10, 100]; the 19th is the 95th percentile
    assert summary.query_p95_ms == pytest.approx(10 + 90 * (19 - 18) / 2)
    assert summary.latency_by_collection == {"Article": 10.0, "Product": 20.0}


def test_one_scrape_gives_latency_since_start_and_no_rates() -> None:
    summary = summarize("u", parse(BEFORE, at=10.0), None)
    assert summary.window_s is None and summary.query_latency_ms == 10.0
    assert summary.queries_per_s is None and summary.import_per_s is None
    assert summary.heap_inuse_bytes == 100 * 2**20


def test_absent_series_leave_their_figures_empty() -> None:
    only_memory = "go_memstats_heap_inuse_bytes 5\n"
    summary = summarize("u", parse(only_memory, at=2.0), parse(only_memory, at=1.0))
    assert summary.absent == ("queries_durations_ms", "batch_objects_processed_total")
    assert (summary.query_latency_ms, summary.query_p95_ms, summary.import_per_s) == (
        None, None, None)
    assert summary.heap_inuse_bytes == 5


def test_prefixed_names_resets_and_the_batch_histogram_fallback() -> None:
    before = ("weaviate_batch_durations_ms_count{operation=\"object_storage\"} 50\n"
              "weaviate_queries_durations_ms_sum 90\nweaviate_queries_durations_ms_count 9\n")
    after = ("weaviate_batch_durations_ms_count{operation=\"object_storage\"} 70\n"
             "weaviate_queries_durations_ms_sum 4\nweaviate_queries_durations_ms_count 2\n")
    summary = summarize("u", parse(after, at=12.0), parse(before, at=10.0))
    assert (summary.import_per_s, summary.import_unit) == (10.0, "batches")
    assert summary.query_latency_ms == 2.0  # the counters restarted: the new values count


def test_text_that_is_not_prometheus_is_one_clear_error() -> None:
    with pytest.raises(ShellError, match="did not answer Prometheus text"):
        parse("<html>{not metrics}</html>\n", at=1.0)


class _Metrics(BaseHTTPRequestHandler):
    pages: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        body = (self.pages.pop(0) if len(self.pages) > 1 else self.pages[0]).encode()
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def exporter() -> Iterator[str]:
    """A Prometheus endpoint answering BEFORE, then AFTER for every later scrape."""
    _Metrics.pages = [BEFORE, AFTER]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    server.shutdown()
    server.server_close()


def test_stats_with_metrics_url_adds_the_metrics(demo: Sandbox, exporter: str) -> None:
    session = Session(connection=Connection(api=RestClient(demo.url), url=demo.url))
    runner = Dispatcher(REGISTRY, session, MemoryAuditLog())
    outcome = runner.execute(rf"\stats Art* --metrics-url {exporter} --format json", "test")
    data = outcome.results[0].to_data()
    assert data["metrics"]["query_latency_ms"] == 10.0
    assert data["metrics"]["heap_inuse_bytes"] == 100 * 2**20
    assert data["rows"][0]["query_ms"] == 10.0
    # The profile's metrics_url is the default; the table shows a Metrics record.
    session.connection.metrics_urls = (exporter,)
    tables = runner.execute(r"\stats Art*", "test").results
    record = next(r for r in tables if isinstance(r, Record))
    assert record.fields["heap in use"] == "200.0 MiB"
    assert record.fields["query latency, mean (since start)"] == "13.33 ms"  # 400 ms / 30


def test_a_watch_computes_rates_between_scrapes(demo: Sandbox, exporter: str) -> None:
    sampler = Sampler(RestClient(demo.url), StatsOptions(
        patterns=("Art*",), interval=0.2, metrics_urls=(exporter,)), metrics_every=0)
    first = sampler.sample()
    for _ in range(20):  # a scrape later than 0.9 interval (a loaded machine) is stale: next one
        time.sleep(0.25)  # one interval: the scrape is due again
        second = sampler.sample()
        if second.metrics.import_per_s is not None:
            break
    sampler.close()
    assert first.metrics.import_per_s is None
    assert second.metrics.import_per_s > 0 and second.metrics.queries_per_s > 0
    assert second.metrics.window_s > 0


@pytest.mark.parametrize("interval", [None, 0.3])
def test_an_endpoint_that_is_down_only_marks_the_metrics_stale(demo: Sandbox,
                                                                interval: float | None) -> None:
    sampler = Sampler(RestClient(demo.url, retries=0), StatsOptions(
        interval=interval, metrics_urls=("http://127.0.0.1:9/metrics",)), metrics_every=0)
    frame = sampler.sample()
    sampler.close()
    assert frame.metrics is None
    [stale] = frame.stale
    assert stale.key == "metrics http://127.0.0.1:9/metrics"
    assert "cannot reach http://127.0.0.1:9" in stale.error
    assert len(frame.rows) == 5  # the rest of the sample is there


# --- the sandbox's endpoint ----------------------------------------------------------------

def _aggregate(url: str) -> None:
    httpx.post(f"{url}/v1/graphql", json={
        "query": "{ Aggregate { Article { meta { count } } } }"}).raise_for_status()


def test_the_sandbox_endpoint_gives_latency_import_and_memory() -> None:
    with Sandbox(seed="demo", metrics=True) as server:
        _aggregate(server.url)
        sampler = Sampler(RestClient(server.url), StatsOptions(
            patterns=("Art*",), interval=0.3, metrics_urls=(server.metrics_url,)),
            metrics_every=0)
        first = sampler.sample()
        httpx.post(f"{server.url}/v1/batch/objects", json={"objects": [
            {"class": "Article", "properties": {"title": f"t{i}"}} for i in range(50)]}
                   ).raise_for_status()
        _aggregate(server.url)
        time.sleep(0.3)
        second = sampler.sample()
        sampler.close()
    assert first.metrics.query_latency_ms is not None and first.metrics.import_per_s is None
    metrics = second.metrics
    assert metrics.absent == () and metrics.heap_inuse_bytes > 0
    assert metrics.query_latency_ms is not None and metrics.queries_per_s > 0
    assert metrics.import_unit == "objects" and metrics.import_per_s > 0
    assert second.rows[0]["query_ms"] is not None and second.stale == []


def test_elysiactl_sandbox_knows_its_metrics_url(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "shell", "--sandbox", "-c",
                           r"\stats Art* --format json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)["metrics"]
    assert metrics["urls"][0].endswith("/metrics") and metrics["heap_inuse_bytes"] > 0


def test_one_endpoint_per_node_is_summed() -> None:
    with Sandbox(nodes=2, metrics=True) as server:
        http = httpx.Client(base_url=server.url)
        http.post("/v1/schema", json={"class": "Spread", "replicationConfig": {"factor": 2}}
                  ).raise_for_status()
        urls = tuple(server.metrics_urls.values())
        sampler = Sampler(RestClient(server.url), StatsOptions(
            interval=0.3, metrics_urls=urls), metrics_every=0)
        sampler.sample()
        http.post("/v1/batch/objects", json={"objects": [
            {"class": "Spread", "properties": {"n": i}} for i in range(40)]}).raise_for_status()
        time.sleep(0.3)
        both = sampler.sample().metrics
        sampler.close()
        one = Sampler(RestClient(server.url), StatsOptions(metrics_urls=urls[:1])).sample()
    assert both.urls == urls and len(urls) == 2
    # Both nodes hold a replica of every object: each counts 40 processed objects.
    assert both.import_per_s == pytest.approx(80 / both.window_s, rel=0.3)
    assert both.heap_inuse_bytes == pytest.approx(2 * one.metrics.heap_inuse_bytes, rel=0.2)


def test_the_profile_metrics_url_is_a_url_or_a_list(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("profiles:\n"
                      "  one: {url: 'http://a:8080', metrics_url: 'http://a:2112/metrics'}\n"
                      "  two: {url: 'http://b:8080', metrics_url: ['http://b1:2112/metrics',"
                      " 'http://b2:2112/metrics']}\n")
    settings = load_settings(config)
    assert resolve(settings, {}, profile="one").metrics_urls == ("http://a:2112/metrics",)
    assert len(resolve(settings, {}, profile="two").metrics_urls) == 2
    assert resolve(settings, {}, url="http://c:8080").metrics_urls == ()
    config.write_text("profiles:\n  bad: {metrics_url: 2112}\n")
    with pytest.raises(ConfigError, match="metrics_url must be a URL or a list"):
        load_settings(config)
