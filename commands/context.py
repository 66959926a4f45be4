"""The session (connection and context) and what a command handler receives.

The shell builds connections (it knows profiles and config files); commands ask
for one through ``Session.connector``, so ``\\connect`` stays in the core.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from commands.api.client import RestClient
from commands.errors import ApiError, ConnectionFailed, NotConnected, UsageError
from commands.progress import Progress
from commands.results import Result
from commands.safety import (
    DEFAULT_PROTECTED,
    DEFAULT_SAFETY_MAX,
    Confirmer,
    Decision,
    Plan,
    approve,
)

if TYPE_CHECKING:
    from commands.recording import Recorder

Connector = Callable[..., "Connection"]
"""``connector(target, api_key=None, secondary=False)`` opens a connection to a URL or a
profile; a ``secondary`` one (a migration target) never inherits the session's
``WEAVIATE_API_KEY`` or ``WEAVIATE_URL``."""

KnownNames = Callable[[], Sequence[str] | None]
"""``known()`` gives the collection names the shell already holds (its completion cache),
or None when it holds none yet."""

KNOWN_COLLECTIONS: ContextVar[tuple[RestClient, KnownNames] | None] = ContextVar(
    "known_collections", default=None)
"""The running command's session client and ``Session.known_collections``, set with each
``CommandContext``: an ops function handed only a REST client (``schema.get_class``) hints
a name without a request when that client is the session's (not a ``--target``'s)."""


class LiveView(Protocol):
    """Where a streaming command (``\\stats --watch``) sends its frames; ``format`` is what
    it draws (``table`` at a terminal, ``json`` for NDJSON lines)."""

    format: str
    height: int | None
    """Lines on the screen (None: no screen, e.g. NDJSON), so a frame can fit in them."""
    width: int | None
    """Columns on the screen (None: no screen), so a frame can choose the columns that fit."""

    def show(self, results: list[Result]) -> None:
        """Draw one frame (replacing the last one on a terminal, one line elsewhere)."""

    def wait(self, seconds: float) -> bool:
        """Pause; False when the user asked to stop (``q`` or Ctrl-C)."""


class ShellHooks(Protocol):
    """What only the shell can do for ``\\o``, ``\\i`` and ``\\e``: it owns standard output,
    the terminal and the loop that runs lines (``shell.scripting``)."""

    def redirect(self, target: str | None) -> None:
        """Send results to a file, or to a shell command for ``|command``; None: back to
        standard output."""

    def include(self, path: str) -> int:
        """Run a script file's lines; the exit status of the first that failed (0: none)."""

    def edit(self, path: str | None, text: str) -> int | None:
        """Open ``path`` (None: a scratch file holding ``text``) in the user's editor and run
        what was saved: the first failure's exit status, or None when nothing was saved."""


Live = Callable[..., AbstractContextManager[LiveView]]
"""``live(format, append=False)`` gives a context manager yielding a ``LiveView``: the shell's
draws a rich Live dashboard at a terminal (table format) and NDJSON lines elsewhere; with
``append``, table frames off a terminal are drawn as tables, one after another."""


def api_key_from_env(option: str, variable: str | None) -> str | None:
    """The API key in the environment variable ``variable`` that ``option`` names (None when
    none is named): a key never comes from the command line, so never from history or audit."""
    if not variable:
        return None
    key = os.environ.get(variable)
    if not key:
        raise UsageError(f"{option} {variable}: that variable is not set",
                         f"export {variable}=... first, or use a profile with api_key_env")
    return key


@dataclass
class Connection:
    """A live cluster connection and what was learned when opening it."""

    api: RestClient
    url: str
    profile: str | None = None
    server_version: str | None = None
    identity: str = "unknown"
    tier: str | None = None
    metrics_urls: tuple[str, ...] = ()
    """The cluster's Prometheus endpoints, one per node (the profile's ``metrics_url``)."""

    @property
    def read_only(self) -> str | None:
        """The read-only profile's name when every write is refused, else None."""
        return self.api.read_only


@dataclass
class Session:
    """State that outlives one command: connection, current collection, output settings."""

    connection: Connection | None = None
    connector: Connector | None = None
    collection: str | None = None
    tenant: str | None = None
    format: str = "table"
    expanded: bool = False
    history: list[str] = field(default_factory=list)
    listeners: list[Callable[[str], None]] = field(default_factory=list)
    confirmer: Confirmer | None = None
    assume_yes: bool = False
    dry_run: bool = False
    protected: tuple[str, ...] = DEFAULT_PROTECTED
    template_dirs: tuple[Path, ...] = ()
    progress: Progress | None = None
    live: Live | None = None
    screen_width: Callable[[], int | None] | None = None
    """The terminal's columns when results go to one (None off a terminal: a pipe gets every
    column); the shell provides it."""
    state_dir: Path | None = None
    """Where long operations keep their checkpoints (``$XDG_STATE_HOME/elysiactl``)."""
    known_collections: KnownNames | None = None
    """The collection names the shell holds (the REPL sets it to its completion cache's), for
    "did you mean" hints without a request."""
    variables: dict[str, str] = field(default_factory=dict)
    """psql-style variables (``\\set``, ``-v NAME=VALUE``), interpolated as ``:NAME`` into later
    lines (``commands.variables``)."""
    timing: bool = False
    """``\\timing``: each command's elapsed time is shown on stderr after its output."""
    pager: str = "on"
    """``\\pset pager``: ``on`` (output taller than the terminal), ``off`` or ``always``; only
    the REPL at a terminal pages."""
    shell_hooks: ShellHooks | None = None
    """``\\o``, ``\\i`` and ``\\e``'s way to the shell (set by ``shell.runner.LineRunner``)."""
    recorder: Recorder | None = None
    """The runbook ``\\record FILE`` is writing, which the runner tells of each line's outcome."""
    safety_backup_max_objects: int = DEFAULT_SAFETY_MAX
    """Destructive commands take no safety backup of more objects than this (config file)."""

    @property
    def api(self) -> RestClient:
        """The REST client, or ``NotConnected`` with a hint."""
        if self.connection is None:
            raise NotConnected()
        return self.connection.api

    def open_target(self, target: str, api_key_env: str | None = None) -> Connection:
        """A second connection beside the session's own (``--target URL|PROFILE``).

        Its key comes from the profile, or from the environment variable named by
        ``api_key_env``: never from the command line, so never from history or audit.
        """
        if self.connector is None:
            raise UsageError("a second cluster cannot be opened here")
        key = api_key_from_env("--target-api-key-env", api_key_env)
        try:
            return self.connector(target, api_key=key, secondary=True)
        except ApiError as exc:
            if exc.status not in (401, 403):
                raise
            raise ConnectionFailed(
                f"the target {target} refused the credentials: {exc.message}",
                "give the target's key with --target-api-key-env VAR, or use a profile "
                "with api_key_env") from None
        except ConnectionFailed as exc:
            raise ConnectionFailed(f"the target: {exc.message}", exc.hint) from None

    def replace_connection(self, connection: Connection | None) -> None:
        """Swap the connection, close the old one and tell listeners (cache refresh)."""
        old, self.connection = self.connection, connection
        if old is not None and old is not connection:
            old.api.close()
        self.collection = self.tenant = None
        self.notify("connection")

    def notify(self, event: str) -> None:
        """Tell listeners that ``event`` (``connection`` or ``schema``) happened."""
        for listener in list(self.listeners):
            listener(event)


class Job(Protocol):
    """A prepared long write (``\\restore``, ``\\migrate``) as ``CommandContext.run_job``
    runs it."""

    destructive: bool
    create: bool
    written_now: int

    def run(self) -> Any: ...


@dataclass
class CommandContext:
    """What a handler gets besides its arguments."""

    session: Session
    arguments: dict[str, Any]
    registry: Any = None
    audit: Any = None
    decision: Decision | None = None
    objects_affected: int | None = None
    exit_code: int = 0
    """A handler's own exit status for a run that completed (``\\health``: 1 degraded,
    2 critical; ``\\migrate``: 1 when objects were refused); failures raise instead."""
    status: str | None = None
    """The audit status of such a run (default ``error``), e.g. ``\\health``'s verdict."""
    format: str = "table"
    """The output format this command's results will be rendered in."""
    execute: Callable[[str], Any] | None = None
    """``execute(line)`` runs another command line through the dispatcher, audited like any
    (``\\watch``); it returns that line's ``Outcome`` and never raises for its failure."""
    audit_fields: dict[str, Any] = field(default_factory=dict)
    """Fields a handler adds to its audit entry (the safety backup it took)."""

    def __post_init__(self) -> None:
        connection, known = self.session.connection, self.session.known_collections
        KNOWN_COLLECTIONS.set((connection.api, known) if connection and known else None)

    @property
    def api(self) -> RestClient:
        return self.session.api

    @property
    def server_version(self) -> str | None:
        """The connected server's version from ``/v1/meta`` (None when unknown)."""
        connection = self.session.connection
        return connection.server_version if connection else None

    def approve(self, plan: Plan, *, force: bool = False, dry_run: bool = False,
                allow_protected: bool = False) -> Decision:
        """Pass ``plan`` through the safety gate with this session's settings."""
        session = self.session
        tier = session.connection.tier if session.connection else None
        self.decision = None
        self.decision = approve(plan, confirmer=session.confirmer,
                                force=force or session.assume_yes,
                                dry_run=dry_run or session.dry_run,
                                allow_protected=allow_protected,
                                production=tier == "production" or plan.production)
        return self.decision

    def dry_run_or_approve(self, plan: Plan, destructive: bool, *, force: bool, dry_run: bool,
                           allow_protected: bool) -> bool:
        """True when the command must stop and show ``plan`` as a dry run. A destructive
        plan passes the safety gate (which raises ``Refused``); any other one is a dry run
        only when asked for."""
        if destructive:
            return self.approve(plan, force=force, dry_run=dry_run,
                                allow_protected=allow_protected) is Decision.DRY_RUN
        if dry_run or self.session.dry_run:
            self.decision = Decision.DRY_RUN
            return True
        return False

    def run_job(self, job: Job, plan: Plan, *, force: bool, dry_run: bool,
                allow_protected: bool) -> Any:
        """Pass ``plan`` through the gate, then run ``job`` (a prepared restore or migration):
        its report, or None for a dry run. The objects it wrote are recorded however it ends,
        and a failure that may have left a new class behind refreshes the schema cache."""
        if self.dry_run_or_approve(plan, job.destructive, force=force, dry_run=dry_run,
                                   allow_protected=allow_protected):
            return None
        try:
            return job.run()
        except BaseException:
            if job.create:
                self.session.notify("schema")
            raise
        finally:
            self.objects_affected = job.written_now
