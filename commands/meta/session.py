"""Session meta-commands: connection, context, output settings, history, audit and help."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from commands.context import CommandContext, api_key_from_env
from commands.dispatch import help_text
from commands.errors import QuitRequested, UsageError
from commands.ops.schema import get_class
from commands.parse import FORMATS
from commands.results import Message, Record, Table, Text
from commands.spec import Arg, CommandSpec, Kind, Opt, command

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@command("connect", "Connect to a Weaviate cluster by URL or profile name.",
         help="Opens a new connection and makes it current; the old one is closed. A target\n"
              "with :// is a URL (the API key comes from WEAVIATE_API_KEY, or from the\n"
              "variable --api-key-env names), anything else a profile from the config file\n"
              "(its URL, key, headers and tier). A key is never typed in the line, so it\n"
              "never reaches the history, the audit log or a \\record runbook.\n\n"
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


@command("audit", "Query the audit log of every session: by time, command and outcome.",
         help="Every command of every session is recorded in the audit log (a JSON line each,\n"
              "file mode 0600) with its identity, cluster, source, status and duration.\n\n"
              "  \\audit --since 2h\n  \\audit --command ls --status error",
         opts=(Opt("--since", help="a duration (30m, 2h, 7d) or an ISO date"),
               Opt("--command", Kind.COMMAND, "only this command"),
               Opt("--status", Kind.CHOICE, "only this outcome",
                   choices=("ok", "error", "usage-error", "refused", "interrupted",
                            "timeout", "degraded", "critical")),
               Opt("--limit", Kind.INT, "show the last N", default=50, minimum=1)),
         group="session", needs_connection=False)
def audit_cmd(ctx: CommandContext, *, since: str | None, command: str | None,
              status: str | None, limit: int) -> Table:
    start = _since(since) if since else None
    wanted = command.lstrip("\\") if command else None
    rows: list[tuple[Any, ...]] = []
    for entry in ctx.audit.entries():
        if start and datetime.fromisoformat(entry["time"].replace("Z", "+00:00")) < start:
            continue
        if (wanted and entry.get("command") != wanted) or (status and entry["status"] != status):
            continue
        rows.append((entry["time"], entry.get("identity"), entry["source"], entry.get("command"),
                     entry["status"], entry.get("error")))
    return Table(("time", "identity", "source", "command", "status", "error"),
                 tuple(rows[-limit:]) if limit > 0 else ())


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
