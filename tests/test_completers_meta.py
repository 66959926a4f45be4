"""``MetaCommandCompleter`` on hand-built snapshots, through ``Document`` + ``CompleteEvent``."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.completion import CompleteEvent, Completion
from prompt_toolkit.document import Document
from test_completers_specs import REGISTRY

from commands.meta import MODULES
from commands.parse import parse
from commands.registry import Registry
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache, MetadataSnapshot

CLASSES: list[dict[str, Any]] = [
    {"class": "Article", "properties": [
        {"name": "title", "dataType": ["text"]}, {"name": "body", "dataType": ["text"]},
        {"name": "tags", "dataType": ["text[]"]}, {"name": "wordCount", "dataType": ["int"]}]},
    {"class": "ArticleDraft", "properties": [{"name": "text", "dataType": ["text"]}]},
    {"class": "Product", "properties": [{"name": "name", "dataType": ["text"]},
                                        {"name": "price", "dataType": ["number"]}]},
    {"class": "SupportTicket", "multiTenancyConfig": {"enabled": True},
     "properties": [{"name": "subject", "dataType": ["text"]}]},
]
SNAPSHOT = MetadataSnapshot.from_schema(CLASSES, fetched_at=1.0).with_tenants(
    "SupportTicket", {"globex": "ACTIVE", "acme": "ACTIVE", "initech": "INACTIVE"})


class FakeRefresher:
    """Records tenant loads; ``load_tenants`` returns an event that is never set."""

    def __init__(self) -> None:
        self.loads: list[str] = []

    def load_tenants(self, collection: str) -> threading.Event:
        self.loads.append(collection)
        return threading.Event()


def make(snapshot: MetadataSnapshot = SNAPSHOT, current: str | None = None,
         profiles: tuple[str, ...] = (), refresher: Any = None) -> MetaCommandCompleter:
    return MetaCommandCompleter(REGISTRY, MetadataCache(snapshot), lambda: current,
                                lambda: profiles, refresher)


def complete(completer: MetaCommandCompleter, text: str) -> list[Completion]:
    return list(completer.get_completions(Document(text), CompleteEvent(
        completion_requested=True)))


def texts(completer: MetaCommandCompleter, text: str) -> list[str]:
    return [c.text for c in complete(completer, text)]


def apply(text: str, c: Completion) -> str:
    return text[:len(text) + c.start_position] + c.text


def test_command_names_with_their_summaries() -> None:
    found = complete(make(), "\\s")
    # declaration order: the everyday command of a group comes first
    assert [(c.text, c.start_position, c.display_meta_text) for c in found] == [
        ("\\show", -2, "Describe a collection."), ("\\sort", -2, "Sort the current collection."),
        ("\\set", -2, "Change a setting.")]


def test_command_names_are_matched_ignoring_case_and_include_aliases() -> None:
    assert texts(make(), "\\SH") == ["\\show"]
    assert texts(make(), "\\d") == ["\\d"]
    assert "\\?" in texts(make(), "")
    assert len(texts(make(), "")) == len(REGISTRY.names())


def test_a_first_word_without_backslash_completes_without_one() -> None:
    assert texts(make(), "sh") == ["show"]


def test_command_slot_completes_command_names() -> None:
    assert texts(make(), "\\help ob") == ["objects"]
    assert texts(make(), "\\help \\ob") == ["\\objects"]
    assert sorted(texts(make(), "\\help ")) == sorted("\\" + n for n in REGISTRY.names())


def test_sh_offers_show_first_with_the_real_commands() -> None:
    real = Registry.from_modules(MODULES)
    completer = MetaCommandCompleter(real, MetadataCache(SNAPSHOT))
    found = list(completer.get_completions(Document("\\sh"), CompleteEvent()))
    assert [c.text for c in found] == ["\\show", "\\shards", "\\sharding"]


def test_options_of_the_command_including_the_common_ones() -> None:
    found = complete(make(), "\\show Article --")
    assert [c.text for c in found] == ["--schema", "--format", "--help"]
    assert found[0].display_meta_text == "print the class JSON"
    assert texts(make(), "\\show Article ") == ["--schema", "--format", "--help"]


def test_options_already_given_are_not_offered_again_unless_repeatable() -> None:
    names = texts(make(), "\\objects Article --limit 5 --include title --")
    assert "--limit" not in names and "--include" in names and "--tenant" in names


def test_option_choices() -> None:
    assert texts(make(), "\\objects Article --format ") == ["table", "json", "yaml"]
    assert texts(make(), "\\objects Article --format J") == ["json"]
    assert texts(make(), "\\objects Article --format=y") == ["yaml"]
    assert texts(make(), "\\set e") == ["expanded"]


def test_format_offers_the_file_formats_of_a_command_that_has_them() -> None:
    """``\\backup --format parquet`` means ``--file-format parquet``: offered from the
    declaration of ``--file-format``, not from a list of its own."""
    real = MetaCommandCompleter(Registry.from_modules(MODULES), MetadataCache(SNAPSHOT))
    assert texts(real, "\\backup Article --format ") == ["table", "json", "yaml", "jsonl",
                                                         "parquet"]
    assert texts(real, "\\backup Article --format p") == ["parquet"]
    assert texts(real, "\\backup --format=pa") == ["parquet"]
    assert texts(real, "\\backup --file-format ") == ["jsonl", "parquet"]
    assert texts(real, "\\backups --format ") == ["table", "json", "yaml"]


def test_collection_names_ignoring_case() -> None:
    found = complete(make(), "\\show ar")
    assert [(c.text, c.start_position) for c in found] == [("Article", -2), ("ArticleDraft", -2)]
    assert found[0].display_meta_text == "4 properties"
    assert texts(make(), "\\ls Sup") == ["SupportTicket"]
    meta = complete(make(), "\\show Sup")[0].display_meta_text
    assert meta == "1 property, multi-tenant"


def test_a_quoted_collection_keeps_its_quote() -> None:
    found = complete(make(), '\\show "Art')
    assert found[0].text == '"Article' and found[0].start_position == -4
    assert parse(apply('\\show "Art', found[0]) + '"', REGISTRY).arguments["collection"] == \
        "Article"


def test_properties_of_the_collection_named_earlier() -> None:
    found = complete(make(), "\\objects Article --properties ")
    assert [c.text for c in found] == ["title", "body", "tags", "wordCount"]
    assert found[2].display_meta_text == "text[]"
    assert texts(make(), "\\objects product --properties p") == ["price"]
    assert texts(make(), "\\copy --from Product --properties ") == ["name", "price"]


def test_properties_of_the_current_collection_when_the_argument_is_defaulted() -> None:
    assert texts(make(current="Product"), "\\objects --properties ") == ["name", "price"]
    assert texts(make(current="Product"), "\\sort p") == ["price"]
    assert texts(make(current=None), "\\objects --properties ") == []


def test_the_named_collection_wins_over_the_current_one() -> None:
    assert texts(make(current="Product"), "\\objects Article --properties t") == [
        "title", "tags"]
    assert texts(make(current="Product"), "\\objects Nosuch --properties ") == []


def test_properties_after_collection_dot() -> None:
    line = "\\objects Article --properties Product.pr"
    found = complete(make(current="Article"), line)
    assert [(c.text, c.start_position) for c in found] == [("price", -2)]
    assert apply(line, found[0]) == "\\objects Article --properties Product.price"
    assert texts(make(), "\\where Article Article.wo") == ["wordCount"]
    assert texts(make(), "\\sort article.") == ["title", "body", "tags", "wordCount"]


def test_properties_in_a_comma_list() -> None:
    line = "\\objects Article --properties title,b"
    found = complete(make(), line)
    assert [c.text for c in found] == ["body"]
    inv = parse(apply(line, found[0]), REGISTRY)
    assert inv.arguments["properties"] == "title,body"


def test_cached_tenants_with_their_activity_status() -> None:
    found = complete(make(), "\\objects SupportTicket --tenant ")
    assert [(c.text, c.display_meta_text) for c in found] == [
        ("acme", "ACTIVE"), ("globex", "ACTIVE"), ("initech", "INACTIVE")]
    assert texts(make(), "\\tenants SupportTicket acme,G") == ["globex"]
    assert texts(make(current="SupportTicket"), "\\objects --tenant=i") == ["initech"]


def test_missing_tenants_are_requested_in_the_background_not_awaited() -> None:
    refresher = FakeRefresher()
    snapshot = MetadataSnapshot.from_schema(CLASSES, fetched_at=1.0)
    completer = make(snapshot, refresher=refresher)
    assert texts(completer, "\\objects SupportTicket --tenant ") == []
    assert refresher.loads == ["SupportTicket"]
    assert texts(completer, "\\objects Article --tenant ") == []
    assert texts(completer, "\\objects Nosuch --tenant ") == []
    assert refresher.loads == ["SupportTicket"]  # not multi-tenant, or unknown: never asked


def test_profile_names_come_from_the_callable() -> None:
    completer = make(profiles=("prod", "staging", "prod-eu"))
    assert texts(completer, "\\connect pr") == ["prod", "prod-eu"]
    assert texts(completer, "\\connect ") == ["prod", "prod-eu", "staging"]


def test_file_paths(tmp_path: Path) -> None:
    (tmp_path / "setup.sql").write_text("")
    (tmp_path / "my notes.txt").write_text("")
    (tmp_path / "scripts").mkdir()
    completer = make()
    line = f"\\i {tmp_path}/se"
    found = complete(completer, line)
    assert [c.text for c in found] == ["tup.sql"]
    assert texts(completer, f"\\i {tmp_path}/sc") == ["ripts"]
    line = f"\\i {tmp_path}/my"
    (escaped,) = complete(completer, line)
    assert escaped.text == "\\ notes.txt"
    assert parse(apply(line, escaped), REGISTRY).arguments["file"] == f"{tmp_path}/my notes.txt"
    assert texts(completer, f'\\i "{tmp_path}/my') == [" notes.txt"]


@pytest.mark.parametrize("line", [
    "\\nosuch ", "\\show Article extra", "\\objects Article --limit ", "\\get Article ",
    "\\set format ", "\\where Article word"])
def test_slots_with_nothing_to_offer(line: str) -> None:
    assert texts(make(), line) == []


def test_an_empty_snapshot_offers_commands_but_no_names() -> None:
    completer = make(MetadataSnapshot())
    assert texts(completer, "\\show ") == []
    assert "\\show" in texts(completer, "\\")


def test_a_new_snapshot_is_used_on_the_next_keystroke() -> None:
    completer = make(MetadataSnapshot())
    completer.cache.replace(SNAPSHOT)
    assert texts(completer, "\\show Pro") == ["Product"]


def many_collections(count: int = 10_000) -> MetadataSnapshot:
    classes = [{"class": f"Tenant{i:05d}Docs", "properties": [
        {"name": "title", "dataType": ["text"]}, {"name": f"field{i}", "dataType": ["int"]},
        {"name": "createdAt", "dataType": ["date"]}]} for i in range(count)]
    return MetadataSnapshot.from_schema(classes, fetched_at=1.0)


def test_ten_thousand_collections() -> None:
    completer = make(many_collections())
    assert texts(completer, "\\show tenant0012") == [f"Tenant0012{i}Docs" for i in range(10)]
    assert texts(completer, "\\show Tenant09999") == ["Tenant09999Docs"]
    assert texts(completer, "\\show Tenant1") == []
    everything = complete(completer, "\\show ")  # a hundred, then how many more
    assert len(everything) == 101 and everything[-1].display_text == "… 9,900 more"
    assert texts(completer, "\\objects --properties Tenant04321Docs.f") == ["field4321"]
    assert texts(completer, "\\objects Tenant00007Docs --properties c") == ["createdAt"]
