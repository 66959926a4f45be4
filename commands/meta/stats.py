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
    from commands.ops.stats.poll import Stale
    from commands.ops.stats.sample import Frame, Sampler

stats_ops = lazy_module("commands.ops.stats.sample")

DEFAULT_INTERVAL = 2.0
MIN_INTERVAL = 0.2  # faster floods the cluster: a reviewer saw 1,560 requests in 2.5 s at 0.01
MAX_INTERVAL = 86400.0  # one day; longer sleeps and timeouts overflow the platform's clock
FIRST_CHROME = 20  # the screen lines besides the rows before a frame was drawn: a guess
NODE_COLUMNS = ("node", "status", "version", "mode", "batch_rate", "batch_queue")
NARROW_DROPS = ("objects_per_node", "tenants", "query_ms", "nodes", "vector_queue",
                "growth_per_s", "shards")
"""Left out, in this order, until a row fits on one line of a narrow screen."""
TITLES = {"collection": "Collections", "node": "Collections by node",
          "shard": "Collections by shard", "tenant": "Collections by tenant"}


@command(
    "stats", "Watch collections and nodes: objects, growth, shards, tenants, queues, batch rate.",
    args=(Arg("pattern", Kind.PATTERN, "glob filter on the collection name, e.g. 'Art*'",
              required=False, many=True),),
    opts=(Opt("--watch", Kind.NUMBER, "redraw every SECONDS (default 2; 0.2 to 86400) until q "
              "or Ctrl-C",
              bare=DEFAULT_INTERVAL),
          Opt("--count", Kind.INT, "stop after N samples (implies --watch)", minimum=1),
          Opt("--by", Kind.CHOICE, "one row per collection (default), node, shard or tenant",
              choices=("collection", "node", "shard", "tenant"),
              default="collection"),
          Opt("--limit", Kind.INT, "at most N rows, the largest first (default 20; 0: all)",
              default=20, minimum=0),
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
    connection = ctx.session.connection
    options = stats_ops.StatsOptions(
        patterns=tuple(pattern), by=by, limit=limit, interval=interval,
        metrics_urls=tuple(metrics_url) or (connection.metrics_urls if connection else ()))
    sampler = stats_ops.Sampler(ctx.api, options)
    try:
        if interval is None:
            width = ctx.session.screen_width() if ctx.session.screen_width else None
            return frame_results(sampler.sample(), ctx.format, width=width)
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
    if watch is None and count is None:
        return None
    seconds = DEFAULT_INTERVAL if watch is None else watch
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise UsageError(f"--watch expects {MIN_INTERVAL:g} to {MAX_INTERVAL:g} seconds (one "
                         f"day), got {seconds:.15g}", "e.g. --watch 5 or --watch=0.5")
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
    taken, wanted, chrome = 0, sampler.limit, FIRST_CHROME
    width = view.width
    try:
        while True:
            started = time.monotonic()
            if view.height:  # only the rows on screen are asked for (OPERATIONS.md §4)
                fit = max(3, view.height - chrome)
                sampler.limit = min(wanted, fit) if wanted else fit
            frame = sampler.sample()
            results = frame_results(frame, view.format, live=True, width=width)
            view.show(results)
            if view.height:
                chrome = screen_lines(results, width) - len(frame.rows)
            taken += 1
            if count is not None and taken >= count:
                return
            if not view.wait(max(0.0, interval - (time.monotonic() - started))):
                return
    except KeyboardInterrupt:
        return  # quitting a watch is its normal end


def screen_lines(results: list[Result], width: int | None) -> int:
    """Lines a dashboard draws for ``results``, with one spare: each message and note as
    wrapped at ``width``, a table's title, header, rule, rows (one line each: the columns
    are chosen to fit), end and count, a record's title, edges and fields."""
    def wrapped(text: str | None) -> int:
        return 0 if not text else -(-len(text) // width) if width else 1

    lines = 1
    for result in results:
        if isinstance(result, Message):
            lines += wrapped(result.text)
        elif isinstance(result, Table):
            lines += 6 + len(result.rows) + wrapped(result.note)
        elif isinstance(result, Record):
            lines += 3 + len(result.fields)
    return lines


def frame_results(frame: Frame, fmt: str, live: bool = False,
                  width: int | None = None) -> list[Result]:
    """A frame as results: one Document for JSON/YAML (the NDJSON line), tables otherwise,
    with the columns that fit in ``width`` (None: all of them)."""
    if fmt != "table":
        return [Document(frame.to_data())]
    out: list[Result] = []
    if live:
        out.append(Message(f"\\stats every {frame.interval_s:g} s, sample {frame.number} at "
                           f"{frame.time[11:19]} UTC; q or Ctrl-C quits"))
        if frame.nothing_matches:
            out.append(Message(f"{frame.nothing_matches}: only the nodes are watched",
                               Level.WARNING))
    stale = {s.key: s for s in frame.stale}
    out += _stale_lines(frame.stale, live)
    late = {key.removeprefix("/v1/nodes/") for key in stale if key.startswith("/v1/nodes/")}
    marked = [{**row, "collection": f"{row['collection']} (stale)"}
              if row["collection"] in late else row for row in frame.rows]
    columns, left_out = fit_columns(frame.columns, marked, width)
    rows = tuple(tuple(_cell(row.get(c)) for c in columns) for row in marked)
    notes = list(frame.notes)
    if left_out:
        notes.append(f"left out at {width} columns: {', '.join(left_out)} (a wider terminal "
                     "or --format json shows them)")
    out.append(Table(columns, rows, title=TITLES[frame.by], note="; ".join(notes) or None))
    nodes_title = "Nodes" + (" (stale)" if "/v1/nodes" in stale else "")
    out.append(Table(NODE_COLUMNS, tuple(tuple(n.values()) for n in frame.nodes),
                     title=nodes_title,
                     note="batch_queue is empty when async indexing is on"
                     if any(n["batch_queue"] is None for n in frame.nodes) else None))
    if frame.metrics is not None:
        urls = frame.metrics.urls
        out.append(Record(_metrics_fields(frame.metrics.to_data()), title="Metrics (" + (
            urls[0] if len(urls) == 1 else f"{len(urls)} endpoints, summed") + ")"))
    return out


def _stale_lines(stale: list[Stale], live: bool) -> list[Result]:
    """A warning per late source; on a dashboard, beyond two, the nodes' and one for the
    rest (their rows are marked), so the tables keep the screen."""
    def line(item: Stale) -> Message:
        age = "no answer yet" if item.age_s is None else f"last good answer {item.age_s:.1f} s ago"
        return Message(f"stale: {item.key} ({age}; {item.error})", Level.WARNING)

    if not live or len(stale) <= 2:
        return [line(item) for item in stale]
    nodes = [line(s) for s in stale if s.key == "/v1/nodes"]
    rest = [s for s in stale if s.key != "/v1/nodes"]
    first = rest[0].error or ""
    example = first if rest[0].key in first else f"{rest[0].key}: {first}"
    return [*nodes, Message(f"stale: {len(rest)} more sources, their rows marked (stale); "
                            f"{example}", Level.WARNING)]


def fit_columns(columns: tuple[str, ...], rows: list[dict[str, Any]],
                width: int | None) -> tuple[tuple[str, ...], list[str]]:
    """The columns whose rows fit on one line in ``width``, and those left out (the least
    needed first) so that names never wrap mid-word."""
    kept = list(columns)
    left_out: list[str] = []
    if width is None:
        return columns, left_out

    def needed(column: str) -> int:  # the text, its padding and a separator
        texts = [len(_text(row.get(column))) for row in rows]
        return max([len(column), *texts]) + 3

    for column in NARROW_DROPS:
        if sum(needed(c) for c in kept) + 1 <= width:
            break
        if column in kept:
            kept.remove(column)
            left_out.append(column)
    return tuple(kept), left_out


def _text(value: Any) -> str:
    """A cell as the table shows it."""
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


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
