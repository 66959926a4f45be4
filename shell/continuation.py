"""Multi-line entries at the prompt: a GraphQL query continues until its brackets balance.

Enter inserts a line break while the entry is unfinished (``commands.graphql_text``) and
runs it once its brackets balance; Ctrl-C drops the whole entry, as for any line. The lines
after the first are marked ``...>`` (psql's ``-#``).
"""

from __future__ import annotations

from prompt_toolkit.filters import Condition
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from commands.graphql_text import unfinished

MARK = "...> "


def continuation_bindings() -> KeyBindings:
    """Enter on an unfinished GraphQL entry starts a new line instead of running it."""
    bindings = KeyBindings()

    @Condition
    def open_entry() -> bool:
        from prompt_toolkit.application import get_app

        return unfinished(get_app().current_buffer.text)

    @bindings.add("enter", filter=open_entry)
    def _(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return bindings


def continuation(width: int, line_number: int, wrap_count: int) -> str:
    """The prefix of a line after the first: ``...>`` right-aligned under the prompt (a
    long line wrapped by the screen gets blanks)."""
    return (MARK if not wrap_count else "").rjust(width)
