"""What ``\\rm``, ``\\clear`` and ``\\restore`` share about safety backups: the option, the
lines of the preview, and taking the backup once the safety gate let the command through
(never on a dry run)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from commands.context import CommandContext
from commands.errors import ShellError
from commands.lazy import lazy_module
from commands.meta.backup import DEFAULT_DIR
from commands.results import Level, Message, Result, Table
from commands.spec import Opt

safety = lazy_module("commands.ops.safety_backup")

NO_SAFETY_BACKUP = Opt("--no-safety-backup", flag=True,
                       help="do not back up what is deleted or overwritten first (then \\undo "
                            "cannot bring it back)")


def choose(ctx: CommandContext, objects: int | None, skip: bool,
           what: str) -> safety.SafetyChoice:
    """Whether this run will take a safety backup of ``what`` (``objects`` in it)."""
    session = ctx.session
    return safety.choose(session.state_dir, objects, session.safety_backup_max_objects, skip,
                         what)


def preview(ctx: CommandContext, choice: safety.SafetyChoice, names: Iterable[str],
            unreadable: int = 0) -> tuple[Result, ...]:
    """The plan's lines about backups: the existing ones of ``names`` and the safety backup
    (which cannot hold the objects of ``unreadable`` tenants that are not active)."""
    names = list(names)
    places = [Path(DEFAULT_DIR), *_backup_dirs(ctx)]
    if ctx.session.state_dir is not None:
        places.append(ctx.session.state_dir / safety.AREA)
    found = safety.backups_of(names, places)
    out: list[Result] = []
    if found:
        out.append(Table(("collection", "id", "kind", "objects", "created", "path"),
                         tuple((e.collection, e.id, e.kind, e.objects, e.created, str(e.path))
                               for e in found), title="Existing backups of "
                         + ", ".join(names), note=r"\restore PATH brings one back"))
    out.append(Message(choice.reason, Level.INFO if choice.taken else Level.WARNING))
    if choice.taken and unreadable:
        out.append(Message(f"{unreadable:,} tenant{'s' * (unreadable != 1)} not active cannot "
                           "be read: the safety backup will not hold their objects, so \\undo "
                           "cannot bring those back", Level.WARNING))
    return tuple(out)


def _backup_dirs(ctx: CommandContext) -> list[Path]:
    """The directories ``\\backup --output`` wrote to, from the audit log, newest first."""
    entries = ctx.audit.entries() if ctx.audit is not None else ()
    found = [str(e["arguments"]["output"]) for e in entries
             if e.get("command") == "backup" and e.get("status") == "ok"
             and isinstance(e.get("arguments"), dict) and e["arguments"].get("output")]
    return [Path(d) for d in dict.fromkeys(reversed(found)) if Path(d) != Path(DEFAULT_DIR)]


def take(ctx: CommandContext, choice: safety.SafetyChoice, operation: str,
         scopes: Iterable[tuple[str, str | None]], restored: str | None = None) -> list[Result]:
    """Take the chosen safety backup and note it in the audit entry; a backup that fails
    stops the command before it changes anything."""
    if not choice.taken:
        return []
    scopes = list(scopes)
    try:
        record, warnings = safety.take(ctx.api, choice, operation, scopes,
                                       ctx.session.progress, restored)
    except ShellError as exc:
        names = ", ".join(name for name, _ in scopes)
        raise ShellError(f"the safety backup of {names} failed, so nothing was changed: "
                         f"{exc.message}", "--no-safety-backup goes on without one") from None
    except OSError as exc:
        raise ShellError(f"the safety backup could not be written, so nothing was changed: "
                         f"{exc.filename}: {exc.strerror}",
                         "--no-safety-backup goes on without one") from None
    ctx.audit_fields["safety_backup"] = safety.summary(record)
    return [*(Message(w, Level.WARNING) for w in warnings),
            Message(f"safety backup of {', '.join(record.collections)} ({record.objects:,} "
                    f"objects) in {record.directory}: \\undo brings it back")]
