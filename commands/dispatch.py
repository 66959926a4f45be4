"""One dispatch path for every mode: parse, bind, run, record.

``Dispatcher.execute(line, source)`` never raises for a command's failure: it returns
an ``Outcome`` with the error and the exit code. Unexpected exceptions are logged
with their traceback to a file whose path the one-line message names. The audit
entry is written in ``finally``, whatever happened.
"""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path
from typing import Any

from commands.audit import AuditSink, now_iso
from commands.context import CommandContext, Session
from commands.errors import ExitStatus, QuitRequested, Refused, ShellError, UsageError
from commands.parse import Invocation, parse
from commands.registry import Registry
from commands.results import Outcome, Result, Text
from commands.spec import CommandSpec, Kind
from commands.variables import REDACTED, redact

logger = logging.getLogger(__name__)


def help_text(spec: CommandSpec) -> str:
    """The ``--help`` of one command, built from its declaration."""
    lines = [f"usage: {spec.usage}", "", spec.summary]
    if spec.help:
        lines += ["", spec.help]
    if spec.aliases:
        lines += ["", "aliases: " + ", ".join(f"\\{a}" for a in spec.aliases)]
    if spec.args:
        lines += ["", "arguments:"]
        lines += [f"  {a.name.upper():<18} {a.help}" + (
            " (default: the current collection)" if a.from_context else "") for a in spec.args]
    lines += ["", "options:"]
    for opt in spec.opts:
        value = "" if opt.flag else "[=VALUE]" if opt.bare is not None else \
            " " + opt.kind.value.upper()
        lines.append(f"  {opt.name + value:<18} {opt.help}")
    lines.append(f"  {'--format FORMAT':<18} table, json or yaml for this command")
    lines.append(f"  {'--help':<18} show this help")
    if spec.destructive:
        lines += ["", "This command is destructive."]
    return "\n".join(lines)


class Dispatcher:
    """Runs command lines against a session and records each in the audit log."""

    def __init__(self, registry: Registry, session: Session, audit: AuditSink,
                 error_log: Path | None = None) -> None:
        self.registry = registry
        self.session = session
        self.audit = audit
        self.error_log = error_log
        self.session_id = secrets.token_hex(16)  # uuid would load platform: slower start

    def execute(self, line: str, source: str, nested: bool = False) -> Outcome:
        """Run one command line; ``source`` is ``repl``, ``script:FILE:LINE`` or ``argv``.
        A ``nested`` line (run by another command, ``\\watch``) is audited, not kept in
        the history."""
        text = line.strip()
        if text and not text.startswith("\\"):
            text = "\\" + text
        started = time.perf_counter()
        outcome = Outcome(command=None)
        inv: Invocation | None = None
        quit_requested = False
        try:
            inv = parse(text, self.registry)
            outcome.command, outcome.format = inv.spec.name, inv.format
            outcome.results = self._run(inv, outcome, source)
        except QuitRequested:
            quit_requested = True
        except ShellError as exc:
            self._fail(outcome, exc, exc.exit_status)
        except KeyboardInterrupt:
            self._fail(outcome, ShellError("interrupted"), ExitStatus.INTERRUPTED)
        except Exception as exc:  # a bug must not become a traceback on the user's screen
            logger.exception("internal error running %r", text.split()[:1])
            where = f" (details in {self.error_log})" if self.error_log else ""
            self._fail(outcome, ShellError(f"internal error: {type(exc).__name__}: {exc}{where}"),
                       ExitStatus.ERROR)
        finally:
            outcome.duration_s = time.perf_counter() - started
            self._record(text, source, inv, outcome, nested)
        if quit_requested:
            raise QuitRequested()
        return outcome

    def _run(self, inv: Invocation, outcome: Outcome, source: str) -> list[Result]:
        spec = inv.spec
        if inv.help:
            return [Text(help_text(spec))]
        for arg in spec.args:
            if arg.kind is Kind.COLLECTION and arg.from_context and inv.arguments.get(
                    arg.name) is None:
                if self.session.collection is None:
                    raise UsageError(f"\\{spec.name}: no collection given and none in use",
                                     r"give one, or pick one with \use COLLECTION")
                inv.arguments[arg.name] = self.session.collection
        if spec.needs_connection:
            self.session.api  # noqa: B018 - raises NotConnected with its hint
        self._refuse_on_read_only(inv)
        ctx = CommandContext(self.session, inv.arguments, self.registry, self.audit,
                             format=inv.format or self.session.format,
                             execute=lambda line: self.execute(line, source, nested=True))
        try:
            produced = spec.handler(ctx, **inv.arguments)
        finally:
            if ctx.decision is not None:
                outcome.confirmation = str(ctx.decision)
            outcome.objects_affected = ctx.objects_affected
            outcome.audit_fields = ctx.audit_fields
            outcome.exit_code = ctx.exit_code
            if ctx.exit_code:
                outcome.status = ctx.status or "error"
        if spec.changes_schema:
            self.session.notify("schema")
        if produced is None:
            return []
        return list(produced) if isinstance(produced, list | tuple) else [produced]

    def _refuse_on_read_only(self, inv: Invocation) -> None:
        """A destructive command on a read-only profile stops here, whatever --force or
        --yes say; a dry run goes on (it sends no write, and the client refuses any). One
        that needs no connection (``\\backups prune``) removes local files only: it goes on."""
        connection = self.session.connection
        if not (inv.spec.destructive and inv.spec.needs_connection) or connection is None \
                or connection.read_only is None:
            return
        if inv.arguments.get("dry_run") or self.session.dry_run:
            return
        raise Refused(f"profile {connection.read_only} is read-only: \\{inv.spec.name} "
                      "changes the cluster, so nothing was sent",
                      "add --dry-run to see what it would do, or connect with a profile "
                      "that may write")

    @staticmethod
    def _fail(outcome: Outcome, error: ShellError, code: ExitStatus) -> None:
        outcome.error = error
        outcome.exit_code = int(code)
        outcome.status = {ExitStatus.USAGE: "usage-error", ExitStatus.REFUSED: "refused",
                          ExitStatus.INTERRUPTED: "interrupted",
                          ExitStatus.TIMEOUT: "timeout"}.get(code, "error")

    def _record(self, text: str, source: str, inv: Invocation | None, outcome: Outcome,
                nested: bool) -> None:
        connection, variables = self.session.connection, self.session.variables
        # a command that met the safety gate was destructive this time (\optimize --apply)
        gated = outcome.confirmation != "not-needed" or outcome.status == "refused"
        entry: dict[str, Any] = {
            "time": now_iso(), "session": self.session_id,
            "identity": connection.identity if connection else None,
            "cluster": connection.url if connection else None,
            "source": source, "command": outcome.command,
            "arguments": redact(_redacted(inv), variables) if inv else {
                "raw": redact(_first_word(text), variables)},
            "destructive": bool(inv and inv.spec.destructive) or gated,
            "confirmation": "refused" if outcome.status == "refused" else outcome.confirmation,
            "status": outcome.status,
            "error": redact(outcome.error.message, variables)
            if isinstance(outcome.error, ShellError) else None,
            "duration_ms": round(outcome.duration_s * 1000, 1),
            "objects_affected": outcome.objects_affected,
            **outcome.audit_fields,
        }
        if inv is not None and inv.help:  # CMD --help ran nothing: audited as \help CMD is
            entry.update(command="help", arguments={"topic": inv.spec.name.split()},
                         destructive=False)
        if not nested:
            self.session.history.append(redact(text, variables))  # as run, secrets hidden
        try:
            self.audit.record(entry)
        except OSError as exc:
            logger.warning("cannot write the audit log: %s", exc)


def _redacted(inv: Invocation) -> dict[str, Any]:
    secret = {o.dest for o in inv.spec.opts if o.secret}
    return {k: (REDACTED if k in secret and v else v) for k, v in inv.arguments.items()}


def _first_word(text: str) -> str:
    """Only the command word of a line that did not parse: the rest may hold a typed secret."""
    words = text.split(maxsplit=1)
    return words[0] if words else ""
