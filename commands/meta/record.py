"""``\\record``: write what the session does as a runbook (``commands.recording``)."""

from __future__ import annotations

from pathlib import Path

from commands.context import CommandContext
from commands.errors import UsageError
from commands.recording import Recorder
from commands.results import Message
from commands.spec import Arg, Kind, Opt, command


@command("record", "Write what this session does as a runbook that elysiactl -f replays.",
         help="\\record FILE starts: every later line that succeeds is written to FILE (mode\n"
              "0600) as it ran, a failed one as a comment, each followed by a comment with\n"
              "its outcome (status, objects affected, the message or the rows count).\n"
              "\\record stop ends it; \\record alone says what is being recorded. Lines\n"
              "that only steer the session (\\record, \\q, \\help, --help, \\history) are left\n"
              "out; values of secret options and keys shown once are never written. Under\n"
              "elysiactl --dry-run nothing is recorded.\n"
              "Preview the runbook with elysiactl -f FILE --dry-run, replay it with\n"
              "elysiactl -f FILE.\n\n"
              "  \\record runbook.txt\n  \\record stop\n  \\record runbook.txt --append",
         args=(Arg("file", Kind.FILE, "the runbook to write, or stop", required=False),),
         opts=(Opt("--append", flag=True, help="add to an existing file (default: a new one)"),),
         group="session", needs_connection=False)
def record_cmd(ctx: CommandContext, *, file: str | None, append: bool) -> Message:
    session, recorder = ctx.session, ctx.session.recorder
    if file is None:
        if recorder is None:
            return Message(r"not recording (\record FILE starts)")
        return Message(f"recording to {recorder.path} since {recorder.started}: "
                       f"{_lines(recorder.replayable)} to replay, {recorder.commented} as comments")
    if session.dry_run and recorder is None:  # a dry run writes no runbook
        return Message("dry run: nothing is recorded" + (f" to {file}" if file != "stop" else ""))
    if file == "stop":
        if recorder is None:
            raise UsageError("not recording", r"\record FILE starts (./stop names a file)")
        session.recorder = None
        recorder.close()
        return Message(f"recorded {_lines(recorder.replayable)} to replay in {recorder.path}; "
                       f"preview: elysiactl -f {recorder.path} --dry-run")
    if recorder is not None:
        raise UsageError(f"already recording to {recorder.path}", r"\record stop ends it")
    recorder = Recorder(Path(file).expanduser(), ctx.registry, append=append)
    conn = session.connection
    recorder.header(conn.url if conn else None, conn.server_version if conn else None,
                    conn.identity if conn else None, session.collection, session.tenant)
    session.recorder = recorder
    return Message(f"recording to {recorder.path} (\\record stop ends it)")


def _lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"
