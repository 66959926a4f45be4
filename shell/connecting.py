"""The start-up connection, still under way while the REPL draws its first prompt.

The prompt and the toolbar say "connecting" until it settles (never a host or a version
not yet confirmed); the first line entered waits for it. It settles once, on the REPL's
thread: from the prompt's event loop as soon as the request is answered (a failure is
printed above the prompt), or before the first line runs, whichever comes first.
"""

from __future__ import annotations

import asyncio
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
    """``url`` being opened by ``future``; ``settled`` once the session has its outcome."""

    def __init__(self, url: str, future: Future[Connection]) -> None:
        self.url = url
        self.future = future
        self.settled = False

    def settle(self, session: Session, renderer: Callable[[], Renderer]) -> bool:
        """Wait for the connection, then hand it to the session or say why there is none.

        False when Ctrl-C ended the wait: the connection is still under way.
        """
        if self.settled:
            return True
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
        """Settle as soon as the request is answered, from the running prompt's loop."""
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
