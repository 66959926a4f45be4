"""A Tab typed in the same input batch as the text (typeahead, a paste, tmux sending keys)
completes at once, through a real pseudo-terminal; and ``Collection.`` completion in
``\\show``/``\\get``, which take ``Collection.property``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pexpect
import pytest
from inprocess_support import elysiactl_here
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from test_shell_repl import terminal

from commands.meta import MODULES
from commands.registry import Registry
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache, MetadataSnapshot
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
PROMPT = r"127\.0\.0\.1:\d+> "
__all__ = ["terminal"]  # the pseudo-terminal fixture, imported for pytest


def test_text_and_tab_in_one_write_complete_at_once(terminal: pexpect.spawn) -> None:
    terminal.send("\\conni\t")  # one write: the text and the Tab
    terminal.send("\r")
    terminal.expect("server_version")  # it ran \conninfo, not the unknown \conni
    terminal.expect(PROMPT)
    terminal.send("\\show Artic")
    terminal.expect("10 properties")  # the schema cache is loaded: the menu offers Article
    terminal.sendcontrol("c")
    terminal.expect(PROMPT)
    terminal.send("\\show Article.wordC\t")
    terminal.send("\r")
    terminal.expect("dataType")  # \show Article.wordCount: that property described
    assert "no property" not in terminal.before
    terminal.expect(PROMPT)
    terminal.send("\\tenant set SupportTicket initech --status A\t --dry-run\r")  # a paste
    terminal.expect("dry run: would set 1 tenants? of SupportTicket ACTIVE")


REAL = Registry.from_modules(MODULES)
SNAPSHOT = MetadataSnapshot.from_schema([
    {"class": "Article", "properties": [{"name": "title", "dataType": ["text"]},
                                        {"name": "wordCount", "dataType": ["int"]},
                                        {"name": "words", "dataType": ["text[]"]}]}],
    fetched_at=1.0)


@pytest.mark.parametrize(("line", "expected"), [
    ("\\get Article.wo", ["wordCount", "words"]),
    ("\\show Article.wo", ["wordCount", "words"]),
    ("\\d article.t", ["title"]),
    ("\\show Article.", ["title", "wordCount", "words"]),
    ("\\count Article.wo", []),  # no property may follow there
    ("\\show Article.title.x", []),
])
def test_properties_after_collection_dot_in_show_and_get(line: str,
                                                         expected: list[str]) -> None:
    completer = MetaCommandCompleter(REAL, MetadataCache(SNAPSHOT))
    found = completer.get_completions(Document(line), CompleteEvent(completion_requested=True))
    assert sorted(c.text for c in found) == expected


def test_show_and_get_take_what_the_completion_offers(tmp_path: Path, demo: Sandbox) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    uuid = "00ef873f-0906-4665-9ad2-6b5808d9d98c"
    run = elysiactl_here(
        ["--url", demo.url, "--format", "json", "--on-error", "continue",
         "-c", r"\show Article.wordcount", "-c", f"\\get Article.title {uuid}",
         "-c", r"\show Article.wordCont", "-c", r"\show Article.title --stats"], env)
    docs, rest = [], run.stdout.strip()
    while rest:  # two JSON documents, one after the other
        doc, end = json.JSONDecoder().raw_decode(rest)
        docs.append(doc)
        rest = rest[end:].strip()
    first, second = docs
    assert first == {"name": "wordCount", "dataType": ["int"], "indexFilterable": True,
                     "indexSearchable": False, "indexRangeFilters": False}
    assert second["id"] == uuid and list(second["properties"]) == ["title"]
    assert "error: Article has no property 'wordCont'\nhint: did you mean wordCount?" \
        in run.stderr
    assert "error: --stats describes a whole collection, not one property" in run.stderr
    assert run.returncode == 1
