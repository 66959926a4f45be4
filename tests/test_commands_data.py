"""Data-reading meta-commands (``\\objects``, ``\\get``, ``\\count``) against the sandbox over
HTTP: cursor paging, tenants (explicit and from the session), vectors and errors.
"""

from __future__ import annotations

import httpx
import pytest
from conftest import run

from commands.api.client import RestClient
from commands.context import Connection, Session
from commands.errors import ApiError, ShellError, UsageError
from commands.results import Document, Record, Table
from sandbox import Sandbox

ARTICLE_ID = "00ef873f-0906-4665-9ad2-6b5808d9d98c"  # the demo's first Article in id order


def article_properties(session: Session) -> list[str]:
    return [p["name"] for p in session.api.get_json("/v1/schema/Article")["properties"]]


# --- \objects -----------------------------------------------------------------------------

def test_objects_first_page(session: Session) -> None:
    table = run(session, r"\objects Article")
    assert isinstance(table, Table)
    assert table.columns == ("id", *article_properties(session))
    assert len(table.rows) == 20
    rows = table.to_data()
    assert rows[0]["id"] == ARTICLE_ID
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert table.note == rf"next page: \objects Article --after {rows[-1]['id']}"
    # the machine contract keeps every value whole (only the table renderer shortens)
    assert isinstance(rows[0]["location"], dict) and isinstance(rows[0]["tags"], list)
    assert len(rows[0]["body"]) > 100
    assert isinstance(rows[0]["rating"], float) and isinstance(rows[0]["published"], bool)
    full = run(session, r"\objects Article --limit 1 --properties location,tags,body").to_data()
    assert isinstance(full[0]["location"], dict) and isinstance(full[0]["tags"], list)
    assert len(full[0]["body"]) > 24


def test_objects_pages_do_not_overlap_and_walk_everything(session: Session) -> None:
    first = run(session, r"\objects Article --limit 100 --properties title").to_data()
    last = first[-1]["id"]
    second = run(session, rf"\objects Article --limit 100 --after {last}").to_data()
    assert not {r["id"] for r in first} & {r["id"] for r in second}
    assert second[0]["id"] > last
    seen, after = [], ""
    while True:
        table = run(session, r"\objects Article --limit 64 --properties title" +
                    (f" --after {after}" if after else ""))
        seen += [r["id"] for r in table.to_data()]
        if "next page" not in table.note:
            break
        after = table.note.split("--after ")[1].split()[0]
    assert len(seen) == len(set(seen)) == 250
    assert seen == sorted(seen)
    assert table.note == "end of the objects"


def test_objects_selected_properties_and_vector_preview(session: Session) -> None:
    table = run(session, r"\objects Article --limit 2 --properties 'rating, Title' --vector")
    assert table.columns == ("id", "rating", "title", "vector")
    preview = table.to_data()[0]["vector"]
    assert preview.startswith("32d [") and preview.endswith(", ...]")
    assert table.note.endswith("--limit 2")
    named = run(session, r"\objects Product --limit 1 --properties sku --vector").to_data()[0]
    assert named["vector"].startswith("title_vector: 64d [")
    assert "; image_vector: 16d [" in named["vector"]


def test_objects_unknown_property_suggests(session: Session) -> None:
    with pytest.raises(ShellError) as err:
        run(session, r"\objects Article --properties titel")
    assert err.value.message == "Article has no property 'titel'"
    assert err.value.hint == "did you mean title?"


@pytest.mark.parametrize("line", [r"\objects Article --limit 0",
                                  r"\objects Article --limit 10001",
                                  r"\objects Article --after nope"])
def test_objects_bad_arguments_are_usage_errors(session: Session, line: str) -> None:
    with pytest.raises(UsageError):
        run(session, line)


def test_objects_multi_tenant_without_tenant(session: Session) -> None:
    with pytest.raises(ApiError) as err:
        run(session, r"\objects SupportTicket")
    assert err.value.status == 422
    assert err.value.message == ("class SupportTicket has multi-tenancy enabled, but request "
                                 "was without tenant")
    assert "acme" in err.value.hint and "globex" in err.value.hint
    assert "initech" not in err.value.hint


def test_objects_inactive_or_unknown_tenant(session: Session) -> None:
    with pytest.raises(ApiError) as err:
        run(session, r"\objects SupportTicket --tenant initech")
    assert err.value.message == "tenant not active: 'initech'"
    assert r"\tenants SupportTicket" in err.value.hint
    with pytest.raises(ApiError) as err:
        run(session, r"\objects SupportTicket --tenant nobody")
    assert err.value.message == 'tenant not found: "nobody"' and "acme" in err.value.hint


def test_objects_tenant_defaults_to_the_session(session: Session) -> None:
    session.tenant = "acme"
    table = run(session, r"\objects SupportTicket --limit 1000")
    count = run(session, r"\count SupportTicket").to_data()
    assert count == {"collection": "SupportTicket", "tenant": "acme", "count": len(table.rows)}
    assert table.title == "Objects of SupportTicket (tenant acme)"
    assert table.note.endswith("end of the objects")
    # the session's tenant is not sent to a collection without multi-tenancy
    assert len(run(session, r"\objects Article --limit 3").rows) == 3


def test_objects_tenant_for_a_collection_without_multi_tenancy(session: Session) -> None:
    with pytest.raises(ShellError, match="not multi-tenant"):
        run(session, r"\objects Article --tenant acme")


def test_objects_through_an_alias_and_unknown_collection(session: Session) -> None:
    table = run(session, r"\objects Docs --limit 5 --properties chunkIndex")
    assert table.title == "Objects of DocumentChunk" and len(table.rows) == 5
    with pytest.raises(ShellError) as err:
        run(session, r"\objects Prodct")
    assert err.value.hint == "did you mean Product?"


def test_objects_of_an_empty_collection(sandbox: Sandbox) -> None:
    httpx.post(f"{sandbox.url}/v1/schema", json={"class": "Empty"}).raise_for_status()
    session = Session(connection=Connection(api=RestClient(sandbox.url), url=sandbox.url))
    table = run(session, r"\objects Empty")
    assert table.columns == ("id",) and table.rows == () and table.note == "Empty has no objects"


# --- \get ---------------------------------------------------------------------------------

def test_get_returns_the_object(session: Session) -> None:
    doc = run(session, rf"\get Article {ARTICLE_ID.upper()}")
    assert isinstance(doc, Document)
    obj = doc.to_data()
    assert obj["id"] == ARTICLE_ID and obj["class"] == "Article"
    assert "vector" not in obj and obj["properties"]["title"]
    with_vector = run(session, rf"\get Article {ARTICLE_ID} --vector").to_data()
    assert len(with_vector["vector"]) == 32


def test_get_named_vectors_and_tenant(session: Session) -> None:
    first = run(session, r"\objects Product --limit 1 --properties sku").to_data()[0]["id"]
    vectors = run(session, rf"\get Product {first} --vector").to_data()["vectors"]
    assert (len(vectors["title_vector"]), len(vectors["image_vector"])) == (64, 16)
    ticket = run(session, r"\objects SupportTicket --tenant globex --limit 1").to_data()[0]
    obj = run(session, rf"\get SupportTicket {ticket['id']} --tenant globex").to_data()
    assert obj["tenant"] == "globex"
    with pytest.raises(ShellError, match="no object .* in SupportTicket \\(tenant acme\\)"):
        run(session, rf"\get SupportTicket {ticket['id']} --tenant acme")
    with pytest.raises(ApiError, match="without tenant"):
        run(session, rf"\get SupportTicket {ticket['id']}")


def test_get_missing_object(session: Session) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ShellError) as err:
        run(session, rf"\get Article {missing}")
    assert err.value.message == f"no object {missing} in Article"
    with pytest.raises(ShellError, match="no collection named 'Artcle'"):
        run(session, rf"\get Artcle {missing}")
    with pytest.raises(UsageError, match="is not a UUID"):
        run(session, r"\get Article 12345")


# --- \count -------------------------------------------------------------------------------

def test_count_is_exact(session: Session) -> None:
    record = run(session, r"\count Article")
    assert isinstance(record, Record)
    assert record.to_data() == {"collection": "Article", "tenant": None, "count": 250}
    assert run(session, r"\count Docs").to_data()["count"] == 20_000
    assert run(session, r"\count eLYSIACTL_Audit").to_data()["count"] == 40
    with pytest.raises(ShellError) as err:  # Weaviate only case-fixes the first letter
        run(session, r"\count elysiactl_audit")
    assert err.value.hint == "did you mean ELYSIACTL_Audit?"


def test_count_sees_writes_at_once(sandbox: Sandbox) -> None:
    http = httpx.Client(base_url=sandbox.url)
    http.post("/v1/schema", json={"class": "Fresh"}).raise_for_status()
    http.post("/v1/objects", json={"class": "Fresh", "properties": {"a": 1}}).raise_for_status()
    session = Session(connection=Connection(api=RestClient(sandbox.url), url=sandbox.url))
    assert run(session, r"\count Fresh").to_data()["count"] == 1


def test_count_multi_tenant(session: Session) -> None:
    with pytest.raises(ShellError) as err:
        run(session, r"\count SupportTicket")
    assert "one tenant at a time" in err.value.message and "--tenant acme" in err.value.hint
    acme = run(session, r"\count SupportTicket --tenant acme").to_data()
    assert acme["tenant"] == "acme" and acme["count"] > 0
    with pytest.raises(ShellError) as err:
        run(session, r"\count SupportTicket --tenant initech")
    assert err.value.message == "tenant not active: 'initech'" and err.value.hint
    with pytest.raises(ShellError, match="not multi-tenant"):
        run(session, r"\count Article --tenant acme")


def test_count_uses_two_requests(demo: Sandbox, session: Session) -> None:
    httpx.delete(f"{demo.url}/__sandbox/requests")
    run(session, r"\count Article")
    log = httpx.get(f"{demo.url}/__sandbox/requests").json()
    assert [(r["method"], r["path"]) for r in log] == [("GET", "/v1/schema/Article"),
                                                       ("POST", "/v1/graphql")]
