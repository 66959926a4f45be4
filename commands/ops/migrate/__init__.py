"""``\\migrate``: an online copy of one collection to another cluster (OPERATIONS.md §3).

``plan`` (preflight and the target's class), ``checkpoint`` (where a migration stands),
``copy`` (cursor pages pipelined into batches), ``catchup`` (what changed during the
copy, and the final reconciliation), ``tenants`` (the target's extra tenants, the source's
activated ones set back after a failure), ``verify`` (definition, tenants, counts,
contents) and ``run`` (the phases in order).
"""
