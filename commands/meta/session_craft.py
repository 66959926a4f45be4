"""psql's session craft: variables, timing, output redirection, script files, the editor and
the pager setting. What needs the terminal or the line runner goes through
``Session.shell_hooks``; the rest is session state the shell's runner reads."""

from __future__ import annotations

from commands.context import CommandContext, ShellHooks
from commands.errors import UsageError
from commands.results import Message, Record, Table
from commands.spec import Arg, Kind, command
from commands.url_credentials import hide
from commands.variables import REDACTED, check_name, is_secret

PAGER_MODES = ("on", "off", "always")
_PAGER_SAYS = {"on": "Pager is used for long output.", "off": "Pager usage is off.",
               "always": "Pager is always used."}


def _hooks(ctx: CommandContext, name: str) -> ShellHooks:
    if ctx.session.shell_hooks is None:
        raise UsageError(f"\\{name} is not available here")
    return ctx.session.shell_hooks


def _ended(ctx: CommandContext, code: int | None) -> None:
    """A script's first failure is this command's exit status, so an outer script stops too."""
    if code:
        ctx.exit_code = code


@command("set", "Set a variable, or list them all; :NAME in later lines is its value.",
         help="As in psql: \\set NAME VALUE sets it (several words are joined without spaces,\n"
              "no VALUE sets it empty), \\set alone lists the variables. In later lines :NAME\n"
              "is replaced by the value, :'NAME' by the value quoted as one word, :{?NAME} by\n"
              "TRUE or FALSE; not inside quotes, and an unknown :NAME is left as it is. \\: is a\n"
              "literal colon. elysiactl -v NAME=VALUE sets one at start-up.\n"
              "A variable whose name looks like a secret (TOKEN, API_KEY, PASSWORD...) is\n"
              "shown as *** in the list, the audit log and \\history, as are credentials\n"
              "written into a URL.\n\n"
              "  \\set COLL Article\n  \\count :COLL\n  \\set PATTERN 'Art*'\n  \\ls :'PATTERN'",
         args=(Arg("name", help="the variable's name (letters, digits, _)", required=False),
               Arg("value", help="its value", required=False, many=True)),
         group="session", needs_connection=False)
def set_cmd(ctx: CommandContext, *, name: str | None, value: list[str]) -> Table | None:
    variables = ctx.session.variables
    if name is None:
        return Table(("name", "value"), tuple(
            (k, REDACTED if is_secret(k) and v else hide(v)) for k, v in sorted(variables.items())))
    variables[check_name(name)] = "".join(value)
    return None


@command("unset", "Forget a variable.", args=(Arg("name", help="the variable's name"),),
         help="Later lines keep :NAME as it is typed.", group="session",
         needs_connection=False)
def unset_cmd(ctx: CommandContext, *, name: str) -> None:
    ctx.session.variables.pop(check_name(name), None)


@command("timing", "Show how long each command takes (on, off; alone: toggle).",
         help="When on, each command is followed by 'Time: 12.345 ms' on stderr (also in\n"
              "scripts and -c), after its output.",
         args=(Arg("mode", Kind.CHOICE, "on or off", required=False, choices=("on", "off")),),
         group="session", needs_connection=False)
def timing_cmd(ctx: CommandContext, *, mode: str | None) -> Message:
    session = ctx.session
    session.timing = not session.timing if mode is None else mode == "on"
    return Message(f"Timing is {'on' if session.timing else 'off'}.")


@command("o", "Send results to a file or a command; \\o alone sends them back to stdout.",
         aliases=("out",),
         help="As psql's \\o: \\o FILE writes the results of later commands to FILE (emptied\n"
              "first), \\o |COMMAND pipes them to a shell command; messages and errors stay on\n"
              "stderr. Plain text, no colour. \\o alone closes the file or pipe. Under elysiactl\n"
              "--dry-run results stay on stdout (no file written, no command run). Quote a pipe\n"
              "command whose words hold quotes: \\o '|grep \"a b\"'.\n\n"
              "  \\o objects.txt\n  \\o |wc -l\n  \\o",
         args=(Arg("target", Kind.FILE, "FILE, or |COMMAND", required=False, many=True),),
         group="session", needs_connection=False)
def output_cmd(ctx: CommandContext, *, target: list[str]) -> Message | None:
    joined = " ".join(target)
    if joined and ctx.session.dry_run:  # a dry run writes no file and runs no command
        what = "is not run" if joined.startswith("|") else "is not written"
        return Message(f"dry run: results stay on standard output; {joined} {what}")
    _hooks(ctx, "o").redirect(joined or None)
    return None


@command("i", "Run the commands in a script file inside this session.", aliases=("ir",),
         help="Lines run as with elysiactl -f: blank lines and # comments skipped, the first\n"
              "failing command stops the file with FILE:LINE: and its error, and \\i then has\n"
              "that command's exit status. A relative FILE is taken from the directory of the\n"
              "file that holds the \\i line (psql's \\ir), or from the current directory at\n"
              "the prompt. Files may include others, 16 deep. \\q in a file ends that file.\n\n"
              "  \\i setup.txt",
         args=(Arg("file", Kind.FILE, "the script file"),), group="session",
         needs_connection=False)
def include_cmd(ctx: CommandContext, *, file: str) -> None:
    _ended(ctx, _hooks(ctx, "i").include(file))


@command("e", "Edit the last line (or FILE) in $VISUAL or $EDITOR, then run what was saved.",
         aliases=("edit",),
         help="Opens the last command line in the editor ($VISUAL, else $EDITOR, else vi); the\n"
              "lines saved run when it exits, each shown first, as a script does (the first\n"
              "failure stops them). With FILE, that file is edited and run. An empty file\n"
              "runs nothing; an editor that fails runs nothing and is an error. At the\n"
              "prompt, Ctrl-X Ctrl-E edits the line being typed instead.",
         args=(Arg("file", Kind.FILE, "a file to edit and run", required=False),),
         group="session", needs_connection=False)
def edit_cmd(ctx: CommandContext, *, file: str | None) -> Message | None:
    history = ctx.session.history
    code = _hooks(ctx, "e").edit(file, history[-1] if history and file is None else "")
    if code is None:
        return Message("nothing to run: the file is empty")
    _ended(ctx, code)
    return None


@command("pset", "Set the pager: on (long output), off or always; alone: show it.",
         help="The pager ($PAGER, default less -SRFX) shows results taller than the terminal\n"
              "(on, the default), every result (always) or none (off). \\pset pager alone\n"
              "toggles on and off. Only at the interactive prompt: never in scripts, -c, or\n"
              "when stdout is not a terminal.",
         args=(Arg("option", Kind.CHOICE, "pager", required=False, choices=("pager",)),
               Arg("value", Kind.CHOICE, "on, off or always", required=False,
                   choices=PAGER_MODES)),
         group="session", needs_connection=False)
def pset_cmd(ctx: CommandContext, *, option: str | None, value: str | None) -> Record | Message:
    session = ctx.session
    if option is None:
        return Record({"pager": session.pager}, title="print settings")
    session.pager = value or ("off" if session.pager != "off" else "on")
    return Message(_PAGER_SAYS[session.pager])
