"""``elysiactl``: the entry point.

Only the cheap path runs here: ``shell.cli`` answers ``--help`` and argument errors with the
standard library alone (a lone ``--version`` does not even load argparse; a one-shot line is
checked against the declarations); ``shell.start`` (prompt_toolkit, httpx) is imported only
for a run past them.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run elysiactl; returns the process exit code."""
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:  # the reader went away (elysiactl --help | head): say nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: list[str]) -> int:
    if argv == ["--version"]:
        from shell.version import version_line

        print(version_line())
        return 0
    if argv[:1] == ["sandbox"]:
        from sandbox.__main__ import main as sandbox_main

        return sandbox_main(argv[1:])
    if argv[:1] == ["completion"]:
        from shell.completion_scripts import main as completion_main

        return completion_main(argv[1:])
    if argv[:1] == ["__complete"]:  # names for those scripts, on a Tab
        from shell.complete_names import main as names_main

        return names_main(argv[1:])
    from shell.cli import parse_args

    args = parse_args(argv)
    from shell.start import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
