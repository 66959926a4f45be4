"""Session meta-commands: connection, context, output settings, history, audit and help."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from commands.audit import JsonlAuditLog
from commands.audit_chain import ChainReport
from commands.context import CommandContext, api_key_from_env
from commands.dispatch import help_text
from commands.errors import QuitRequested, UsageError
from commands.ops.schema import get_class
from commands.parse import FORMATS
from commands.results import Level, Message, Record, Result, Table, Text
from commands.spec import Arg, CommandSpec, Kind, Opt, command

_DURATION = re.compile(r"^(\d+)([smhd])$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@command("connect", "Connect to a Weaviate cluster by URL or profile name.",
         help="Opens a new connection and makes it current; the old one is closed. A target\n"
              "with :// is a URL (the API key comes from WEAVIATE_API_KEY, or from the\n"
              "variable --api-key-env names), anything else a profile from the config file\n"
              "(its URL, key, headers and tier). A key is never typed in the line, so it\n"
              "never reaches the history, the audit log or a \\record runbook; one written\n"
              "into the URL (?api_key=KEY) is used as the key and kept as *** there.\n\n"
              "  \\connect http://localhost:8080\n"
              "  \\connect https://prod.example.com --api-key-env PROD_WEAVIATE_KEY\n"
              "  \\connect prod",
         args=(Arg("target", Kind.PROFILE, "a URL such as http://localhost:8080, or a profile"),),
         opts=(Opt("--api-key-env", help="the environment variable holding the API key"),),
         group="session", needs_connection=False)
def connect_cmd(ctx: CommandContext, *, target: str, api_key_env: str | None) -> Message:
    session = ctx.session
    if session.connector is None:
        raise UsageError(r"\connect is not available here")
    connection = session.connector(target,
                                   api_key=api_key_from_env("--api-key-env", api_key_env))
    session.replace_connection(connection)
    version = connection.server_version or "unknown version"
    return Message(f"connected to {connection.url} (Weaviate {version}) as "
                   f"{connection.identity}")


@command("conninfo", "Show the current connection and context.", group="session",
         help="Cluster URL, profile, server version, who you are to Weaviate (the API-key\n"
              "user, or user@host without auth), tier, whether the profile is read-only,\n"
              "current collection and tenant, format.",
         needs_connection=False)
def conninfo_cmd(ctx: CommandContext) -> Record:
    session, conn = ctx.session, ctx.session.connection
    return Record({
        "cluster": conn.url if conn else None, "profile": conn.profile if conn else None,
        "server_version": conn.server_version if conn else None,
        "identity": conn.identity if conn else None, "tier": conn.tier if conn else None,
        "read_only": bool(conn and conn.read_only),
        "collection": session.collection, "tenant": session.tenant, "format": session.format,
    }, title="connection")


@command("use", "Make a collection current; commands that take a collection default to it.",
         help="The current collection is shown in the prompt; \\show, \\objects, \\count and\n"
              "the other collection commands use it when none is given. Without an argument\n"
              "the current collection is cleared.\n\n"
              "  \\use Article\n  \\use SupportTicket --tenant acme\n  \\use",
         args=(Arg("collection", Kind.COLLECTION, "the collection (none: clear)", required=False),),
         opts=(Opt("--tenant", Kind.TENANT, "also make this tenant current"),), group="session")
def use_cmd(ctx: CommandContext, *, collection: str | None, tenant: str | None) -> Message:
    session = ctx.session
    if collection is None:
        session.collection = session.tenant = None
        return Message("no current collection")
    name = get_class(ctx.api, collection)["class"]
    session.collection, session.tenant = name, tenant
    return Message(f"current collection: {name}" + (f", tenant {tenant}" if tenant else ""))


@command("format", "Set the output format: table, json or yaml.",
         help="Applies to every later command of this session; one command can still ask for\n"
              "another with --format.",
         args=(Arg("format", Kind.CHOICE, "table, json or yaml", choices=FORMATS),),
         group="session", needs_connection=False)
def format_cmd(ctx: CommandContext, *, format: str) -> Message:
    ctx.session.format = format
    return Message(f"output format: {format}")


@command("x", "Toggle expanded display: one record per row.", group="session",
         help="In expanded display a table is shown as one field/value block per row, which\n"
              "reads better for wide rows. JSON and YAML are not affected.",
         needs_connection=False)
def expanded_cmd(ctx: CommandContext) -> Message:
    ctx.session.expanded = not ctx.session.expanded
    return Message(f"expanded display is {'on' if ctx.session.expanded else 'off'}")


@command("history", "Show the commands of this session.",
         help="The lines typed (or run) in this session, numbered. The audit log (\\audit)\n"
              "keeps every session.",
         opts=(Opt("--limit", Kind.INT, "show the last N", default=50, minimum=1),),
         group="session",
         needs_connection=False)
def history_cmd(ctx: CommandContext, *, limit: int) -> Table:
    lines = ctx.session.history
    start = max(0, len(lines) - limit)
    return Table(("n", "command"), tuple((i + 1, lines[i]) for i in range(start, len(lines))))


def _since(value: str) -> datetime:
    match = _DURATION.match(value)
    if match:
        return datetime.now(UTC) - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since: {value!r} is neither a duration (30m, 2h, 7d) nor a date",
                         "e.g. --since 2h or --since 2026-11-24T09:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@command("audit", "Query the audit log of every session, or verify its hash chain.",
         help="Every command of every session is recorded in the audit log (a JSON line each,\n"
              "file mode 0600) with its identity, cluster, source, status and duration, a\n"
              "sequence number and the hash of the line before it. Unreadable lines are\n"
              "reported and skipped. --verify walks the chain and names the first deleted,\n"
              "edited, inserted, moved or torn line; exit status 0 when the chain is intact,\n"
              "1 when it is broken. With --head HASH (the head an earlier --verify reported)\n"
              "it also catches entries cut from the tail. --file reads another log (a\n"
              "rotated one).\n\n"
              "  \\audit --since 2h\n  \\audit --command ls --status error\n"
              "  \\audit --verify --format json",
         opts=(Opt("--since", help="a duration (30m, 2h, 7d) or an ISO date"),
               Opt("--command", Kind.COMMAND, "only this command"),
               Opt("--status", Kind.CHOICE, "only this outcome",
                   choices=("ok", "error", "usage-error", "refused", "interrupted",
                            "timeout", "degraded", "critical")),
               Opt("--limit", Kind.INT, "show the last N", default=50, minimum=1),
               Opt("--verify", help="check the hash chain of the whole log", flag=True),
               Opt("--head", help="with --verify: a head hash an earlier --verify reported, "
                   "which the log must still hold (a cut tail leaves no other trace)"),
               Opt("--file", Kind.FILE, "this log file instead of the shell's own")),
         group="session", needs_connection=False)
def audit_cmd(ctx: CommandContext, *, since: str | None, command: str | None,
              status: str | None, limit: int, verify: bool, head: str | None,
              file: str | None) -> list[Result]:
    log = _log_file(file) if file else ctx.audit
    if verify:
        if since or command or status:
            raise UsageError(r"\audit --verify checks the whole log: it takes no --since, "
                             "--command or --status")
        if head is not None and not _SHA256.match(head):
            raise UsageError(f"--head: {head!r} is not a sha256 hash (64 hex digits)",
                             r"use the head that \audit --verify reported")
        return _verify(ctx, log.verify(head and head.lower()))
    if head is not None:
        raise UsageError("--head goes with --verify", r"\audit --verify --head HASH")
    start = _since(since) if since else None
    wanted = command.lstrip("\\") if command else None
    rows: list[tuple[Any, ...]] = []
    unreadable: list[int] = []
    for line in log.lines():
        entry = line.entry
        if entry is None:
            unreadable.append(line.number)
            continue
        if start and not _after(entry.get("time"), start):
            continue
        if (wanted and entry.get("command") != wanted) or (status and entry.get(
                "status") != status):
            continue
        rows.append(tuple(entry.get(c) for c in _COLUMNS))
    table = Table(_COLUMNS, tuple(rows[-limit:]) if limit > 0 else ())
    if not unreadable:
        return [table]
    where = getattr(log, "path", "the audit log")
    shown = ", ".join(map(str, unreadable[:5])) + (", ..." if len(unreadable) > 5 else "")
    return [Message(f"skipped {len(unreadable)} unreadable line{'s' * (len(unreadable) > 1)} "
                    f"of {where} (line{'s' * (len(unreadable) > 1)} {shown}); \\audit "
                    "--verify checks the log", Level.WARNING), table]


_COLUMNS = ("seq", "time", "identity", "source", "command", "status", "error")


def _after(moment: Any, start: datetime) -> bool:
    """Whether an entry's time is at or after ``start`` (an unreadable time is not)."""
    try:
        parsed = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    except ValueError:
        return False
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)) >= start


def _log_file(file: str) -> JsonlAuditLog:
    path = Path(file).expanduser()
    if not path.is_file():
        raise UsageError(f"--file: {file} is not a file" if path.exists() else
                         f"--file: {file} does not exist")
    return JsonlAuditLog(path)


def _verify(ctx: CommandContext, report: ChainReport) -> list[Result]:
    record = Record(report.fields(), title=f"Audit chain of {report.path}")
    if report.intact:
        begins = f"; the chain begins at line {report.chain_begins} (the lines before it " \
            "were written without one)" if report.before_chain and report.entries else ""
        seqs = f" (seq {report.first_seq} to {report.last_seq})" if report.entries else ""
        return [Message(f"audit log intact: {report.entries} chained "
                        f"entr{'ies' if report.entries != 1 else 'y'}{seqs}{begins}"), record]
    ctx.exit_code, ctx.status = 1, "error"
    more = len(report.problems) - 1
    after = f" ({more} more problem{'s' * (more > 1)} after it)" if more else ""
    return [Message(f"audit log broken: {report.problems[0][1]}{after}", Level.WARNING),
            record]


@command("refresh", "Reload the schema cache used by completion.", group="session",
         help="Completion reads a cached schema, with the aliases, nodes, database users\n"
              "and roles, refreshed in the background on connect and after schema-changing\n"
              "commands (tenants and shards load per collection when first completed); this\n"
              "refreshes it now.")
def refresh_cmd(ctx: CommandContext) -> Message:
    ctx.session.notify("schema")
    return Message("refreshing the schema cache in the background")


@command("help", "List the commands, or show one command's help.", aliases=("?",),
         help="Without an argument, every command with its summary; with one, that command's\n"
              "usage, arguments and options (the same as COMMAND --help); with a group such\n"
              "as tenant, its subcommands (\\help tenant create shows one).",
         args=(Arg("topic", Kind.COMMAND, "a command name (a group and a subcommand: two "
                   "words)", required=False, many=True),), group="session",
         needs_connection=False)
def help_cmd(ctx: CommandContext, *, topic: list[str]) -> Table | Text:
    registry = ctx.registry
    if len(topic) == 1 and registry.subcommands(topic[0]):
        group = topic[0].lstrip("\\")
        members = [s for s in registry.specs if s.name.partition(" ")[0] == group]
        return _listing(members, rf"\help {group} SUBCOMMAND shows the details")
    if topic:
        return Text(help_text(registry.find(" ".join(topic))))
    return _listing(sorted(registry.specs, key=lambda s: (s.group, s.name)),
                    r"\help COMMAND or COMMAND --help shows the details")


def _listing(specs: list[CommandSpec], note: str) -> Table:
    rows = tuple((f"\\{s.name}", ", ".join(f"\\{a}" for a in s.aliases), s.summary)
                 for s in specs)
    return Table(("command", "aliases", "summary"), rows, note=note)


@command("q", "Leave the shell.", aliases=("quit",), group="session", needs_connection=False,
         help="Ctrl-D at an empty prompt does the same.")
def quit_cmd(ctx: CommandContext) -> None:
    raise QuitRequested()
