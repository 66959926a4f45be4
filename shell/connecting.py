"""The start-up connection, opened once the REPL's first prompt is on screen.

Nothing network-related runs before the prompt: loading httpx's transport (httpcore, h11)
alone costs more than a tenth of what importing prompt_toolkit and httpx does, and a remote
cluster adds its round trip. The prompt and the toolbar say "connecting" until the outcome
is known (never a host or a version not yet confirmed); the first line entered waits for
it. It settles once, on the REPL's thread: from the prompt's event loop as soon as the
request is answered (a failure is printed above the prompt), or before the first line runs,
whichever comes first.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from prompt_toolkit.application import Application, run_in_terminal

from commands.context import Connection, Session
from commands.errors import ShellError

if TYPE_CHECKING:
    from shell.render import Renderer

STARTING_DISCONNECTED = r"starting disconnected: \connect URL|PROFILE, or restart with --sandbox"


class Connecting:
    """``url``, opened by ``open_`` in a thread once started; ``settled`` once the session
    has the outcome."""

    def __init__(self, url: str, open_: Callable[[], Connection]) -> None:
        self.url = url
        self.future: Future[Connection] = Future()
        self.settled = False
        self._open = open_
        self._started = False

    def start(self) -> None:
        """Open the connection in a daemon thread (once): leaving never waits for it."""
        if not self._started:
            self._started = True
            self.future.set_running_or_notify_cancel()  # under way: it cannot be cancelled
            threading.Thread(target=self._run, name="connect", daemon=True).start()

    def _run(self) -> None:
        try:
            self.future.set_result(self._open())
        except BaseException as exc:  # handed to the REPL's thread, which reports it
            self.future.set_exception(exc)

    def settle(self, session: Session, renderer: Callable[[], Renderer]) -> bool:
        """Wait for the connection, then hand it to the session or say why there is none.

        False when Ctrl-C ended the wait: the connection is still under way.
        """
        if self.settled:
            return True
        self.start()
        try:
            connection = self.future.result()
        except KeyboardInterrupt:
            return False
        except ShellError as exc:
            self.settled = True
            renderer().error(exc)
            renderer().note(STARTING_DISCONNECTED)
        else:
            self.settled = True
            session.replace_connection(connection)
        return True

    async def settle_when_done(self, session: Session, renderer: Callable[[], Renderer],
                               app: Application) -> None:
        """Start, and settle as soon as the request is answered, from the prompt's loop."""
        self.start()
        answered = asyncio.wrap_future(self.future)
        try:
            await asyncio.wait([answered])
        finally:
            # A prompt that ends first leaves the outcome to settle(): cancelled, the copy
            # is not filled in on that prompt's closed loop. Answered, its exception is
            # marked as seen (settle() reports it), or asyncio would log it as unhandled.
            if not answered.cancel():
                answered.exception()
        if self.settled:
            return
        if self.future.exception() is None:
            self.settle(session, renderer)
            app.invalidate()
        else:
            await run_in_terminal(lambda: self.settle(session, renderer))
