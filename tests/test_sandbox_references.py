"""Cross-references: targets must exist when objects are written and when classes are defined
(OPERATIONS.md §3.1.5), with Weaviate's status codes and messages."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox import Sandbox

ANN = "10000000-0000-4000-8000-000000000001"
GHOST = "10000000-0000-4000-8000-0000000000ff"
BOOK = "20000000-0000-4000-8000-000000000001"


def beacon(target: str, cls: str = "Author") -> list[dict[str, str]]:
    return [{"beacon": f"weaviate://localhost/{cls}/{target}"}]


def linked(target: str, cls: str = "Author") -> list[dict[str, str]]:
    return [{"beacon": f"weaviate://localhost/{cls}/{target}",
             "href": f"/v1/objects/{cls}/{target}"}]


def missing(target: str, prop: str = "writtenBy", cls: str = "Book") -> str:
    return f"invalid cref: 'cref' {cls}:{prop}: no object with id {target} found"


def message(response: httpx.Response) -> str:
    return response.json()["error"][0]["message"]


@pytest.fixture(scope="module")
def library() -> Iterator[httpx.Client]:
    """Author (one object, Ann) and Book (writtenBy -> Author, sequelOf -> Book, about ->
    Author|Book); each test writes only objects of its own."""
    with Sandbox() as server, httpx.Client(base_url=server.url, timeout=10) as http:
        http.post("/v1/schema", json={"class": "Author", "properties": [
            {"name": "name", "dataType": ["text"]}]}).raise_for_status()
        http.post("/v1/schema", json={"class": "Book", "properties": [
            {"name": "title", "dataType": ["text"]},
            {"name": "writtenBy", "dataType": ["Author"]},
            {"name": "sequelOf", "dataType": ["Book"]},
            {"name": "about", "dataType": ["Author", "Book"]}]}).raise_for_status()
        http.post("/v1/objects", json={"class": "Author", "id": ANN,
                                       "properties": {"name": "Ann"}}).raise_for_status()
        yield http


def test_create_refuses_a_reference_to_a_missing_object(library: httpx.Client) -> None:
    refused = library.post("/v1/objects", json={"class": "Book", "id": BOOK, "properties": {
        "title": "Ghost", "writtenBy": beacon(GHOST)}})
    assert refused.status_code == 422
    assert message(refused) == f"invalid object: {missing(GHOST)}"
    assert library.get(f"/v1/objects/Book/{BOOK}").status_code == 404
    # A class that does not exist holds no object either.
    nowhere = library.post("/v1/objects", json={"class": "Book", "properties": {
        "writtenBy": beacon(ANN, "Nobody")}})
    assert (nowhere.status_code, message(nowhere)) == (422, f"invalid object: {missing(ANN)}")


def test_references_are_stored_and_answered_as_weaviate_does(library: httpx.Client) -> None:
    book = "20000000-0000-4000-8000-000000000002"
    created = library.post("/v1/objects", json={"class": "Book", "id": book, "properties": {
        "writtenBy": [{"beacon": f"weaviate://localhost/Author/{ANN.upper()}",
                       "href": "/ignored"}],
        "about": [{"beacon": f"weaviate://localhost/{ANN}"}]}})
    assert created.status_code == 200, created.text
    # The id is lowercased and the given href replaced by the object's path; a class-less
    # beacon keeps no class on a multi-target property (its target was found in any class).
    expected = {"writtenBy": linked(ANN), "about": [{
        "beacon": f"weaviate://localhost/{ANN}", "href": f"/v1/objects/{ANN}"}]}
    assert created.json()["properties"] == expected
    assert library.get(f"/v1/objects/Book/{book}").json()["properties"] == expected
    listed = library.get("/v1/objects", params={"class": "Book", "limit": 100}).json()
    assert next(o for o in listed["objects"] if o["id"] == book)["properties"] == expected
    # On a single-target property a class-less beacon gets the property's class; batch
    # results carry the references as stored, without links.
    sequel = library.post("/v1/batch/objects", json={"objects": [{"class": "Book", "properties": {
        "sequelOf": [{"beacon": f"weaviate://localhost/{book}"}]}}]})
    assert sequel.json()[0]["properties"]["sequelOf"] == beacon(book, "Book")
    ghost = library.post("/v1/objects", json={"class": "Book", "properties": {
        "sequelOf": [{"beacon": f"weaviate://localhost/{GHOST}"}]}})
    assert message(ghost) == f"invalid object: {missing(GHOST, 'sequelOf')}"


def test_put_patch_and_validate_check_targets(library: httpx.Client) -> None:
    book = "20000000-0000-4000-8000-000000000003"
    library.post("/v1/objects", json={"class": "Book", "id": book, "properties": {
        "title": "Real", "writtenBy": beacon(ANN)}}).raise_for_status()
    put = library.put(f"/v1/objects/Book/{book}", json={"class": "Book", "id": book,
                                                        "properties": {"writtenBy": beacon(GHOST)}})
    assert (put.status_code, message(put)) == (422, f"invalid object: {missing(GHOST)}")
    patch = library.patch(f"/v1/objects/Book/{book}", json={"properties": {
        "writtenBy": beacon(GHOST)}})
    assert patch.status_code == 422
    assert message(patch) == f"msg:bad request code:400 err:{missing(GHOST)}"
    validate = library.post("/v1/objects/validate", json={"class": "Book", "properties": {
        "writtenBy": beacon(GHOST)}})
    assert (validate.status_code, message(validate)) == (422, f"invalid object: {missing(GHOST)}")
    assert library.get(f"/v1/objects/Book/{book}").json()["properties"] == {
        "title": "Real", "writtenBy": linked(ANN)}


@pytest.mark.parametrize(("value", "error"), [
    ({"beacon": f"weaviate://localhost/Author/{ANN}"},
     f"reference property is not a slice map[beacon:weaviate://localhost/Author/{ANN}]"),
    (["x"], "reference property is not a map: map[string]interface {}"),
    ([{"href": "/v1/objects"}], "beacon property is not a string: <nil>"),
    ([{"beacon": "weaviate://localhost/Author/42"}],
     "invalid cref URI: 2nd path segment must be uuid, but got '42'"),
    ([{"beacon": "weaviate://localhost/a/b/c"}],
     "invalid cref URI: path must be of format '<class>/<uuid>', but got '/a/b/c'"),
    ([{"beacon": f"weaviate://elsewhere/Author/{ANN}"}],
     "invalid cref: unrecognized cross-ref ref format"),
    ([{"beacon": f"weaviate://localhost/Author/{ANN}", "note": 1}],
     "invalid cref: only direct references supported at the moment, concept references not "
     "supported yet: class 'Book' with property 'writtenBy' requires exactly 1 arguments: "
     "'beacon'. Check your input schema, got: map[string]interface {}{\"beacon\":"
     f"\"weaviate://localhost/Author/{ANN}\", \"note\":\"1\"}}"),
])
def test_malformed_references_are_refused(library: httpx.Client, value, error: str) -> None:
    refused = library.post("/v1/objects", json={"class": "Book", "properties": {
        "writtenBy": value}})
    assert (refused.status_code, message(refused)) == (422, f"invalid object: {error}")


def test_batch_reports_each_missing_target_and_sees_only_stored_objects(
        library: httpx.Client) -> None:
    first, second = "20000000-0000-4000-8000-000000000010", "20000000-0000-4000-8000-000000000011"
    response = library.post("/v1/batch/objects", json={"objects": [
        {"class": "Book", "id": first, "properties": {"writtenBy": beacon(ANN)}},
        {"class": "Book", "properties": {"writtenBy": beacon(GHOST)}},
        # Weaviate validates the whole batch before storing it: `first` is not there yet.
        {"class": "Book", "id": second, "properties": {"sequelOf": beacon(first, "Book")}}]})
    assert response.status_code == 200
    results = response.json()
    assert [r["result"]["status"] for r in results] == ["SUCCESS", "FAILED", "FAILED"]
    assert results[1]["result"]["errors"]["error"][0]["message"] == missing(GHOST)
    assert results[2]["result"]["errors"]["error"][0]["message"] == \
        missing(first, "sequelOf")
    assert library.get(f"/v1/objects/Book/{second}").status_code == 404
    again = library.post("/v1/batch/objects", json={"objects": [
        {"class": "Book", "id": second, "properties": {"sequelOf": beacon(first, "Book")}}]})
    assert again.json()[0]["result"] == {"status": "SUCCESS"}


def test_multi_tenant_references(library: httpx.Client) -> None:
    library.post("/v1/schema", json={"class": "Note", "multiTenancyConfig": {"enabled": True},
                                     "properties": [{"name": "by", "dataType": ["Author"]},
                                                    {"name": "next", "dataType": ["Note"]}]})
    library.post("/v1/schema/Note/tenants", json=[{"name": "t1"}, {"name": "t2"}])
    note = "30000000-0000-4000-8000-000000000001"
    # A tenant's object may point at a single-tenant class (found without the tenant) ...
    ok = library.post("/v1/objects", json={"class": "Note", "tenant": "t1", "id": note,
                                           "properties": {"by": beacon(ANN)}})
    assert ok.status_code == 200, ok.text
    # ... and at its own tenant's objects, not at another tenant's.
    other = library.post("/v1/objects", json={"class": "Note", "tenant": "t2", "properties": {
        "next": beacon(note, "Note")}})
    assert message(other) == f"invalid object: {missing(note, 'next', 'Note')}"
    # A single-tenant object cannot name a multi-tenant target at all.
    library.post("/v1/schema/Book/properties", json={"name": "noted",
                                                     "dataType": ["Note"]}).raise_for_status()
    untenanted = library.post("/v1/objects", json={"class": "Book", "properties": {
        "noted": beacon(note, "Note")}})
    assert message(untenanted) == ("invalid object: invalid cref: determine shard: class Note "
                                   "has multi-tenancy enabled, but request was without tenant")


def test_schema_refuses_a_reference_to_a_missing_class(library: httpx.Client) -> None:
    refused = library.post("/v1/schema", json={"class": "Shelf", "properties": [
        {"name": "holds", "dataType": ["NoSuchClass"]}]})
    assert refused.status_code == 422
    assert refused.json() == {"allowed": None, "error": [
        {"message": "bad request: reference property to nonexistent class"}]}
    assert library.get("/v1/schema/Shelf").status_code == 404
    # A class that exists already is reported as such first.
    taken = library.post("/v1/schema", json={"class": "Book", "properties": [
        {"name": "holds", "dataType": ["NoSuchClass"]}]})
    assert message(taken) == "class name Book already exists"
    # A reference to the class itself, or to an existing one, is allowed.
    library.post("/v1/schema", json={"class": "Shelf", "properties": [
        {"name": "next", "dataType": ["Shelf"]},
        {"name": "holds", "dataType": ["Book", "Author"]}]}).raise_for_status()
    added = library.post("/v1/schema/Shelf/properties", json={"name": "lost",
                                                              "dataType": ["Book", "Ghost"]})
    assert added.status_code == 422
    assert added.json() == {"allowed": None, "error": [{"message": (
        "property 'lost': invalid dataType: [Book Ghost]: reference property to nonexistent "
        "class")}]}
    library.post("/v1/schema/Shelf/properties", json={"name": "prev",
                                                      "dataType": ["Shelf"]}).raise_for_status()
    names = [p["name"] for p in library.get("/v1/schema/Shelf").json()["properties"]]
    assert names == ["next", "holds", "prev"]


def test_auto_schema_adds_no_reference_to_a_missing_class(library: httpx.Client) -> None:
    before = library.get("/v1/schema/Book").json()["properties"]
    refused = library.post("/v1/objects", json={"class": "Book", "properties": {
        "editedBy": beacon(ANN, "Nobody")}})
    assert (refused.status_code, message(refused)) == (422, (
        "invalid object: auto-schema: update collection: property 'editedBy': invalid "
        "dataType: [Nobody]: reference property to nonexistent class"))
    assert library.get("/v1/schema/Book").json()["properties"] == before
    # A class auto-schema would create is not created either; in a batch the error is the
    # item's own.
    results = library.post("/v1/batch/objects", json={"objects": [
        {"class": "Pamphlet", "properties": {"cites": beacon(ANN, "Nobody")}}]}).json()
    assert results[0]["result"]["errors"]["error"][0]["message"] == \
        "auto-schema: create collection: bad request: reference property to nonexistent class"
    assert library.get("/v1/schema/Pamphlet").status_code == 404
    # A reference to an existing class is added as before.
    added = library.post("/v1/objects", json={"class": "Book", "properties": {
        "editedBy": beacon(ANN)}})
    assert added.status_code == 200, added.text
    assert library.get("/v1/schema/Book").json()["properties"][-1]["dataType"] == ["Author"]
