"""Tab that is never lost, whatever arrives in the same input batch.

prompt_toolkit runs one completion at a time (``Buffer._async_completer`` is wrapped in
``_only_one_at_a_time``). Text typed with complete-while-typing on schedules a completion
for that text; a Tab handled in the same batch (typeahead, a paste, a multiplexer sending
keys) then asks for another with ``start_completion``, which is dropped because the first is
still running, and the first ends by showing a menu with nothing chosen: the Tab did
nothing. This Tab, when no menu is on screen yet, completes the text as it stands at once,
in the key handler, and chooses the first completion, as a Tab pressed once the menu was
shown would have (a single completion is inserted). Being synchronous, it also comes before
whatever follows it in the batch: ``\\conni<Tab><Enter>`` runs ``\\conninfo``.

The completer reads only memory; an explicit Tab may wait the short ``tenant_wait`` for a
tenant list being loaded, which complete-while-typing never does on this thread.
"""

from __future__ import annotations

from prompt_toolkit.buffer import Buffer, CompletionState
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.filters import has_completions
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent


def tab_bindings() -> KeyBindings:
    """Tab when no menu is shown: complete now (with a menu, prompt_toolkit's Tab moves on)."""
    bindings = KeyBindings()

    @bindings.add("tab", filter=~has_completions)
    def _complete_now(event: KeyPressEvent) -> None:
        complete_now(event.current_buffer)

    return bindings


def complete_now(buffer: Buffer) -> None:
    """Complete the text before the cursor and choose the first completion (insert it when
    it is the only one); nothing when there is nothing to add."""
    if buffer.completer is None:
        return
    document = buffer.document
    typed = document.text_before_cursor
    found = [c for c in buffer.completer.get_completions(
        document, CompleteEvent(completion_requested=True))
        if typed[len(typed) + c.start_position:] != c.text]
    if len(found) == 1:
        buffer.apply_completion(found[0])
    elif found:
        buffer.complete_state = CompletionState(original_document=document, completions=found)
        buffer.go_to_completion(0)
        buffer.on_completions_changed.fire()
