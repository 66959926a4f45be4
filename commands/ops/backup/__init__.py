"""File backups and restores, and Weaviate's native ones: ``run`` (a backup), ``stream``
(reading a collection into chunks), ``format`` (manifests and chunks), ``catalog``,
``manifest`` (the one validator of manifests), ``lock`` (one writer per directory),
``prune``, ``restore`` with ``chain`` (incremental links), ``imports`` (batch writes and
checkpoints), ``settings``, ``transform`` (renames and drops), ``heap``, and
``native_backup`` / ``native_restore`` (the server's backup modules)."""
