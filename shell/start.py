"""Start a run that got past the process flags: open the connection, build the session and
the dispatcher, and hand lines to the REPL or to script mode."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

from commands.audit import AuditSink, JsonlAuditLog, MemoryAuditLog
from commands.context import Connection, Session
from commands.dispatch import Dispatcher
from commands.errors import ExitStatus, ShellError, UsageError
from commands.inputs import stream_lines
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.owner_only import private_dir, touch_private
from commands.parse import parse
from commands.registry import Registry
from shell.config import Settings, Target, config_dir, load_settings, resolve, state_dir
from shell.live import live_views
from shell.runner import LineRunner
from shell.script import numbered, read_lines, run_lines

if TYPE_CHECKING:
    from shell.render import Renderer

SESSION_ONLY = ("WEAVIATE_API_KEY", "WEAVIATE_URL")  # never carried over to a second cluster


@functools.cache
def renderer() -> Renderer:
    """The renderer, built on first use: rich is not needed before the first output."""
    from shell.render import Renderer
    from shell.streams import consoles

    return Renderer(*consoles())


def _setup_logging(directory: Path) -> Path | None:
    """Log to a file, never to the terminal (also silences logging's last-resort handler)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if os.environ.get("ELYSIACTL_DEBUG") else logging.WARNING)
    try:
        path: Path | None = touch_private(directory / "elysiactl.log")
        handler: logging.Handler = logging.FileHandler(path)
    except OSError:
        handler, path = logging.NullHandler(), None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers = [handler]
    return path


def _audit_log(directory: Path) -> AuditSink:
    try:
        private_dir(directory)
    except OSError:
        return MemoryAuditLog()
    return JsonlAuditLog(directory / "audit.jsonl")


def _connector(settings: Settings, env: Mapping[str, str]) -> Callable[..., Connection]:
    def connect(target: str, api_key: str | None = None, secondary: bool = False) -> Connection:
        own = {k: v for k, v in env.items() if k not in SESSION_ONLY} if secondary else env
        named = {"url_from": "--target", "key_from": "--target-api-key-env"} if secondary \
            else {"url_from": "\\connect", "key_from": "--api-key-env"}
        named["url" if "://" in target else "profile"] = target
        return _open(resolve(settings, own, api_key=api_key, **named))
    return connect


def _open(target: Target) -> Connection:
    """Open ``target`` with the client's retry policy, the first connection included (a
    cluster still starting is waited for, as the README promises)."""
    connection = open_connection(target.url, api_key=target.api_key,
                                 headers=dict(target.headers), verify=target.verify,
                                 profile=target.profile, tier=target.tier,
                                 read_only=target.read_only)
    connection.metrics_urls = target.metrics_urls
    return connection


def run(args: argparse.Namespace) -> int:
    """Run the mode that ``args`` (from ``shell.cli.parse_args``) chose; returns the exit code."""
    error_log = _setup_logging(state_dir())
    env = os.environ
    interactive = not (args.lines or args.file) and _terminal(sys.stdin) and _terminal(sys.stdout)
    sandbox = None
    try:
        settings = load_settings()
        lines: Iterable[tuple[str, str]] = args.lines
        # read before connecting: a bad script is a usage error whatever the cluster does
        script = numbered(args.file, read_lines(args.file)) if args.file else None
        if not (lines or script or interactive) and sys.stdin is None:  # elysiactl <&-
            raise UsageError("standard input is closed: no commands to run",
                             "give them with -c CMD or -f FILE")
        if sys.stdout is None:  # elysiactl >&-
            raise UsageError("standard output is closed: the results have nowhere to go",
                             "send them to a file, or to /dev/null")
        if args.sandbox:
            from sandbox import Sandbox

            sandbox = Sandbox(seed="demo", metrics=True, export=True).start()
            renderer().note(f"sandbox: an in-process Weaviate emulator with demo data at "
                            f"{sandbox.url}, Prometheus metrics at {sandbox.metrics_url} (not "
                            "a real Weaviate; nothing you do here touches a cluster)")
        target = resolve(settings, env, url=sandbox.url if sandbox else args.url,
                         profile=None if sandbox else args.profile, api_key=args.api_key,
                         headers=args.headers, insecure=args.insecure,
                         metrics_urls=tuple(sandbox.metrics_urls.values()) if sandbox else ())
        profile = settings.profiles.get(target.profile or "")
        session = Session(connector=_connector(settings, env), format=args.format or (
            profile.format if profile else None) or settings.format,
            assume_yes=args.yes, dry_run=args.dry_run, protected=settings.protected,
            template_dirs=(config_dir() / "templates",), live=live_views(renderer),
            screen_width=lambda: renderer().out.width if renderer().out.is_terminal else None,
            state_dir=state_dir(), safety_backup_max_objects=settings.safety_backup_max_objects,
            variables={k: v for k, v in args.variables.items() if v is not None})
        if sys.stderr.isatty():
            from shell.interact import PromptConfirmer, progress_bars

            session.progress = progress_bars(renderer)
            if lines and _terminal(sys.stdin):
                # A person typed this one command at a terminal, as in the seed's
                # `elysiactl col rm UserDocuments`: ask them. Scripts and pipes never ask.
                session.confirmer = PromptConfirmer(renderer)
        dispatcher = Dispatcher(Registry.from_modules(MODULES), session,
                                _audit_log(state_dir()), error_log)
        runner = LineRunner(dispatcher, renderer, args.format)
        if lines and all(_offline(line, dispatcher.registry) for _, line in lines):
            return run_lines(lines, runner)  # no cluster needed
        if interactive:  # connects once its prompt is drawn (shell.connecting)
            from shell.app import run_repl
            from shell.connecting import Connecting

            return run_repl(runner, settings,
                            connecting=Connecting(target.url, lambda: _open(target)))
        try:  # script and -c modes connect before their first line
            session.connection = _open(target)
        except ShellError as exc:  # a header no request can carry is a usage error
            renderer().error(exc)
            return int(ExitStatus.USAGE if isinstance(exc, UsageError) else ExitStatus.CONNECTION)
        if script is not None:
            lines = script
        elif not lines:
            lines = stream_lines("stdin", sys.stdin.buffer)
        on_error = args.on_error or ("continue" if args.dry_run else "stop")
        return run_lines(lines, runner, on_error, args.echo)
    except ShellError as exc:
        renderer().error(exc)
        return int(exc.exit_status)
    except KeyboardInterrupt:
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing, and keep Python's exit flush quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitStatus.SUCCESS)
    except Exception as exc:  # a bug outside any command: one line, the traceback in the log
        logging.getLogger(__name__).exception("internal error")
        where = f" (details in {error_log})" if error_log else ""
        renderer().error(ShellError(f"internal error: {type(exc).__name__}: {exc}{where}"))
        return int(ExitStatus.ERROR)
    finally:
        if sandbox is not None:
            sandbox.stop()


def _terminal(stream: IO[str] | None) -> bool:
    """Whether ``stream`` is a terminal; None (a closed standard stream) is not."""
    return stream is not None and stream.isatty()


def _offline(line: str, registry: Registry) -> bool:
    """Whether ``line`` only asks for help (``CMD --help``, ``\\help``) or reads the audit log
    (``\\audit --verify`` from cron), which need no cluster."""
    try:
        inv = parse("\\" + line.strip().lstrip("\\"), registry)
    except ShellError:
        return False
    return inv.help or inv.spec.name in ("help", "audit")

