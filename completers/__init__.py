"""Completion for the shell: what is being typed, which names match, and where names come from.

``suggest`` says what kind of value the cursor is in (pure, no I/O); ``MetaCommandCompleter``
matches it against an in-memory ``MetadataSnapshot``; ``MetadataRefresher`` fills the
snapshot from the cluster in a background thread. Nothing here touches a terminal, prints,
or does network I/O on the caller's thread, and nothing imports ``shell`` or ``sandbox``.
"""

from __future__ import annotations

__elysiactl_package__ = True
