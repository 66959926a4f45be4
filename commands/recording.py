"""``\\record``: what a session did, written as a runbook that ``elysiactl -f`` replays.

Each line that ran is written after its outcome: a line that succeeded as itself, a line
that failed as a comment, each followed by a comment with its outcome (status, objects
affected, the message or the rows count). The file is created 0600 and every line reaches
the OS as soon as its command ends, so a crash keeps what was done.

Never written: the value of an option declared ``secret`` (the audit's redaction: such a
line becomes a comment, as it could not be replayed), a line that did not parse (only its
command word, as the audit keeps it), a message marked ``secret`` (a key shown once), a
credential written into a URL (``***``).
Left out: lines that make no sense to replay (``\\record``, ``\\q``, ``\\help``, ``--help``,
``\\history``), and a line that ran other lines through the shell (``\\i``, ``\\e``): those
lines are recorded themselves, and it stays as a comment after them.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from commands.audit import now_iso
from commands.errors import ShellError, UsageError
from commands.owner_only import open_private
from commands.parse import Invocation, parse, tokenize
from commands.registry import Registry
from commands.results import Document, Message, Outcome, Record, Table
from commands.url_credentials import hide
from commands.variables import REDACTED

NOT_REPLAYED = frozenset({"record", "q", "help", "history"})
"""Commands whose lines a runbook leaves out: they only look at or steer the session."""

SUMMARY_WIDTH = 160


class Recorder:
    """An open runbook file; ``note`` appends one line and its outcome."""

    def __init__(self, path: Path, registry: Registry, *, append: bool = False) -> None:
        try:  # an appended file keeps no wider mode than a new one
            self._fd = open_private(path, os.O_WRONLY | (os.O_APPEND if append else os.O_EXCL))
        except FileExistsError:
            raise UsageError(f"\\record {path}: the file exists",
                             "name a new file, or add --append to add to it") from None
        except OSError as exc:
            raise UsageError(f"\\record {path}: {exc.strerror}") from None
        self.path = path
        self.registry = registry
        self.started = now_iso()
        self.replayable = self.commented = 0
        self._last_end = time.perf_counter()

    def header(self, cluster: str | None, version: str | None, identity: str | None,
               collection: str | None, tenant: str | None) -> None:
        """The comment block on top (when, cluster, who), then the context the recorded
        lines rely on: the current collection, as a ``\\use`` line."""
        where = f"{cluster} (Weaviate {version or '?'})" if cluster else "no cluster"
        lines = [f"# elysiactl runbook, recorded {self.started}",
                 f"# cluster: {where}, as {identity or 'unknown'}",
                 f"# preview: elysiactl -f {self.path.name} --dry-run    "
                 f"replay: elysiactl -f {self.path.name}"]
        if collection:
            lines.append("\\use " + collection + (f" --tenant {tenant}" if tenant else ""))
        self._write(lines)

    def note(self, line: str, outcome: Outcome, hidden: bool = False) -> None:
        """Write ``line`` and its outcome (called by the runner after each line); ``hidden``:
        the runner took the values of secret-named variables out of it (``\\set token ...``),
        so it is kept as a comment, never replayed."""
        ended = time.perf_counter()
        # it started before the last line noted ended: that one ran inside it (\i FILE)
        encloses = ended - outcome.duration_s < self._last_end
        self._last_end = ended
        text = line.strip()
        if not text or text.startswith("#"):
            return
        inv = _parsed(text, self.registry)
        if inv is not None and (inv.help or inv.spec.name in NOT_REPLAYED):
            return
        shown, secret = _redacted(text, inv)
        secret = secret or hidden
        if encloses:
            self._write([f"# (ran the lines above) {shown}"])
            return
        ok = outcome.exit_code == 0 and outcome.error is None
        lines = []
        if ok and not secret:
            lines.append(shown)
            self.replayable += 1
        else:
            why = "holds a secret: give it by hand" if ok else "failed"
            lines.append(f"# not replayed ({why}): {shown}")
            self.commented += 1
        lines.append("#   -> " + outcome_comment(outcome))
        self._write(lines)

    def close(self) -> None:
        """Write the closing comment and close the file."""
        self._write([f"# recording stopped {now_iso()}"])
        os.close(self._fd)

    def _write(self, lines: list[str]) -> None:
        """Append ``lines``; a write that fails (a full disk) closes the file and is one
        error: the recording has stopped. An error message may repeat a URL as typed: its
        credentials never reach the file."""
        try:
            os.write(self._fd, (hide("\n".join(lines)) + "\n").encode())
        except OSError as exc:
            os.close(self._fd)
            raise ShellError(f"\\record {self.path}: cannot write: {exc.strerror or exc}",
                             "the recording stopped; \\record FILE starts another") from None


def outcome_comment(outcome: Outcome) -> str:
    """``ok, 3 objects affected: inserted 3 objects``: status, count and a short summary."""
    head = outcome.status
    if outcome.confirmation == "dry-run":
        head += " (dry run)"
    if outcome.objects_affected is not None:
        head += f", {outcome.objects_affected} objects affected"
    if outcome.error is not None:
        detail = outcome.error.message if isinstance(outcome.error, ShellError) \
            else type(outcome.error).__name__
    else:
        # the message(s) when there are some, else what the results hold (rows count)
        said = [r for r in outcome.results if isinstance(r, Message)] or outcome.results
        detail = "; ".join(filter(None, (_summary(r) for r in said)))
    detail = re.sub(r"\s+", " ", detail).strip()
    if len(detail) > SUMMARY_WIDTH:
        detail = detail[:SUMMARY_WIDTH - 3] + "..."
    return f"{head}: {detail}" if detail else head


def _summary(result: object) -> str | None:
    if isinstance(result, Message):
        return "(a secret was shown once; not recorded)" if result.secret else result.text
    if isinstance(result, Table):
        rows = f"{len(result.rows)} row{'' if len(result.rows) == 1 else 's'}"
        return f"{result.title}: {rows}" if result.title else rows
    if isinstance(result, Record):  # its first plain fields: "Count of A: count=250"
        fields = ", ".join(f"{k}={v}" for k, v in list(result.fields.items())[:3]
                           if isinstance(v, str | int | float) and not isinstance(v, bool))
        title = result.title or "record"
        return f"{title}: {fields}" if fields else title
    if isinstance(result, Document):
        return result.title or "document"
    return None  # Text: help or plain text the user asked for


def _parsed(text: str, registry: Registry) -> Invocation | None:
    """The line bound to its declaration, or None when it does not parse as a command."""
    try:
        return parse(text if text.startswith("\\") else "\\" + text, registry)
    except ShellError:
        return None


def _redacted(text: str, inv: Invocation | None) -> tuple[str, bool]:
    """The line as it may be written, and whether a secret value was taken out of it."""
    if inv is None:  # did not parse: its rest may hold a typed secret (as in the audit)
        words = text.split(maxsplit=1)
        return (words[0] + " ..." if len(words) > 1 else text), False
    secret = {o.name for o in inv.spec.opts if o.secret}
    if not secret:
        return text, False
    words, out, hidden = tokenize(text), [], False
    for i, word in enumerate(words):
        name, eq, _ = word.partition("=")
        if name in secret and eq:
            out.append(f"{name}={REDACTED}")
            hidden = True
        elif i and words[i - 1] in secret:
            out.append(REDACTED)
            hidden = True
        else:
            out.append(word)
    out[0] = text.split(maxsplit=1)[0]  # as typed: the tokenizer took its backslash
    return (" ".join(out) if hidden else text), hidden
