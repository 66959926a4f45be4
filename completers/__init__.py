"""Completion for the shell: what is being typed, which names match, and where names come from.

``suggest`` says what kind of value the cursor is in (pure, no I/O); ``MetaCommandCompleter``
matches it against an in-memory ``MetadataSnapshot`` through the indexes of ``names`` (a
keystroke costs the matches it shows, at most ``limit`` of them, never the cluster's size);
``MetadataRefresher`` fills the snapshot from the cluster in a background thread, decoding
the schema with ``compact`` into names and types only. Nothing here touches a terminal, prints,
or does network I/O on the caller's thread, and nothing imports ``shell`` or ``sandbox``.
"""

from __future__ import annotations

__elysiactl_package__ = True
