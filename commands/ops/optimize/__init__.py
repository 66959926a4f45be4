"""``\\optimize``: measure a collection (``measure``), judge it by rules grounded in
OPERATIONS.md §2 (``rules``, ``rules_cluster``, ``rules_inverted``), and change in place
what Weaviate can change (``apply``)."""
