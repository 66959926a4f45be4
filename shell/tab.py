"""Tab that is never lost, whatever arrives in the same input batch.

prompt_toolkit runs one completion at a time (``Buffer._async_completer`` is wrapped in
``_only_one_at_a_time``). Text typed with complete-while-typing on schedules a completion
for that text; a Tab handled in the same batch (typeahead, a paste, a multiplexer sending
keys) then asks for another with ``start_completion``, which is dropped because the first is
still running, and the first ends by showing a menu with nothing chosen: the Tab did
nothing. This Tab, when no menu is on screen yet, computes the completions of the text as it
stands (in the completer's thread, like any other) and chooses the first, as a Tab pressed
once the menu was shown would have (a single completion is inserted at once).
"""

from __future__ import annotations

from prompt_toolkit.buffer import Buffer, CompletionState
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.filters import has_completions
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent


def tab_bindings() -> KeyBindings:
    """Key bindings for Tab: the next entry when a menu is shown, else a fresh completion."""
    bindings = KeyBindings()

    @bindings.add("tab", filter=~has_completions)
    def _complete_now(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        event.app.create_background_task(complete_now(buffer))

    return bindings


async def complete_now(buffer: Buffer) -> None:
    """Complete the text before the cursor and choose the first completion; nothing when the
    text changed meanwhile or there is nothing to add."""
    if buffer.completer is None:
        return
    document = buffer.document
    found = [c async for c in buffer.completer.get_completions_async(
        document, CompleteEvent(completion_requested=True))]
    typed = document.text_before_cursor
    found = [c for c in found if typed[len(typed) + c.start_position:] != c.text]
    if buffer.document != document or not found:
        return  # typed on, or chose from a menu meanwhile: this Tab's moment has passed
    if len(found) == 1:
        buffer.apply_completion(found[0])
        return
    buffer.complete_state = CompletionState(original_document=document, completions=found)
    buffer.go_to_completion(0)
    buffer.on_completions_changed.fire()
