"""``\\stats``: one sample of the cluster, or a live view of it with ``--watch``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from commands.context import CommandContext, LiveView
from commands.errors import UsageError
from commands.lazy import lazy_module
from commands.results import Document, Level, Message, Record, Result, Table
from commands.spec import Arg, Kind, Opt, command

if TYPE_CHECKING:
    from commands.ops.stats import Frame, Sampler

stats_ops = lazy_module("commands.ops.stats")

DEFAULT_INTERVAL = 2.0
MIN_INTERVAL = 0.2  # faster floods the cluster: a reviewer saw 1,560 requests in 2.5 s at 0.01
MAX_INTERVAL = 86400.0  # one day; longer sleeps and timeouts overflow the platform's clock
TITLES = {"collection": "Collections", "node": "Collections by node",
          "shard": "Collections by shard", "tenant": "Collections by tenant"}


@command(
    "stats", "Watch collections and nodes: objects, growth, shards, tenants, queues, batch rate.",
    args=(Arg("pattern", Kind.PATTERN, "glob filter on the collection name, e.g. 'Art*'",
              required=False, many=True),),
    opts=(Opt("--watch", Kind.NUMBER, "redraw every SECONDS (default 2; 0.2 to 86400) until q "
              "or Ctrl-C",
              bare=DEFAULT_INTERVAL),
          Opt("--count", Kind.INT, "stop after N samples (implies --watch)"),
          Opt("--by", Kind.CHOICE, "one row per collection (default), node, shard or tenant",
              choices=("collection", "node", "shard", "tenant"),
              default="collection"),
          Opt("--limit", Kind.INT, "at most N rows, the largest first (default 20; 0: all)",
              default=20),
          Opt("--metrics-url", Kind.URL, "a Prometheus endpoint, e.g. http://HOST:2112/metrics; "
              "one per node, repeatable (default: the profile's metrics_url)", many=True)),
    group="cluster",
    help="Per collection: approximate objects, growth (objects/s between two samples),\n"
         "shards, tenants by status, shard status, vector-index queue and objects per node;\n"
         "per node: status, version, mode, batch rate and batch queue (absent when async\n"
         "indexing is on). With Prometheus endpoints (--metrics-url, one per node, or\n"
         "metrics_url in the profile): query latency, queries/s, import rate and heap in\n"
         "use, over all the nodes given; series a server does not serve are left empty.\n"
         "Without --watch it takes one sample, which has no growth yet.\n\n"
         "--watch [SECONDS] redraws at a terminal every SECONDS and never waits on a slow\n"
         "node: a late answer is shown as the last good one, marked stale with its age.\n"
         "q or Ctrl-C quits. Off a terminal (or with --format json) it prints one JSON object\n"
         "per sample per line (NDJSON); with --format yaml, one YAML document per sample\n"
         "(each opened by ---). Its cost is bounded: GET /v1/nodes (minimal) and\n"
         "/v1/nodes/{C}?output=verbose for the collections shown each interval; schema,\n"
         "tenants and the full verbose scan (only when more collections match than are\n"
         "shown) at most once a minute; the metrics at most every 5 s.\n\n"
         "  \\stats\n  \\stats Art* --by shard\n  \\stats --watch\n"
         "  \\stats --watch 5 --by node --metrics-url http://weaviate:2112/metrics\n"
         "  elysiactl col stats --watch 1 --count 10 --format json | jq .rows",
)
def stats_cmd(ctx: CommandContext, *, pattern: list[str], watch: float | None,
              count: int | None,
              by: str, limit: int, metrics_url: list[str]) -> Result | list[Result] | None:
    """``\\stats``: one sample as tables (or one JSON object), or a live view."""
    _check_patterns(pattern)
    interval = _interval(watch, count)
    if limit < 0:
        raise UsageError("--limit must be 0 (all rows) or more")
    connection = ctx.session.connection
    options = stats_ops.StatsOptions(
        patterns=tuple(pattern), by=by, limit=limit, interval=interval,
        metrics_urls=tuple(metrics_url) or (connection.metrics_urls if connection else ()))
    sampler = stats_ops.Sampler(ctx.api, options)
    try:
        if interval is None:
            return frame_results(sampler.sample(), ctx.format)
        return _watch(ctx, sampler, interval, count)
    finally:
        sampler.close()


def _check_patterns(patterns: list[str]) -> None:
    """Class names start with a letter (``*`` and ``?`` may stand for one): a pattern that
    starts with a digit, ``-`` or ``.`` matches nothing, so it is a misplaced interval."""
    for word in patterns:
        if word[:1].isdigit() or word[:1] in ("-", "."):
            raise UsageError(f"\\stats: {word!r} is not a collection pattern (collection names "
                             "start with a letter)", f"did you mean --watch {_seconds(word)}?")


def _seconds(word: str) -> str:
    """``word`` as ``--watch`` would take it (``1e3`` -> ``1000``), or what it takes."""
    try:
        value = float(word)
    except ValueError:
        value = -1.0
    if MIN_INTERVAL <= value <= MAX_INTERVAL:
        return f"{value:.10g}"
    return f"SECONDS ({MIN_INTERVAL:g} to {MAX_INTERVAL:g})"


def _interval(watch: float | None, count: int | None) -> float | None:
    """Seconds between samples (None: one sample); ``--count`` alone watches at the default."""
    if count is not None and count < 1:
        raise UsageError("--count must be 1 or more")
    if watch is None and count is None:
        return None
    seconds = DEFAULT_INTERVAL if watch is None else watch
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise UsageError(f"--watch expects {MIN_INTERVAL:g} to {MAX_INTERVAL:g} seconds (one "
                         f"day), got {seconds:g}", "e.g. --watch 5 or --watch=0.5")
    return seconds


def _watch(ctx: CommandContext, sampler: Sampler, interval: float,
           count: int | None) -> list[Result] | None:
    """Sample every ``interval`` into the session's live view until q, Ctrl-C or ``count``."""
    if ctx.session.live is None:  # no shell around (in-process): return the frames
        if count is None:
            raise UsageError("\\stats --watch needs --count N here: nothing could stop it")
        collected: list[Result] = []
        for number in range(count):
            started = time.monotonic()
            collected += frame_results(sampler.sample(), ctx.format)
            if number < count - 1:
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
        return collected
    with ctx.session.live(ctx.format) as view:
        _loop(view, sampler, interval, count)
    return None


def _loop(view: LiveView, sampler: Sampler, interval: float, count: int | None) -> None:
    taken, wanted, frame = 0, sampler.limit, None
    try:
        while True:
            started = time.monotonic()
            if view.height:  # only the rows on screen are asked for (OPERATIONS.md §4)
                fit = max(3, view.height - _chrome(frame))
                sampler.limit = min(wanted, fit) if wanted else fit
            frame = sampler.sample()
            view.show(frame_results(frame, view.format, live=True))
            taken += 1
            if count is not None and taken >= count:
                return
            if not view.wait(max(0.0, interval - (time.monotonic() - started))):
                return
    except KeyboardInterrupt:
        return  # quitting a watch is its normal end


def _chrome(frame: Frame | None) -> int:
    """Screen lines of a dashboard frame besides its rows: the header, stale lines, the rows'
    table (title, header, rule, ends, count, note), the nodes' table and the metrics."""
    if frame is None:
        return 16
    return 1 + len(frame.stale) + 7 + 6 + len(frame.nodes) + (9 if frame.metrics else 0)


def frame_results(frame: Frame, fmt: str, live: bool = False) -> list[Result]:
    """A frame as results: one Document for JSON/YAML (the NDJSON line), tables otherwise."""
    if fmt != "table":
        return [Document(frame.to_data())]
    out: list[Result] = []
    if live:
        out.append(Message(f"\\stats every {frame.interval_s:g} s, sample {frame.number} at "
                           f"{frame.time}; q or Ctrl-C quits"))
        if frame.nothing_matches:
            out.append(Message(f"{frame.nothing_matches}: only the nodes are watched",
                               Level.WARNING))
    stale = {s.key: s for s in frame.stale}
    for item in frame.stale:
        age = "no answer yet" if item.age_s is None else f"last good answer {item.age_s:.1f} s ago"
        out.append(Message(f"stale: {item.key} ({age}; {item.error})", Level.WARNING))
    rows = tuple(tuple(_cell(row.get(c)) for c in frame.columns) for row in frame.rows)
    late = {key.removeprefix("/v1/nodes/") for key in stale if key.startswith("/v1/nodes/")}
    rows = tuple((f"{row[0]} (stale)", *row[1:]) if row[0] in late else row for row in rows)
    note = "; ".join(frame.notes) or None
    out.append(Table(frame.columns, rows, title=TITLES[frame.by], note=note))
    nodes_title = "Nodes" + (" (stale)" if "/v1/nodes" in stale else "")
    out.append(Table(("node", "status", "version", "mode", "batch_rate", "batch_queue"),
                     tuple(tuple(n.values()) for n in frame.nodes), title=nodes_title,
                     note="batch_queue is empty when async indexing is on"
                     if any(n["batch_queue"] is None for n in frame.nodes) else None))
    if frame.metrics is not None:
        urls = frame.metrics.urls
        out.append(Record(_metrics_fields(frame.metrics.to_data()), title="Metrics (" + (
            urls[0] if len(urls) == 1 else f"{len(urls)} endpoints, summed") + ")"))
    return out


def _cell(value: Any) -> Any:
    """Counts by name as ``node1 120, node2 80``; everything else as it is."""
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return value


def _metrics_fields(data: dict[str, Any]) -> dict[str, Any]:
    window = f"last {data['window_s']:g} s" if data["window_s"] else "since start"
    heap = data["heap_inuse_bytes"]
    return {
        f"query latency, mean ({window})": _unit(data["query_latency_ms"], " ms"),
        f"query latency, p95 ({window})": _unit(data["query_p95_ms"], " ms"),
        "queries": _unit(data["queries_per_s"], "/s"),
        "import": _unit(data["import_per_s"], f" {data['import_unit'] or 'objects'}/s"),
        "heap in use": None if heap is None else f"{heap / 2**20:,.1f} MiB",
        "absent series": ", ".join(data["absent"]) or None,
    }


def _unit(value: float | None, unit: str) -> str | None:
    return None if value is None else f"{value:,.2f}{unit}"
