"""Backup and restore settings the declarations need, kept apart so that declaring
``\\backup`` and ``\\restore`` does not load the backup code (or orjson)."""

CODECS = ("zstd", "gzip", "none")  # how chunk files are compressed (--compress)

BATCH_SIZE = 200  # objects per batch request (--batch-size)
PARALLEL = 4  # batch requests in flight (--parallel)
FILE_FORMATS = ("jsonl", "parquet")  # how chunk files are written (--file-format)
