"""The one-shot CLI as a user meets it: ``elysiactl --help`` and ``elysiactl col --help`` list
the commands, a mistyped command is one line with a hint, and ``elysiactl completion SHELL``
prints a script that a real bash completes with (zsh and fish: see their tests)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from test_shell_start import assert_light, elysiactl

from commands.meta import MODULES
from commands.registry import Registry
from shell.cli_index import declared_groups, index_source

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = Registry.from_modules(MODULES)
NO_CLUSTER = ("--url", "http://127.0.0.1:9")
ELYSIACTL = Path(sys.executable).with_name("elysiactl")  # the installed console script
DECLARATIONS = {"commands.meta", "commands.context"}  # what checking a one-shot line loads


def test_help_lists_the_commands_by_group_after_the_flags() -> None:
    result, loaded = elysiactl("--help")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("--dry-run") < out.index("commands (elysiactl col COMMAND") \
        < out.index("exit codes:")
    assert "elysiactl completion bash" in out
    for group in {s.group for s in REGISTRY.specs}:
        assert f"\n  {group}:\n" in out
    assert re.search(r"\n    show, d +Describe a collection", out)
    assert re.search(r"\n    tenant create +Create tenants", out)
    for spec in REGISTRY.specs:
        assert f"    {', '.join((spec.name, *spec.aliases))} " in out or \
            f"    {', '.join((spec.name, *spec.aliases))}\n" in out, spec.name
    assert_light(loaded)  # the listing comes from shell/cli_commands.py, not commands.meta


def test_the_listed_index_is_the_declarations() -> None:
    """shell/cli_commands.py is generated (make docs): stale, it fails here."""
    assert (ROOT / "shell" / "cli_commands.py").read_text() == index_source(declared_groups())


@pytest.mark.parametrize("args", [("col", "--help"), ("collection", "-h"), ("col", "help"),
                                  ("col", "?")])
def test_the_one_shot_word_lists_the_commands_without_a_cluster(args) -> None:
    result, loaded = elysiactl(*NO_CLUSTER, *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: elysiactl {args[0]} COMMAND [ARGS]")
    assert "\n    ls " in result.stdout and "\n  backup:\n" in result.stdout
    assert f"elysiactl {args[0]} COMMAND --help shows one command's help" in result.stdout
    assert result.stderr == ""
    assert_light(loaded)


def test_one_command_help_needs_no_cluster_and_nothing_heavy() -> None:
    result, loaded = elysiactl(*NO_CLUSTER, "col", "ls", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: \\ls [PATTERN] [--filter PATTERN]")
    assert "  --verbose" in result.stdout
    assert_light(loaded - DECLARATIONS)


@pytest.mark.parametrize(("args", "line"), [
    (("col", "lss"), "unknown command col lss (did you mean col ls?)"),
    (("collection", "tenant", "creat"),
     "unknown subcommand collection tenant creat (did you mean collection tenant create?)"),
    (("col", "ls", "--verbos"), "col ls: unknown option --verbos (did you mean --verbose?)"),
    (("col", "objects", "Article", "--limit", "many"),
     "--limit expects a whole number, got 'many' (usage: col objects [COLLECTION]"),
])
def test_a_mistyped_one_shot_command_is_one_line_and_exit_2(args, line) -> None:
    result, loaded = elysiactl(*NO_CLUSTER, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"elysiactl: error: {line}")
    assert result.stderr.count("\n") == 1 and "cannot reach" not in result.stderr
    assert_light(loaded - DECLARATIONS)


def test_a_good_one_shot_command_still_runs(demo) -> None:
    result, _ = elysiactl("--url", demo.url, "collection", "ls", "Art*", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert '"Article"' in result.stdout


# --- completion scripts ---------------------------------------------------------------------

def completion(shell: str) -> str:
    result, _ = elysiactl("completion", shell)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("args", [(), ("tcsh",), ("bash", "zsh")])
def test_completion_needs_one_known_shell(args) -> None:
    result, _ = elysiactl("completion", *args)
    assert result.returncode == 2 and result.stdout == ""
    assert "elysiactl completion needs a shell: bash, zsh or fish" in result.stderr


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("completion") / "elysiactl.bash"
    path.write_text(completion("bash"))
    return path


def bash_complete(script: Path, line: str, cwd: Path | None = None,
                  wordbreaks: str | None = None, env: dict[str, str] | None = None) -> list[str]:
    """What the sourced script offers for ``line`` (the cursor at its end), as bash's
    programmable completion calls it: COMP_WORDS split as readline splits them. The first
    word is the installed elysiactl, which the script runs for collection and profile names."""
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    words[0] = str(ELYSIACTL)
    if wordbreaks is None:  # bash breaks words at "=" too: --format=js is --format = js
        words = [part for w in words
                 for part in ([p for p in re.split(r"(=)", w) if p] if "=" in w else [w])]
        words += [""] if line.endswith("=") else []
    program = (f"source {shlex.quote(str(script))}\n"
               + (f"COMP_WORDBREAKS={shlex.quote(wordbreaks)}\n" if wordbreaks else "")
               + f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
               f"COMP_CWORD={len(words) - 1}\nCOMP_LINE={shlex.quote(line)}\n"
               "_elysiactl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(("line", "expected"), [
    ("elysiactl ", ["col", "collection", "sandbox", "completion"]),
    ("elysiactl --f", ["--file", "--format"]),
    ("elysiactl --format ", ["table", "json", "yaml"]),
    ("elysiactl --on-error=c", ["continue"]),
    ("elysiactl completion ", ["bash", "zsh", "fish"]),
    ("elysiactl col s", ["show", "shards", "stats", "sharding", "set"]),
    ("elysiactl --url http://x:1 --yes collection tenant ", ["create", "set", "rm"]),
    ("elysiactl col tenant s", ["set"]),
    ("elysiactl col ls --", ["--filter", "--verbose", "--format", "--help"]),
    ("elysiactl col d --s", ["--schema", "--stats"]),  # an alias has its command's options
    ("elysiactl col ls --format ", ["table", "json", "yaml"]),
    ("elysiactl col ls --format=y", ["yaml"]),
    ("elysiactl col backup Article --compress=", ["zstd", "gzip", "none"]),
    ("elysiactl col help sha", ["shards", "sharding"]),
    ("elysiactl col ls --filter x --v", ["--verbose"]),
    ("elysiactl col role ", ["show", "create", "add", "remove", "rm"]),
    ("elysiactl sandbox --seed ", ["demo", "none"]),
    ("elysiactl col nope ", []),
])
def test_bash_completes_from_the_declarations(bash_script: Path, line, expected) -> None:
    assert bash_complete(bash_script, line) == expected


def test_bash_completes_every_command_and_files(bash_script: Path, tmp_path: Path) -> None:
    heads = {n.split()[0] for n in REGISTRY.names() if n != "?"}
    assert set(bash_complete(bash_script, "elysiactl col ")) == heads
    (tmp_path / "schema.json").write_text("{}")
    (tmp_path / "script.txt").write_text("\\ls\n")
    files = {"schema.json", "script.txt"}  # bash sorts them itself before showing them
    assert set(bash_complete(bash_script, "elysiactl col create X --schema-file s", tmp_path)) \
        == files
    assert set(bash_complete(bash_script, "elysiactl -f sc", tmp_path)) == files


def test_bash_asks_elysiactl_for_collection_names(bash_script: Path, demo) -> None:
    line = f"elysiactl --url {demo.url} col "
    assert bash_complete(bash_script, line + "show Ar") == ["Article"]
    assert bash_complete(bash_script, line + "rm Article Su") == ["SupportTicket"]
    assert bash_complete(bash_script, line + "objects Product --tenant x --vector ") == []
    assert "DocumentChunk" in bash_complete(bash_script, line + "count ")
    # no cluster there: nothing offered, nothing printed (bash_complete checks stderr)
    assert bash_complete(bash_script, "elysiactl --url http://127.0.0.1:9 col show ") == []


def test_bash_asks_elysiactl_for_profile_names(bash_script: Path, tmp_path: Path) -> None:
    config = tmp_path / "elysiactl"
    config.mkdir()
    (config / "config.yaml").write_text("profiles:\n  prod: {url: 'http://p:1'}\n"
                                        "  staging: {url: 'http://s:1'}\n")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    assert bash_complete(bash_script, "elysiactl --profile ", env=env) == ["prod", "staging"]
    assert bash_complete(bash_script, "elysiactl col connect st", env=env) == ["staging"]


@pytest.mark.parametrize("args", [
    ("collections", "--url", "http://127.0.0.1:9"),
    ("collections", "--format", "xml"),  # a bad flag says nothing either
    ("collections", "--help"),
    ("collections", "--profile", "nope"),
])
def test_the_hidden_names_call_is_quiet_when_it_cannot_answer(args) -> None:
    result, _ = elysiactl("__complete", *args)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_bash_without_equals_as_a_word_break(bash_script: Path) -> None:
    assert bash_complete(bash_script, "elysiactl col ls --format=j", wordbreaks=" ") == \
        ["--format=json"]


def test_bash_at_a_terminal_completes_with_tab(bash_script: Path, tmp_path: Path) -> None:
    """As a user meets it: an interactive bash with the script sourced, Tab typed (here
    elysiactl is a function that shows the words it got)."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TERM": "dumb", "PS1": "$ "}
    child = pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], env=env, cwd=str(tmp_path),
                          dimensions=(24, 200), timeout=20, encoding="utf-8")
    try:
        child.expect_exact("$ ")
        child.sendline(f"source {shlex.quote(str(bash_script))}; "
                       "elysiactl() { echo \"ran:$*.\"; }")
        child.expect_exact("$ ")
        child.send("elysiactl col sta\t\n")
        child.expect_exact("ran:col stats.")
        child.send("elysiactl col ls --form\tj\t\n")
        child.expect_exact("ran:col ls --format json.")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


def zsh_arrays(script: str) -> dict[str, dict[str, str]]:
    """The generated zsh associative arrays, read back with POSIX quoting (zsh's own)."""
    arrays = {}
    for name, body in re.findall(r"^_elysiactl_(\w+)=\((.*?)\n\)$", script, re.M | re.S):
        words = shlex.split(body)
        arrays[name] = dict(zip(words[::2], words[1::2], strict=True))
    return arrays


def test_zsh_script_structure() -> None:
    """The text is checked and its tables read back; where zsh is installed it completes."""
    script = completion("zsh")
    assert script.startswith("#compdef elysiactl\n")
    assert "compdef _elysiactl elysiactl" in script and "_describe -t" in script
    arrays = zsh_arrays(script)
    assert set(arrays) == {"subs", "opts", "takes", "args", "choices", "sources"}
    assert arrays["sources"]["show #1"] == "collections"
    assert arrays["sources"]["elysiactl --profile"] == "profiles"
    ls = dict(line.split(":", 1) for line in arrays["opts"]["ls"].splitlines())
    assert ls["--verbose"].startswith("add replication, shards")
    assert ls.keys() == {"--filter", "--verbose", "--format", "--help"}
    assert arrays["choices"]["backup --compress"].splitlines() == ["zstd:", "gzip:", "none:"]
    assert arrays["subs"]["tenant"].splitlines()[0] == \
        "create:Create tenants in a multi-tenant collection."
    assert arrays["sources"]["create --schema-file"] == "files"
    assert set(arrays["opts"]) >= {n for n in REGISTRY.names() if n != "?"}
    if shutil.which("zsh"):
        assert subprocess.run(["zsh", "-n"], input=script, text=True).returncode == 0


def fish_table(script: str) -> dict[str, list[str]]:
    """The generated fish table: case KEY to the lines it prints (fish quoting: \\' and \\\\)."""
    table = {}
    for key, body in re.findall(r"^        case '(.*?)'\n            printf '%s\\n'(.*?)$"
                                r"(?=\n        case |\n    end)", script, re.M | re.S):
        table[key] = [re.sub(r"\\(.)", r"\1", w) for w in
                      re.findall(r"'((?:[^'\\]|\\.)*)'", body)]
    return table


def test_fish_script_structure(tmp_path: Path) -> None:
    """The text is checked and its table read back; where fish is installed it completes."""
    script = completion("fish")
    assert "complete -c elysiactl -f -a '(__elysiactl_complete)'" in script
    table = fish_table(script)
    assert table["heads "][0] == "ls\tList collections with approximate object counts."
    assert "nodes\tList the cluster's nodes with status, version and totals." in \
        table["heads "]
    assert table["subs tenant"][0].startswith("create\t")
    assert table["choices ls --format"] == ["table", "json", "yaml"]
    rm = REGISTRY.find("rm").args
    assert table["args rm"] == [f"{len(rm)}{'+' if rm[-1].many else ''}"]
    assert table["sources create --schema-file"] == ["files"]
    assert table["sources rm #1"] == ["collections"]
    assert {k.removeprefix("opts ") for k in table if k.startswith("opts ")} >= \
        {n for n in REGISTRY.names() if n != "?"}
    if shutil.which("fish"):
        (tmp_path / "elysiactl.fish").write_text(script)
        got = subprocess.run(["fish", "-c", f"source {tmp_path / 'elysiactl.fish'}; "
                              "complete -C 'elysiactl col s'"],
                             capture_output=True, text=True, timeout=30).stdout
        assert [line.split("\t")[0] for line in got.splitlines()] == \
            ["set", "sharding", "shards", "show", "stats"]

