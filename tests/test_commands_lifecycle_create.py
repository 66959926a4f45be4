"""``\\create`` and ``\\templates`` against the sandbox over HTTP: every built-in template
creates what it says, user templates override, schema files round-trip exactly, and an
overwrite passes the safety gate (the request log proves dry runs and refusals send no
mutating request).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_session, mutating_requests

from commands.audit import MemoryAuditLog
from commands.context import CommandContext, Session
from commands.dispatch import Dispatcher
from commands.errors import ApiError, ConfigError, Refused, ShellError, UsageError
from commands.meta import MODULES, lifecycle
from commands.ops import collections, templates
from commands.parse import bind, tokenize
from commands.registry import Registry
from commands.results import Document, Message, Record, Table
from commands.safety import Plan
from sandbox import Sandbox

REGISTRY = Registry.from_modules(MODULES if lifecycle in MODULES else (*MODULES, lifecycle))
BUILTINS = ("compressed", "high-availability", "multi-tenant", "standard")


def run(session: Session, line: str) -> Any:
    """Bind ``line`` and call the handler directly (conftest's ``run`` with this registry)."""
    words = tokenize(line)
    spec = REGISTRY.find(words[0])
    inv = bind(spec, words[1:])
    return spec.handler(CommandContext(session, inv.arguments), **inv.arguments)


def schema(url: str, name: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/v1/schema/{name}")
    response.raise_for_status()
    return response.json()


def names(url: str) -> list[str]:
    return sorted(c["class"] for c in httpx.get(f"{url}/v1/schema").json()["classes"])


def fill(url: str, name: str, count: int) -> None:
    objects = [{"class": name, "properties": {"n": i}} for i in range(count)]
    httpx.post(f"{url}/v1/batch/objects", json={"objects": objects}).raise_for_status()


@pytest.fixture
def empty(sandbox: Sandbox) -> Session:
    """A session on an empty one-node sandbox."""
    return make_session(sandbox.url)


class Confirmer:
    """A person at a terminal who answers ``answer`` and remembers what was asked."""

    interactive = True

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[tuple[Plan, str]] = []

    def confirm(self, plan: Plan, word: str) -> bool:
        self.asked.append((plan, word))
        return self.answer


# --- templates ----------------------------------------------------------------------------

def test_builtin_templates_ship_with_the_package() -> None:
    shipped = sorted(f.name for f in templates.builtin_dir().iterdir())
    assert shipped == [f"{n}.yaml" for n in BUILTINS]
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert 'commands = ["templates/*.yaml"]' in pyproject


def test_templates_lists_and_shows(empty: Session) -> None:
    [table] = run(empty, r"\templates")
    assert isinstance(table, Table) and table.columns == ("name", "source", "description")
    rows = table.to_data()
    assert tuple(r["name"] for r in rows) == BUILTINS
    assert all(r["source"] == "built-in" and r["description"].endswith(".") for r in rows)
    doc = run(empty, r"\templates show compressed")
    assert isinstance(doc, Document)
    data = doc.to_data()
    assert data["description"].startswith("HNSW with 8-bit rotational quantization")
    assert data["vectorIndexConfig"]["rq"] == {"enabled": True, "bits": 8, "rescoreLimit": 20}
    assert "class" not in data
    with pytest.raises(UsageError, match="missing NAME"):
        run(empty, r"\templates show")
    with pytest.raises(UsageError, match="not one of show"):
        run(empty, r"\templates standard")


def test_unknown_template_suggests(empty: Session) -> None:
    with pytest.raises(ShellError) as err:
        run(empty, r"\create X --from-template compresed")
    assert err.value.message == "no template named 'compresed'"
    assert err.value.hint.startswith("did you mean compressed?")
    with pytest.raises(ShellError) as err:
        run(empty, r"\templates show nothing-like-it")
    assert "standard" in err.value.hint


def test_standard_is_the_default(sandbox: Sandbox, empty: Session) -> None:
    message, record = run(empty, r"\create notes")
    assert isinstance(message, Message) and isinstance(record, Record)
    assert message.text == "created collection Notes from template standard"
    assert record.to_data() == {"collection": "Notes", "source": "template standard",
                                "properties": [], "vector_index": "hnsw",
                                "replication_factor": 1, "shards": 1, "multi_tenancy": False}
    run(empty, r"\create Explicit --from-template standard")
    for name in ("Notes", "Explicit"):
        cls = schema(sandbox.url, name)
        assert cls["vectorIndexType"] == "hnsw" and cls["vectorizer"] == "none"
        assert cls["vectorIndexConfig"]["distance"] == "cosine"
        assert collections.compression(cls["vectorIndexConfig"]) is None
        assert cls["replicationConfig"]["factor"] == 1
        assert cls["multiTenancyConfig"]["enabled"] is False
        assert cls["shardingConfig"]["desiredCount"] == 1


def test_multi_tenant_template(sandbox: Sandbox, empty: Session) -> None:
    run(empty, r"\create Tickets --from-template multi-tenant --property subject:text")
    cls = schema(sandbox.url, "Tickets")
    assert cls["multiTenancyConfig"] == {"enabled": True, "autoTenantCreation": False,
                                         "autoTenantActivation": True}
    assert cls["shardingConfig"]["desiredCount"] == 0  # one shard per tenant instead
    assert cls["vectorIndexType"] == "flat"
    assert [p["name"] for p in cls["properties"]] == ["subject"]


def test_high_availability_template_on_three_nodes(sb: Sandbox) -> None:
    session = make_session(sb.url)
    _, record = run(session, r"\create Orders --from-template high-availability")
    assert record.to_data()["replication_factor"] == 3
    cls = schema(sb.url, "Orders")
    assert cls["replicationConfig"]["factor"] == 3
    assert cls["replicationConfig"]["asyncEnabled"] is True
    nodes = httpx.get(f"{sb.url}/v1/nodes/Orders", params={"output": "verbose"}).json()
    holders = [n["name"] for n in nodes["nodes"] if n.get("shards")]
    assert len(holders) == 3


def test_high_availability_needs_three_nodes(sandbox: Sandbox, empty: Session) -> None:
    with pytest.raises(ApiError) as err:
        run(empty, r"\create Orders --from-template high-availability")
    assert err.value.status == 422
    assert err.value.message == "init sharding state: not enough storage replicas: found 1 want 3"
    assert "--replication" in err.value.hint
    assert names(sandbox.url) == []
    run(empty, r"\create Orders --from-template high-availability --replication 1")
    assert schema(sandbox.url, "Orders")["replicationConfig"]["factor"] == 1


def test_compressed_template(sandbox: Sandbox, empty: Session) -> None:
    _, record = run(empty, r"\create Embeddings --from-template compressed")
    assert record.to_data()["vector_index"] == "hnsw+rq"
    config = schema(sandbox.url, "Embeddings")["vectorIndexConfig"]
    assert config["rq"] == {"enabled": True, "bits": 8, "rescoreLimit": 20}
    assert [c for c in collections.COMPRESSIONS if config[c]["enabled"]] == ["rq"]


def test_flags_override_the_template(sb: Sandbox) -> None:
    session = make_session(sb.url)
    run(session, r"\create Author --property name:text")
    run(session, r"\create Books --replication 2 --shards 5 --property title:text "
                 r"--property tags:text[] --property pages:int --property price:number "
                 r"--property out:boolean --property at:date --property isbn:uuid "
                 r"--property author:Author")
    cls = schema(sb.url, "Books")
    assert cls["replicationConfig"]["factor"] == 2
    assert cls["shardingConfig"]["desiredCount"] == 5
    assert cls["shardingConfig"]["desiredVirtualCount"] == 5 * 128
    assert [(p["name"], p["dataType"]) for p in cls["properties"]] == [
        ("title", ["text"]), ("tags", ["text[]"]), ("pages", ["int"]), ("price", ["number"]),
        ("out", ["boolean"]), ("at", ["date"]), ("isbn", ["uuid"]), ("author", ["Author"])]
    run(session, r"\create Tenanted --multi-tenancy --from-template compressed")
    cls = schema(sb.url, "Tenanted")
    assert cls["multiTenancyConfig"]["enabled"] is True
    assert cls["vectorIndexConfig"]["rq"]["enabled"] is True


@pytest.mark.parametrize(("flag", "message", "hint"), [
    ("title", "expected NAME:TYPE", "types: text"),
    ("title:txt", "unknown type 'txt'", "did you mean text"),
    ("title:Text", "unknown type 'Text'", "did you mean text?"),
    ("1st:text", "'1st' is not a valid property name", "starts with a letter"),
    ("meta:object", "object needs nested properties", "--schema-file"),
    ("name:string", "string is deprecated", "use text"),
    ("a:b:c", "unknown type 'b:c'", "types:"),
])
def test_property_syntax_is_checked_locally(sandbox: Sandbox, empty: Session, flag: str,
                                            message: str, hint: str) -> None:
    httpx.delete(f"{sandbox.url}/__sandbox/requests")
    with pytest.raises(UsageError) as err:
        run(empty, rf"\create Things --property '{flag}'")
    assert message in err.value.message and hint in err.value.hint
    assert httpx.get(f"{sandbox.url}/__sandbox/requests").json() == []


@pytest.mark.parametrize(("line", "message"), [
    (r"\create T --property a:text --property A:int", "already has a property 'A'"),
    (r"\create T --shards 0", "--shards must be at least 1"),
    (r"\create T --replication 0", "--replication must be at least 1"),
    (r"\create T --from-template multi-tenant --shards 2", "--shards does not apply"),
    (r"\create T --from-template standard --schema-file x.json", "cannot be combined"),
])
def test_conflicting_flags(empty: Session, line: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        run(empty, line)


def test_weaviate_errors_are_one_liners(empty: Session) -> None:
    with pytest.raises(ApiError) as err:
        run(empty, r"\create Bad-Name")
    assert err.value.status == 422 and err.value.message == "'Bad-Name' is not a valid class name"
    with pytest.raises(ApiError, match="'id' is a reserved property name"):
        run(empty, r"\create Good --property id:text")


# --- user templates -----------------------------------------------------------------------

def test_user_templates_add_and_override(tmp_path: Path, sandbox: Sandbox,
                                         empty: Session) -> None:
    (tmp_path / "standard.yaml").write_text(
        "description: Our standard - flat index, l2\n"
        "vectorIndexType: flat\nvectorIndexConfig:\n  distance: l2-squared\n")
    (tmp_path / "catalogue.yaml").write_text(
        "# a shop's products\ndescription: Products with a SKU\n"
        "properties:\n  - {name: sku, dataType: [text], tokenization: field}\n")
    (tmp_path / "notes.txt").write_text("not a template")
    empty.template_dirs = (tmp_path / "absent", tmp_path)
    rows = {r["name"]: r for r in run(empty, r"\templates")[-1].to_data()}
    assert sorted(rows) == sorted((*BUILTINS, "catalogue"))
    assert rows["standard"] == {"name": "standard", "source": str(tmp_path / "standard.yaml"),
                                "description": "Our standard - flat index, l2"}
    assert rows["compressed"]["source"] == "built-in"
    message, _ = run(empty, r"\create Plain")
    assert message.text == (f"created collection Plain from template standard "
                            f"({tmp_path / 'standard.yaml'})")
    cls = schema(sandbox.url, "Plain")
    assert (cls["vectorIndexType"], cls["vectorIndexConfig"]["distance"]) == ("flat", "l2-squared")
    run(empty, r"\create Shop --from-template catalogue --property price:number")
    props = schema(sandbox.url, "Shop")["properties"]
    assert [(p["name"], p.get("tokenization")) for p in props] == [("sku", "field"),
                                                                    ("price", None)]
    assert "description" not in schema(sandbox.url, "Shop")  # it describes the template
    shown = run(empty, r"\templates show catalogue").to_data()
    assert shown == {"description": "Products with a SKU", "properties": [
        {"name": "sku", "dataType": ["text"], "tokenization": "field"}]}


def test_invalid_user_template(tmp_path: Path, empty: Session) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("description: fine\nvectorIndexConfig:\n  distance: [cosine\n")
    (tmp_path / "listy.yaml").write_text("- vectorIndexType: hnsw\n")
    empty.template_dirs = (tmp_path,)
    with pytest.raises(ConfigError) as err:
        run(empty, r"\create X --from-template broken")
    assert err.value.message.startswith(f"invalid template {broken}:4: ")
    with pytest.raises(ConfigError, match="expected a mapping of class fields, got list"):
        run(empty, r"\templates show listy")
    *warnings, table = run(empty, r"\templates")  # the others are still listed
    assert [r["name"] for r in table.to_data()] == list(BUILTINS)
    assert len(warnings) == 2 and all(w.level == "warning" for w in warnings)
    assert str(broken) in warnings[0].text
    message, _ = run(empty, r"\create Fine --from-template compressed")
    assert message.text.startswith("created collection Fine")


# --- schema files -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Article", "Product", "SupportTicket"])
def test_schema_file_round_trips_exactly(demo: Sandbox, sandbox: Sandbox, session: Session,
                                         empty: Session, tmp_path: Path, name: str) -> None:
    doc = run(session, rf"\show {name} --schema")
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc.to_data(), indent=2))  # what --format json prints
    run(empty, rf"\create {name} --schema-file {path}")
    assert schema(sandbox.url, name) == schema(demo.url, name)
    # and again from YAML (\show --schema --format yaml), under another name
    yaml_path = tmp_path / f"{name}.yaml"
    import yaml

    yaml_path.write_text(yaml.safe_dump(doc.to_data(), sort_keys=False))
    notes = run(empty, rf"\create {name}Copy --schema-file {yaml_path}")
    assert notes[0].text == (f"creating {name}Copy: the name from the command line wins over "
                             f"the file's class name {name}")
    copy = schema(sandbox.url, f"{name}Copy")
    assert copy == {**schema(demo.url, name), "class": f"{name}Copy"}


def test_schema_file_with_flags(demo: Sandbox, sb: Sandbox, session: Session,
                                tmp_path: Path) -> None:
    path = tmp_path / "article.json"
    path.write_text(json.dumps(run(session, r"\show Article --schema").to_data()))
    three = make_session(sb.url)
    run(three, rf"\create Article --schema-file {path} --replication 3 --shards 2 "
               r"--property extra:int")
    cls = schema(sb.url, "Article")
    original = schema(demo.url, "Article")
    assert cls["replicationConfig"]["factor"] == 3 and cls["shardingConfig"]["desiredCount"] == 2
    assert cls["properties"] == original["properties"] + [
        {"name": "extra", "dataType": ["int"], "indexFilterable": True,
         "indexSearchable": False, "indexRangeFilters": False}]
    run(three, rf"\create ArticleTenants --schema-file {path} --multi-tenancy")
    assert schema(sb.url, "ArticleTenants")["multiTenancyConfig"]["enabled"] is True


@pytest.mark.parametrize(("content", "suffix", "message"), [
    ('{"class": "A",\n  "properties": [}', ".json", "invalid JSON in {path}:2:"),
    ("class: A\nproperties: [\n", ".yaml", "invalid YAML in {path}:3"),
    ('{"classes": [{"class": "A"}, {"class": "B"}]}', ".json", "holds a whole schema (2"),
    ("[1, 2]", ".json", "does not hold a class definition"),
])
def test_bad_schema_files(tmp_path: Path, empty: Session, content: str, suffix: str,
                          message: str) -> None:
    path = tmp_path / f"schema{suffix}"
    path.write_text(content)
    with pytest.raises(UsageError) as err:
        run(empty, rf"\create A --schema-file {path}")
    assert message.format(path=path) in err.value.message
    with pytest.raises(UsageError, match="cannot read schema file"):
        run(empty, rf"\create A --schema-file {tmp_path / 'missing.json'}")


# --- existing names and --overwrite -------------------------------------------------------

def test_existing_name_is_an_error(client: httpx.Client, empty: Session) -> None:
    run(empty, r"\create Notes")
    client.delete("/__sandbox/requests")
    for line in (r"\create Notes", r"\create notes --from-template compressed"):
        with pytest.raises(ShellError) as err:
            run(empty, line)
        assert err.value.message == "collection Notes already exists"
        assert err.value.hint == ("add --overwrite to replace it (its objects are deleted), or "
                                  "choose another name")
    with pytest.raises(ShellError, match="differ only in case"):
        run(empty, r"\create NOTES")
    assert mutating_requests(client) == []


def test_dry_runs_send_nothing(sandbox: Sandbox, client: httpx.Client, empty: Session) -> None:
    run(empty, r"\create Notes --property n:int")
    fill(sandbox.url, "Notes", 12)
    before = schema(sandbox.url, "Notes")
    client.delete("/__sandbox/requests")
    message, stake, new, requests = run(
        empty, r"\create Notes --overwrite --dry-run --from-template compressed")
    assert message.text == "dry run: would overwrite collection Notes; nothing was sent"
    assert stake.to_data() == {"collection": "Notes", "objects": 12, "objects_exact": True,
                               "shards": 1, "replication_factor": 1}
    assert new.to_data()["class"] == "Notes" and new.to_data()["vectorIndexConfig"]["rq"]
    assert requests.to_data() == [{"method": "DELETE", "path": "/v1/schema/Notes"},
                                  {"method": "POST", "path": "/v1/schema"}]
    message, doc, requests = run(empty, r"\create Fresh --dry-run --property a:text")
    assert message.text == "dry run: would create collection Fresh; nothing was sent"
    assert doc.to_data() == {"class": "Fresh", "vectorIndexType": "hnsw",
                             "vectorIndexConfig": {"distance": "cosine"},
                             "properties": [{"name": "a", "dataType": ["text"]}]}
    assert requests.to_data() == [{"method": "POST", "path": "/v1/schema"}]
    empty.dry_run = True  # elysiactl --dry-run
    run(empty, r"\create Other")
    run(empty, r"\create Notes --overwrite --force")
    assert mutating_requests(client) == []
    assert names(sandbox.url) == ["Notes"] and schema(sandbox.url, "Notes") == before


def test_overwrite_with_force_replaces(sandbox: Sandbox, client: httpx.Client,
                                       empty: Session) -> None:
    run(empty, r"\create Notes --property n:int")
    fill(sandbox.url, "Notes", 30)
    message, record = run(empty, r"\create Notes --overwrite --force --from-template compressed")
    assert message.text == "overwrote collection Notes: 30 objects deleted"
    assert record.to_data()["vector_index"] == "hnsw+rq"
    cls = schema(sandbox.url, "Notes")
    assert cls["vectorIndexConfig"]["rq"]["enabled"] and cls["properties"] == []
    count = client.post("/v1/graphql", json={"query": "{ Aggregate { Notes { meta { count } } } }"})
    assert count.json()["data"]["Aggregate"]["Notes"][0]["meta"]["count"] == 0
    # --overwrite of a name that does not exist is a plain create
    notes = run(empty, r"\create Brand --overwrite")
    assert notes[0].text == "Brand does not exist: nothing to overwrite"


def test_non_interactive_overwrite_is_refused(sandbox: Sandbox, client: httpx.Client,
                                              empty: Session) -> None:
    run(empty, r"\create Notes")
    fill(sandbox.url, "Notes", 5)
    client.delete("/__sandbox/requests")
    assert empty.confirmer is None
    with pytest.raises(Refused) as err:
        run(empty, r"\create Notes --overwrite")
    assert "without confirmation in a non-interactive session" in err.value.message
    assert "--force" in err.value.hint
    assert mutating_requests(client) == []


def test_interactive_overwrite_asks(sandbox: Sandbox, client: httpx.Client,
                                    empty: Session) -> None:
    run(empty, r"\create Notes")
    fill(sandbox.url, "Notes", 7)
    client.delete("/__sandbox/requests")
    empty.confirmer = no = Confirmer(False)
    with pytest.raises(Refused, match="not confirmed"):
        run(empty, r"\create Notes --overwrite")
    assert mutating_requests(client) == []
    [(plan, word)] = no.asked
    assert word == "yes" and plan.objects == 7 and plan.targets == ("Notes",)
    assert plan.requests == ("DELETE /v1/schema/Notes", "POST /v1/schema")
    empty.confirmer = Confirmer(True)
    run(empty, r"\create Notes --overwrite --from-template compressed")
    assert [(r["method"], r["path"]) for r in mutating_requests(client)] == [
        ("DELETE", "/v1/schema/Notes"), ("POST", "/v1/schema")]


def test_protected_names_need_allow_protected(sandbox: Sandbox, client: httpx.Client,
                                              empty: Session) -> None:
    run(empty, r"\create ELYSIACTL_Test")  # creating one is not destructive
    fill(sandbox.url, "ELYSIACTL_Test", 3)
    before = schema(sandbox.url, "ELYSIACTL_Test")
    client.delete("/__sandbox/requests")
    for line in (r"\create ELYSIACTL_Test --overwrite --force",
                 r"\create ELYSIACTL_Test --overwrite --dry-run"):
        with pytest.raises(Refused) as err:
            run(empty, line)
        assert err.value.message == ("refusing to overwrite collection ELYSIACTL_Test: "
                                     "ELYSIACTL_Test is protected")
        assert "--allow-protected" in err.value.hint
    assert mutating_requests(client) == [] and schema(sandbox.url, "ELYSIACTL_Test") == before
    empty.confirmer = person = Confirmer(True)  # a person types the name
    run(empty, r"\create ELYSIACTL_Test --overwrite --allow-protected --from-template compressed")
    assert person.asked[0][1] == "ELYSIACTL_Test"
    assert schema(sandbox.url, "ELYSIACTL_Test")["vectorIndexConfig"]["rq"]["enabled"]
    empty.confirmer, empty.protected = None, ("Keep*",)  # the session's patterns count
    run(empty, r"\create KeepMe")
    with pytest.raises(Refused, match="KeepMe is protected"):
        run(empty, r"\create KeepMe --overwrite --force")
    run(empty, r"\create KeepMe --overwrite --force --allow-protected")


def test_failed_overwrite_restores_the_old_definition(sandbox: Sandbox, empty: Session,
                                                      tmp_path: Path) -> None:
    run(empty, r"\create Notes --property n:int --shards 1")
    fill(sandbox.url, "Notes", 4)
    before = schema(sandbox.url, "Notes")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"class": "Notes", "properties": [
        {"name": "p", "dataType": ["int"], "tokenization": "word"}]}))
    with pytest.raises(ShellError) as err:
        run(empty, rf"\create Notes --schema-file {path} --overwrite --force")
    assert err.value.message == ("tokenization is not allowed for data type 'int' (Notes was "
                                 "deleted with its 4 objects; its old definition was created "
                                 "again, empty)")
    assert schema(sandbox.url, "Notes") == before


def test_audit_records_the_decision(sandbox: Sandbox, empty: Session) -> None:
    audit = MemoryAuditLog()
    dispatcher = Dispatcher(REGISTRY, empty, audit)
    lines = [r"\create Notes", r"\create Notes --overwrite --dry-run",
             r"\create Notes --overwrite", r"\create Other --dry-run"]
    outcomes = [dispatcher.execute(line, "repl") for line in lines]
    fill(sandbox.url, "Notes", 9)
    outcomes.append(dispatcher.execute(r"\create Notes --overwrite --force", "repl"))
    assert [o.exit_code for o in outcomes] == [0, 0, 4, 0, 0]
    assert [(e["command"], e["destructive"], e["confirmation"], e["objects_affected"])
            for e in audit.items] == [
        ("create", True, "not-needed", None), ("create", True, "dry-run", None),
        ("create", True, "refused", None), ("create", True, "dry-run", None),
        ("create", True, "forced", 9)]
    assert audit.items[-1]["arguments"]["property"] == []


def test_declarations_are_complete() -> None:
    import inspect

    for spec in Registry.from_modules([lifecycle]).specs:
        assert spec.summary.endswith(".") and spec.help and spec.group == "lifecycle"
        params = inspect.signature(spec.handler).parameters
        keyword = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
        assert keyword == {a.name for a in spec.args} | {o.dest for o in spec.opts}
        assert all(a.help for a in spec.args) and all(o.help for o in spec.opts)
    assert REGISTRY.find("create").destructive and REGISTRY.find("create").changes_schema
