"""Restore defaults, kept apart so that declaring ``\\restore`` does not load the restore code."""

BATCH_SIZE = 200  # objects per batch request (--batch-size)
PARALLEL = 4  # batch requests in flight (--parallel)
