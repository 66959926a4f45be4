"""``\\backups prune --safety``: the safety backups ``\\undo`` restores from are pruned by the
rules of ``\\backups prune`` (per cluster), never the one ``\\undo`` restores next unless
asked, nothing on a dry run or without a confirmation, and none that an ``\\undo`` reads."""

from __future__ import annotations

from pathlib import Path

import orjson

from commands.dispatch import Dispatcher
from commands.errors import ExitStatus
from commands.ops.backup import lock
from commands.results import Message, Outcome, Table
from sandbox import Sandbox
from tests.migrate_support import dispatcher
from tests.test_commands_undo import NAME, add_notes, make_notes


def _execute(shell: Dispatcher, line: str, status: int = 0) -> Outcome:
    outcome = shell.execute(line, "test")
    assert outcome.exit_code == status, outcome.error
    return outcome


def _left(shell: Dispatcher) -> list[tuple[str, int, str]]:
    """``\\undo --list``: (operation, objects, state) of each safety backup, newest first."""
    table = _execute(shell, r"\undo --list").results[0]
    return [(row[0], row[3], row[-1].split(" ")[0]) for row in table.rows]


def test_prune_safety_backups_keeps_what_undo_needs(sandbox: Sandbox, tmp_path: Path) -> None:
    make_notes(sandbox, 20)
    shell = dispatcher(sandbox.url, tmp_path)
    for n in (7, 3):
        _execute(shell, rf"\clear {NAME} --force")
        add_notes(sandbox, n, seed=n)
    _execute(shell, rf"\clear {NAME} --force")
    _execute(shell, r"\undo --force")  # the newest (3 objects) is undone: next is the 7
    safety = tmp_path / "safety"
    assert _left(shell) == [("clear", 3, "undone"), ("clear", 7, "can"), ("clear", 20, "can")]

    dry = _execute(shell, r"\backups prune --safety --keep 1 --dry-run").results
    assert dry[0].text.startswith("dry run: would remove 1 safety backup (")
    gone, kept = (r for r in dry if isinstance(r, Table) and r.title != "requests it would send")
    assert [(row[4], row[-1]) for row in gone.rows] == [(20, "can be undone")]
    assert [(row[4], row[-1]) for row in kept.rows] == [
        (3, f"one of the 1 newest of {sandbox.url}"),
        (7, rf"\undo restores it next on {sandbox.url} (--include-undoable removes it)")]
    refused = _execute(shell, r"\backups prune --safety --keep 1", ExitStatus.REFUSED)
    assert "--force" in str(refused.error.hint)
    assert len(list(safety.iterdir())) == 3

    done = _execute(shell, r"\backups prune --safety --keep 1 --force").results
    assert isinstance(done[0], Message)
    assert done[0].text.startswith("removed 1 safety backup (") and str(safety) in done[0].text
    assert _left(shell) == [("clear", 3, "undone"), ("clear", 7, "can")]
    nothing = _execute(shell, r"\backups prune --safety --keep 1 --force").results
    assert nothing[0].text == f"no safety backup to prune in {safety}"

    following = Path(_execute(shell, r"\undo --list").results[0].rows[1][5])
    with lock.held(following, r"\undo", shared=True):  # an \undo reading it
        busy = _execute(shell, r"\backups prune --safety --keep 1 --include-undoable --force",
                        ExitStatus.ERROR)
    assert "is in use by pid " in busy.error.message and busy.error.message.endswith(r"\undo")
    assert following.is_dir()
    _execute(shell, r"\backups prune --safety --keep 1 --include-undoable --force")
    assert _left(shell) == [("clear", 3, "undone")]
    assert _execute(shell, r"\backups prune --safety --older-than 1d --force").results[
        0].text == f"no safety backup to prune in {safety}"


def test_prune_safety_usage(tmp_path: Path) -> None:
    shell = dispatcher("http://127.0.0.1:9", tmp_path)  # pruning needs no cluster
    both = _execute(shell, rf"\backups prune {tmp_path} --safety --keep 1", ExitStatus.USAGE)
    assert "no DIRECTORY with it" in both.error.message
    alone = _execute(shell, rf"\backups prune {tmp_path} --keep 1 --include-undoable",
                     ExitStatus.USAGE)
    assert alone.error.message == "--include-undoable is for --safety"


def test_a_hand_edited_undo_record_is_left_alone(tmp_path: Path) -> None:
    """A record whose fields are not of their types is not read: not listed, not pruned,
    never an internal error (sorting a number among times would be one)."""
    for name, when in (("good", "2020-01-01T00:00:00Z"), ("edited", 5)):
        (tmp_path / "safety" / name).mkdir(parents=True)
        (tmp_path / "safety" / name / "undo.json").write_bytes(orjson.dumps({
            "format": "elysiactl-undo", "operation": "rm", "cluster": "http://127.0.0.1:9",
            "collections": ["Note"], "backups": [], "objects": 1, "bytes": 1, "time": when,
            "undone": "2020-01-02T00:00:00Z"}))
    shell = dispatcher("http://127.0.0.1:9", tmp_path)
    done = _execute(shell, r"\backups prune --safety --older-than 1d --force").results
    assert done[0].text.startswith("removed 1 safety backup (")
    assert [p.name for p in (tmp_path / "safety").iterdir()] == ["edited"]


def test_prune_without_a_rule_shows_the_form_that_was_typed(sandbox: Sandbox,
                                                             tmp_path: Path) -> None:
    shell = dispatcher(sandbox.url, tmp_path)
    safety = _execute(shell, r"\backups prune --safety --dry-run", ExitStatus.USAGE).error
    plain = _execute(shell, r"\backups prune --dry-run", ExitStatus.USAGE).error
    assert safety is not None and safety.hint == r"e.g. \backups prune --safety --keep 7"
    assert plain is not None and plain.hint == r"e.g. \backups prune ./backup --keep 7"
