"""``__type`` introspection in the sandbox's GraphQL, as Weaviate answers it: ``GetObjectsObj``
has one field per class (with or without properties) and per alias, listed sorted."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox import Sandbox

GET_FIELDS = '{ __type(name: "GetObjectsObj") { name kind fields { name } } }'


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with Sandbox() as server, httpx.Client(base_url=server.url, timeout=10) as client:
        for body in ({"class": "zeta"}, {"class": "Alpha", "properties": [
                {"name": "title", "dataType": ["text"]}, {"name": "at", "dataType": ["uuid"]}]},
                     {"class": "String"}):
            client.post("/v1/schema", json=body).raise_for_status()
        client.post("/v1/aliases", json={"alias": "Beta", "class": "Alpha"}).raise_for_status()
        yield client


def gql(http: httpx.Client, query: str) -> dict:
    response = http.post("/v1/graphql", json={"query": query})
    assert response.status_code == 200
    return response.json()


def test_get_lists_every_class_and_alias_sorted(http: httpx.Client) -> None:
    assert gql(http, GET_FIELDS) == {"data": {"__type": {
        "fields": [{"name": "Alpha"}, {"name": "Beta"}, {"name": "String"}, {"name": "Zeta"}],
        "kind": "OBJECT", "name": "GetObjectsObj"}}}


def test_other_modelled_types(http: httpx.Client) -> None:
    query = ('{ a: __type(name: "AggregateAlpha") { fields { name __typename } __typename } '
             'r: __type(name: "WeaviateObj") { fields { n: name } } }')
    data = gql(http, query)["data"]
    assert data["a"] == {"__typename": "__Type", "fields": [
        {"__typename": "__Field", "name": n} for n in ("groupedBy", "meta", "title")]}
    assert data["r"] == {"fields": [{"n": "Aggregate"}, {"n": "Explore"}, {"n": "Get"}]}
    assert [f["name"] for f in gql(http, '{ __type(name: "AggregateObjectsObj") '
                                         "{ fields { name } } }")["data"]["__type"]["fields"]] \
        == ["Alpha", "Beta", "String", "Zeta"]


@pytest.mark.parametrize(("query", "message"), [
    ("{ __type { name } }",
     'Field "__type" argument "name" of type "String!" is required but not provided.'),
    ('{ __type(name: "GetObjectsObj") }',
     'Field "__type" of type "__Type" must have a sub selection.'),
    ('{ __type(name: "GetObjectsObj") { nam } }',
     'Cannot query field "nam" on type "__Type". Did you mean "name"?'),
    ('{ __type(name: "GetObjectsObj") { name { x } } }',
     'Field "name" of type "String" must not have a sub selection.'),
    ('{ __type(name: "GetObjectsObj") { fields } }',
     'Field "fields" of type "[__Field!]" must have a sub selection.'),
    ('{ __type(nam: "GetObjectsObj") { name } }',
     'Unknown argument "nam" on field "__type" of type "WeaviateObj". Did you mean "name"?'),
])
def test_validation_errors(http: httpx.Client, query: str, message: str) -> None:
    errors = gql(http, query)["errors"]
    assert message in [e["message"] for e in errors]
    assert all(e["path"] is None and e["locations"] for e in errors)


@pytest.mark.parametrize(("query", "what"), [
    ("{ __schema { types { name } } }", "introspection is"),
    ('{ __type(name: "Beacon") { name } }', 'introspection of type "Beacon" is'),
    ('{ __type(name: "GetObjectsObj") { description } }', '"description" of __Type'),
    ('{ __type(name: "GetObjectsObj") { fields { type { name } } } }', '"type" of __Field'),
    ('{ __type(name: "GetObjectsObj") { fields(includeDeprecated: true) { name } } }',
     '"fields" of __Type'),
])
def test_what_the_sandbox_does_not_answer_is_refused(http: httpx.Client, query: str,
                                                      what: str) -> None:
    (error,) = gql(http, query)["errors"]
    assert error["message"].startswith(f"sandbox: {what}")
    assert "data" not in gql(http, query)


def test_no_classes_no_graphql() -> None:
    with Sandbox() as empty:
        response = httpx.post(f"{empty.url}/v1/graphql", json={"query": GET_FIELDS})
    assert response.status_code == 422
    assert response.json() == {"error": [{"message": (
        "no graphql provider present, this is most likely because no schema is present. "
        "Import a schema first!")}]}
