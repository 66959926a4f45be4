"""The interactive shell: prompt, completion, toolbar and the read-dispatch-render loop.

Completion reads an in-memory schema snapshot that a background thread refreshes
on connect and after schema-changing commands; a keystroke never waits on the
network. Ctrl-C cancels the line (or the running command); Ctrl-D leaves.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import ThreadedCompleter
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import merge_key_bindings
from prompt_toolkit.lexers import DynamicLexer, Lexer, PygmentsLexer
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style

from commands.context import Session
from commands.errors import QuitRequested, ShellError
from commands.ops.connection import nodes_health
from commands.owner_only import private_dir, touch_private
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache
from completers.refresher import MetadataRefresher
from shell.config import Settings, state_dir
from shell.continuation import continuation, continuation_bindings
from shell.history import RedactingFileHistory, history_problem
from shell.interact import PromptConfirmer
from shell.tab import tab_bindings

if TYPE_CHECKING:
    from commands.registry import Registry
    from shell.connecting import Connecting
    from shell.render import Renderer
    from shell.runner import LineRunner

STYLE = Style.from_dict({
    "prompt": "ansicyan bold", "prompt.production": "ansired bold",
    "prompt.disconnected": "ansiyellow", "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
    "pygments.keyword": "ansicyan bold", "pygments.name.attribute": "ansigreen",
    "pygments.literal.string": "ansiyellow",
})


class Toolbar:
    """The bottom line: cluster, version, node health, context, format, schema cache state."""

    def __init__(self, session: Session, cache: MetadataCache,
                 connecting: Connecting | None = None) -> None:
        self.session = session
        self.cache = cache
        self.nodes: tuple[int, int] | None = None
        self.connecting = connecting

    def update_nodes(self) -> None:
        """Fetch node health in the background (never on the keystroke path)."""
        connection = self.session.connection
        if connection is None:
            self.nodes = None
            return

        def fetch() -> None:
            try:
                self.nodes = nodes_health(connection.api)
            except ShellError:
                self.nodes = None

        threading.Thread(target=fetch, daemon=True, name="toolbar-nodes").start()

    def __call__(self) -> FormattedText:
        session, conn = self.session, self.session.connection
        if conn is None:
            if self.connecting is not None and not self.connecting.settled:
                return FormattedText([("", f" connecting to {self.connecting.url} ")])
            return FormattedText([("", r" disconnected: \connect URL|PROFILE ")])
        nodes = f"{self.nodes[0]}/{self.nodes[1]} nodes healthy" if self.nodes else "nodes ?"
        context = session.collection or "-"
        if session.tenant:
            context += f" [{session.tenant}]"
        parts = [conn.url, f"Weaviate {conn.server_version or '?'}", nodes,
                 f"collection {context}", f"format {session.format}",
                 f"schema {self.cache.state}"]
        return FormattedText([("", " " + " | ".join(parts) + " ")])


def prompt_message(session: Session, connecting: bool = False) -> FormattedText:
    """``host:port/Collection> ``, red on a production tier, marked on a read-only profile."""
    conn = session.connection
    if conn is None:
        state = "connecting" if connecting else "disconnected"
        return FormattedText([("class:prompt.disconnected", f"({state})> ")])
    host = re.sub(r"^\w+://", "", conn.url)
    where = f"{host}/{session.collection}" if session.collection else host
    style = "class:prompt.production" if conn.tier == "production" else "class:prompt"
    tier = f"[{conn.tier}] " if conn.tier else ""
    read_only = "[read-only] " if conn.read_only else ""
    return FormattedText([(style, f"{tier}{read_only}{where}> ")])


def history_file(session: Session) -> Path:
    """One input history per profile (or per cluster when there is no profile)."""
    conn = session.connection
    key = (conn.profile or re.sub(r"\W+", "_", conn.url)) if conn else "disconnected"
    return state_dir() / "history" / key


def _history(session: Session, registry: Registry, renderer: Renderer) -> History:
    """The input history in its file (owner-only), or for this session only when the file
    cannot be used (said once, naming the file)."""
    path = history_file(session)
    try:
        private_dir(path.parent)
    except OSError as exc:
        problem: str | None = f"cannot make its directory: {exc.strerror or exc}"
    else:
        problem = history_problem(str(path))
    if problem is None:
        try:
            touch_private(path)  # 0600 before prompt_toolkit appends to it
        except OSError as exc:
            problem = f"cannot create it: {exc.strerror or exc}"
    if problem is None:
        return RedactingFileHistory(str(path), registry)
    renderer.note(f"history file {path}: {problem}; this session's lines are not kept")
    return InMemoryHistory()


def run_repl(runner: LineRunner, settings: Settings, input: Input | None = None,  # noqa: A002
             output: Output | None = None, connecting: Connecting | None = None) -> int:
    """Read, dispatch and render until ``\\q`` or Ctrl-D; returns the exit code (0).

    ``connecting``: the start-up connection, opened once the prompt is drawn.
    """
    dispatcher, renderer = runner.dispatcher, runner.renderer
    session = dispatcher.session
    runner.paging = True  # long results through $PAGER (shell.pager), at the prompt only
    session.confirmer = PromptConfirmer(renderer, input=input, output=output)
    cache = MetadataCache()
    refresher = MetadataRefresher(cache, lambda: session.connection.api
                                  if session.connection else None)
    toolbar = Toolbar(session, cache, connecting)
    session.known_collections = lambda: s.collections if (s := cache.snapshot).fetched_at else None

    def on_event(event: str) -> None:
        if event == "connection":
            refresher.reset()  # forget the old cluster's names at once
            toolbar.update_nodes()
        else:
            refresher.refresh()

    session.listeners.append(on_event)
    completer = MetaCommandCompleter(dispatcher.registry, cache, lambda: session.collection,
                                     lambda: sorted(settings.profiles), refresher=refresher,
                                     tenant_wait=0.5)
    highlighter: list[Lexer] = []  # filled once the prompt is on screen
    prompt = PromptSession(
        completer=ThreadedCompleter(completer), complete_while_typing=True,
        lexer=DynamicLexer(lambda: highlighter[0] if highlighter else None),
        auto_suggest=AutoSuggestFromHistory(), enable_open_in_editor=True,  # Ctrl-X Ctrl-E
        history=_history(session, dispatcher.registry, renderer()),
        bottom_toolbar=toolbar, style=STYLE, input=input, output=output,
        key_bindings=merge_key_bindings([tab_bindings(), continuation_bindings()]),
        prompt_continuation=continuation)
    refresher.on_done = lambda: prompt.app.invalidate()

    def first_paint(_: object) -> None:
        # Once the prompt is on screen, not while it is being drawn: load the highlighter
        # (Pygments and its compiled rules cost about as much as drawing the prompt) and
        # fill the schema cache.
        prompt.app.after_render -= first_paint
        from shell.lexer import MetaCommandLexer

        highlighter.append(PygmentsLexer(MetaCommandLexer))
        prompt.app.invalidate()  # redraw: highlighted, and the toolbar once its height is known
        if session.connection is not None:
            on_event("connection")
        elif connecting is not None and not connecting.settled:
            prompt.app.create_background_task(
                connecting.settle_when_done(session, renderer, prompt.app))

    prompt.app.after_render += first_paint
    welcome = r"elysiactl: \? for help, \q or Ctrl-D to leave"
    print_formatted_text(FormattedText([("#888888", welcome)]), output=output)
    while True:
        try:
            line = prompt.prompt(lambda: prompt_message(
                session, connecting is not None and not connecting.settled))
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        if not line.strip():
            continue
        if connecting is not None and not connecting.settle(session, renderer):
            continue  # Ctrl-C while the first line waited for the connection: drop the line
        try:
            runner.run(line, "repl")
        except QuitRequested:
            break
        except KeyboardInterrupt:
            continue  # Ctrl-C while printing (a command's own ends in its outcome)
    refresher.stop()
    return 0
