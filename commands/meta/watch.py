"""``\\watch``: rerun a command line every SECONDS, until a condition on its result holds."""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass

from commands.api.client import WRITES_REFUSED
from commands.condition import Condition, parse_condition
from commands.context import CommandContext, LiveView
from commands.errors import CommandFailed, ExitStatus, UsageError, WaitTimedOut
from commands.meta.stats import DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL
from commands.parse import parse
from commands.results import Message, Outcome, Result
from commands.spec import Arg, Kind, Opt, command

OWN_OPTIONS = ("--count", "--until", "--timeout")
READS_ONLY = (r"\watch reruns only commands that read",
              r"run the command once, without \watch; then watch what it changed")


@dataclass(frozen=True, slots=True)
class Plan:
    """What one ``\\watch`` runs, how often and until when."""

    line: str
    name: str  # the watched command's name, for messages
    format: str  # what its frames are drawn in
    interval: float
    count: int | None
    condition: Condition | None
    timeout: float | None


@command(
    "watch", "Rerun a command every SECONDS until a condition on its result holds.",
    args=(Arg("seconds", Kind.NUMBER, f"between runs (default {DEFAULT_INTERVAL:g}; "
              f"{MIN_INTERVAL:g} to {MAX_INTERVAL:g})", required=False),
          Arg("command", Kind.COMMAND, "the command line to rerun, with its own arguments "
              "and options", many=True, rest=True)),
    opts=(Opt("--until", Kind.TEXT, "stop as soon as this condition holds on the result "
              "(exit status 0)"),
          Opt("--timeout", Kind.NUMBER, "give up after SECONDS (exit status 124)"),
          Opt("--count", Kind.INT, "at most N runs (with --until: exit status 124 when it "
              "never held)", minimum=1)),
    group="session", needs_connection=False,
    help="Runs COMMAND, a command line with its own arguments and options, every SECONDS,\n"
         "as psql's \\watch and redis-cli -r/-i do; each run is audited like any command.\n"
         "\\watch's own options go before COMMAND. At a terminal the result is redrawn in\n"
         "place and q or Ctrl-C stops; off one, each run's result follows the last (with\n"
         "--format json, one JSON document per line; with yaml, one document per run).\n\n"
         "Exit status: 0 when --until held (or q, Ctrl-C, --count ended a watch without\n"
         "--until: then the last run's status); 124 when --timeout passed first, or --count\n"
         "runs were made, before --until held (as timeout(1)); a failing run stops the watch\n"
         "at once with that command's error and exit status (1 for an error, 3 when the\n"
         "cluster does not answer), as psql's \\watch stops; 2 for a condition that does\n"
         "not parse or names a field the result does not have; 130 when q or Ctrl-C\n"
         "stopped a watch before --until held. Only commands that read are rerun: a\n"
         "destructive command is refused, any other write is refused unsent (exit 4).\n\n"
         "Conditions test the command's first table, record or document: fields of the\n"
         "result (status, count, shards.status), \"texts\", numbers, true, false, null;\n"
         "== != < <= > >=; and, or, not; parentheses. On a table, a condition holds when\n"
         "it holds for every row and there is one; any(C) holds for at least one row,\n"
         "all(C) for every row, count(C) counts the rows where C holds, count() the rows\n"
         "(count() == 0: the table is empty). A field that is a list (shards.status)\n"
         "compares like rows: every value. Nothing is evaluated as Python.\n\n"
         "  \\watch 5 --until 'status == \"SUCCESS\"' \\backups --native filesystem\n"
         "  \\watch --until 'count >= 1000000' --timeout 3600 \\count Big\n"
         "  \\watch 1 --until 'status == \"READY\"' --timeout 60 \\shards Article\n"
         "  \\watch --until 'count() == 0' \\replications\n"
         "  \\watch 0.5 --count 10 \\count Article --format json",
)
def watch_cmd(ctx: CommandContext, *, seconds: float | None, command: list[str],
              until: str | None, timeout: float | None, count: int | None) -> list[Result]:
    """``\\watch``: frames go to the session's live view; returns the closing message."""
    plan = _plan(ctx, seconds, command, until, timeout, count)
    session = ctx.session
    confirmer, session.confirmer = session.confirmer, None  # never a question mid-watch
    refusing = WRITES_REFUSED.set(READS_ONLY)
    try:
        if session.live is None:  # no shell around (in-process): return the frames
            if count is None and timeout is None and until is None:
                raise UsageError(r"\watch needs --count N, --until or --timeout here: nothing "
                                 "could stop it")
            frames = _Frames(plan.format)
            closing = _loop(ctx, plan, frames)
            return [*frames.results, *closing]
        with session.live(plan.format, append=True) as view:
            return _loop(ctx, plan, view)
    finally:
        WRITES_REFUSED.reset(refusing)
        session.confirmer = confirmer


def _plan(ctx: CommandContext, seconds: float | None, command: list[str], until: str | None,
          timeout: float | None, count: int | None) -> Plan:
    """Check every argument before the first run: a bad one is a usage error."""
    interval = DEFAULT_INTERVAL if seconds is None else seconds
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise UsageError(f"\\watch: SECONDS must be {MIN_INTERVAL:g} to {MAX_INTERVAL:g} (one "
                         f"day), got {interval:.15g}", r"e.g. \watch 5 \count Article")
    if timeout is not None and timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds", "e.g. --timeout 600")
    condition = None if until is None else parse_condition(until)
    if ctx.execute is None:
        raise UsageError(r"\watch cannot run commands here")
    line = "\\" + command[0].lstrip("\\") + "".join(" " + shlex.quote(w) for w in command[1:])
    try:
        inner = parse(line, ctx.registry)
    except UsageError as exc:
        misplaced = next((w for w in command[1:] if w.partition("=")[0] in OWN_OPTIONS), None)
        if misplaced and exc.message.endswith(f"unknown option {misplaced.partition('=')[0]}"):
            shown = "\\" + command[0].lstrip("\\")
            raise UsageError(exc.message, rf"\watch's own options go before the command: "
                             rf"\watch [SECONDS] {misplaced} ... {shown} ...") from None
        raise
    name = inner.spec.name
    if name == "watch":
        raise UsageError(r"\watch cannot watch \watch", r"one \watch with --until and --count")
    if inner.spec.destructive:
        raise UsageError(f"\\watch does not rerun \\{name}: it is destructive", READS_ONLY[1])
    if inner.format is None and ctx.format != ctx.session.format:
        line += f" --format {ctx.format}"  # \watch --format json \stats: what \stats draws
    return Plan(line, name, inner.format or ctx.format, interval, count, condition, timeout)


def _loop(ctx: CommandContext, plan: Plan, view: LiveView) -> list[Result]:
    """Run, show, test, wait; the closing message, or the error that ends the watch."""
    assert ctx.execute is not None
    started = time.monotonic()
    deadline = None if plan.timeout is None else started + plan.timeout
    runs = 0
    last: Outcome | None = None
    try:
        while True:
            begun = time.monotonic()
            last = ctx.execute(plan.line)
            runs += 1
            if last.exit_code == ExitStatus.INTERRUPTED:
                return _stopped(ctx, plan, runs, last, view, interrupted=True)
            if last.error is not None:
                error = last.error
                raise CommandFailed(
                    f"{plan.line} failed at run {runs}: {getattr(error, 'message', error)}",
                    getattr(error, "hint", None), last.exit_code)
            view.show(_header(plan, runs, view) + last.results)
            if plan.condition is not None and plan.condition.holds(plan.name, last.results):
                return [Message(f"\\watch: {plan.condition.text} held at run {runs}, after "
                                f"{time.monotonic() - started:.1f} s")]
            if plan.count is not None and runs >= plan.count:
                if plan.condition is not None:
                    raise WaitTimedOut(f"--until {plan.condition.text} did not hold in "
                                       f"{runs} run{'s' * (runs > 1)}",
                                       "a larger --count, or --timeout SECONDS")
                return _ended(ctx, last)
            now = time.monotonic()
            pause = max(0.0, plan.interval - (now - begun))
            if deadline is not None and now + pause >= deadline:
                if not view.wait(max(0.0, deadline - now)):
                    return _stopped(ctx, plan, runs, last, view)
                raise WaitTimedOut(
                    f"\\watch gave up after {plan.timeout:g} s ({runs} run{'s' * (runs > 1)})"
                    + (f": --until {plan.condition.text} did not hold" if plan.condition else ""),
                    "a longer --timeout" if plan.condition else None)
            if not view.wait(pause):
                return _stopped(ctx, plan, runs, last, view)
    except KeyboardInterrupt:
        return _stopped(ctx, plan, runs, last, view, interrupted=True)


def _header(plan: Plan, runs: int, view: LiveView) -> list[Result]:
    """A line above each table frame: what runs, which run, when (none in NDJSON/YAML)."""
    if view.format != "table":
        return []
    until = f", until {plan.condition.text}" if plan.condition else ""
    quits = "; q or Ctrl-C quits" if view.height else ""
    return [Message(f"\\watch every {plan.interval:g} s{until}: {plan.line}, run {runs} at "
                    f"{time.strftime('%H:%M:%S', time.gmtime())} UTC{quits}")]


def _stopped(ctx: CommandContext, plan: Plan, runs: int, last: Outcome | None,
             view: LiveView, interrupted: bool = False) -> list[Result]:
    """q or Ctrl-C at a terminal, or a reader gone (``| head -1``): the normal end of a plain
    watch; before --until held, an interruption. Off a terminal Ctrl-C interrupts (a script
    stops there, with 130)."""
    if interrupted and view.height is None:
        raise KeyboardInterrupt
    if plan.condition is not None:
        raise CommandFailed(f"\\watch stopped after {runs} run{'s' * (runs != 1)}, before "
                            f"--until {plan.condition.text} held", None, ExitStatus.INTERRUPTED)
    return _ended(ctx, last) if last is not None else []


def _ended(ctx: CommandContext, last: Outcome | None) -> list[Result]:
    """A watch without --until ends with its last run's exit status (``\\health``'s verdict)."""
    if last is not None and last.exit_code and last.error is None:
        ctx.exit_code, ctx.status = last.exit_code, last.status
    return []


class _Frames:
    """A live view that keeps the frames, for in-process callers that have no shell."""

    height = None
    width = None

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        self.results: list[Result] = []

    def show(self, results: list[Result]) -> None:
        self.results += results

    def wait(self, seconds: float) -> bool:
        time.sleep(seconds)
        return True

