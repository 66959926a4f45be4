"""``python -m bench``: every benchmark, each ratio against a baseline measured in the same run.

Results are written to ``docs/benchmarks.md`` with the machine and the date; the exit
code is non-zero when an aim is missed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import (
    backup,
    completion,
    hints,
    listing,
    migrate,
    repl_memory,
    sandbox_throughput,
    shell,
    stats,
)
from bench.report import ROOT, update, write

PARTS = ("sandbox", "shell", "listing", "completion", "repl-memory", "hints", "backup", "stats",
         "migrate")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the report."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--objects", type=int, default=200_000,
                        help="objects for the sandbox throughput run")
    parser.add_argument("--backup-small", type=int, default=100_000,
                        help="objects for backup/restore throughput and the first memory point")
    parser.add_argument("--backup-large", type=int, default=1_000_000,
                        help="objects for the second memory point")
    parser.add_argument("--migrate-large", type=int, default=1_000_000,
                        help="objects for the second migrate memory point (0: skip it; "
                             "the first is --backup-small)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="run only this part and update its sections in place (repeatable)")
    args = parser.parse_args(argv)
    parts = args.only or PARTS
    sections = []
    if "sandbox" in parts:
        sections += sandbox_throughput.run(args.objects)
    if "shell" in parts:
        sections.append(shell.run())
    if "listing" in parts:
        sections.append(listing.run())
    if "completion" in parts:
        sections += completion.run()
    if "repl-memory" in parts:
        sections += repl_memory.run()
    if "backup" in parts:
        sections += backup.run(args.backup_small, args.backup_large)
    if "stats" in parts:
        sections.append(stats.run())
    if "migrate" in parts:
        sections += migrate.run(args.backup_small, args.migrate_large)
    if "hints" in parts:
        sections.append(hints.run())
    (update if args.only else write)(args.output, sections)
    print(args.output.read_text())
    return 0 if all(s.met for s in sections) else 1


if __name__ == "__main__":
    sys.exit(main())
