"""GraphQL Aggregate counts and GraphQL-style errors (§10)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from openapi_schema import validate

COUNT = "{ Aggregate { Article { meta { count } } } }"


def add_objects(http: httpx.Client, cls: str, n: int, tenant: str | None = None) -> None:
    objects = [{"class": cls, "id": str(uuid.uuid4()), "properties": {"title": f"t{i}"},
                **({"tenant": tenant} if tenant else {})} for i in range(n)]
    assert http.post("/v1/batch/objects", json={"objects": objects}).status_code == 200


@pytest.fixture
def data(http: httpx.Client) -> None:
    """``Article`` (7 objects over 3 shards), ``Book`` (2), ``Ticket`` (MT: t1 5, t2 cold)."""
    text = [{"name": "title", "dataType": ["text"]}]
    http.post("/v1/schema", json={"class": "Article", "properties": text,
                                  "replicationConfig": {"factor": 2},
                                  "shardingConfig": {"desiredCount": 3}})
    http.post("/v1/schema", json={"class": "Book", "properties": text})
    http.post("/v1/schema", json={"class": "Ticket", "properties": text,
                                  "multiTenancyConfig": {"enabled": True}})
    http.post("/v1/schema/Ticket/tenants", json=[{"name": "t1"}, {"name": "t2"}])
    add_objects(http, "Article", 7)
    add_objects(http, "Book", 2)
    add_objects(http, "Ticket", 5, tenant="t1")
    add_objects(http, "Ticket", 1, tenant="t2")
    http.put("/v1/schema/Ticket/tenants", json=[{"name": "t2", "activityStatus": "COLD"}])


def gql(http: httpx.Client, query: str, **extra: Any) -> dict[str, Any]:
    """A 200 GraphQL response, validated against GraphQLResponse."""
    response = http.post("/v1/graphql", json={"query": query, **extra})
    assert response.status_code == 200, response.text
    validate(response)
    return response.json()


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert "data" not in body
    (err,) = body["errors"]
    return err


@pytest.mark.usefixtures("data")
def test_count(http: httpx.Client) -> None:
    assert gql(http, COUNT) == {"data": {"Aggregate": {"Article": [{"meta": {"count": 7}}]}}}


@pytest.mark.usefixtures("data")
def test_several_classes_aliases_and_layout(http: httpx.Client) -> None:
    http.post("/v1/aliases", json={"alias": "Posts", "class": "Article"})
    query = """
      # counts of everything
      query Counts {
        Aggregate {
          Book { meta { count } },
          Posts { meta { count } }
          a: Article { total: meta { count } __typename }
          Ticket(tenant: "t1") { meta { count __typename } }
        }
      }"""
    assert gql(http, query, operationName="Counts")["data"] == {"Aggregate": {
        "Book": [{"meta": {"count": 2}}],
        "Posts": [{"meta": {"count": 7}}],
        "Ticket": [{"meta": {"__typename": "AggregateTicketMetaObject", "count": 5}}],
        "a": [{"__typename": "AggregateArticle", "total": {"count": 7}}]}}
    assert gql(http, "query{Aggregate{Book{meta{count}}}}")["data"]["Aggregate"]["Book"] == \
        [{"meta": {"count": 2}}]


@pytest.mark.usefixtures("data")
def test_multi_tenancy_errors_are_resolver_errors_with_partial_data(
        http: httpx.Client) -> None:
    body = gql(http, "{ Aggregate { Ticket { meta { count } } Book { meta { count } } } }")
    assert body["data"] == {"Aggregate": {"Book": [{"meta": {"count": 2}}], "Ticket": None}}
    assert body["errors"] == [{
        "locations": [{"column": 15, "line": 1}],
        "message": "class Ticket has multi-tenancy enabled, but request was without tenant",
        "path": ["Aggregate", "Ticket"]}]
    unknown = gql(http, '{ Aggregate { Ticket(tenant: "t9") { meta { count } } } }')
    assert unknown["errors"][0]["message"] == 'tenant not found: "t9"'
    cold = gql(http, '{ Aggregate { x: Ticket(tenant: "t2") { meta { count } } } }')
    assert cold["data"] == {"Aggregate": {"x": None}}
    assert cold["errors"][0]["message"] == "tenant not active: 't2'"
    assert cold["errors"][0]["path"] == ["Aggregate", "x"]


@pytest.mark.usefixtures("data")
def test_tenant_variable(http: httpx.Client) -> None:
    query = "query Q($t: String!) { Aggregate { Ticket(tenant: $t) { meta { count } } } }"
    body = gql(http, query, variables={"t": "t1"})
    assert body["data"]["Aggregate"]["Ticket"] == [{"meta": {"count": 5}}]
    missing = only_error(gql(http, query))
    assert missing["message"] == 'Variable "$t" of required type "String!" was not provided.'
    undefined = only_error(gql(http, "{ Aggregate { Ticket(tenant: $t) { meta { count } } } }"))
    assert undefined["message"] == 'Variable "$t" is not defined.'
    assert undefined["locations"] == [{"column": 30, "line": 1}, {"column": 1, "line": 1}]
    wrong = only_error(gql(http, "query($t: Int) { Aggregate { Ticket(tenant: $t) "
                                 "{ meta { count } } } }"))
    assert wrong["message"] == 'Variable "$t" of type "Int" used in position expecting ' \
                               'type "String".'


@pytest.mark.usefixtures("data")
def test_validation_errors(http: httpx.Client) -> None:
    unknown = only_error(gql(http, "{ Aggregate { Nowhere { meta { count } } } }"))
    assert unknown == {"locations": [{"column": 15, "line": 1}], "path": None,
                       "message": 'Cannot query field "Nowhere" on type "AggregateObjectsObj".'}
    close = only_error(gql(http, "{ Aggregate { Foo { meta { count } } } }"))
    assert close["message"].endswith('"AggregateObjectsObj". Did you mean "Book"?')
    typo = only_error(gql(http, "{ Aggregate { article { meta { count } } } }"))
    assert typo["message"] == 'Cannot query field "article" on type "AggregateObjectsObj". ' \
                              'Did you mean "Article"?'
    root = only_error(gql(http, "{ Aggregat { Article { meta { count } } } }"))
    assert root["message"] == 'Cannot query field "Aggregat" on type "WeaviateObj". ' \
                              'Did you mean "Aggregate"?'
    mt_arg = only_error(gql(http, '{ Aggregate { Book(tenant: "t1") { meta { count } } } }'))
    assert mt_arg["message"] == 'Unknown argument "tenant" on field "Book" of type ' \
                                '"AggregateObjectsObj".'
    bad_value = only_error(gql(http, "{ Aggregate { Ticket(tenant: 5) { meta { count } } } }"))
    assert bad_value["message"] == 'Argument "tenant" has invalid value 5.\n' \
                                   'Expected type "String", found 5.'
    leaf = only_error(gql(http, "{ Aggregate { Book { meta } } }"))
    assert leaf["message"] == 'Field "meta" of type "AggregateBookMetaObject" must have a ' \
                              "sub selection."
    scalar = only_error(gql(http, "{\n  Aggregate {\n    Book { meta { count { x } } }\n  }\n}"))
    assert scalar["message"] == 'Field "count" of type "Int" must not have a sub selection.'
    assert scalar["locations"] == [{"column": 25, "line": 3}]
    both = gql(http, "{ Aggregate { Nowhere { meta { count } } Elsewhere { meta { count } } } }")
    assert [e["locations"][0]["column"] for e in both["errors"]] == [15, 42]


@pytest.mark.usefixtures("data")
def test_syntax_errors(http: httpx.Client) -> None:
    eof = only_error(gql(http, "{ Aggregate { Book { meta { count } }"))
    assert eof["locations"] == [{"column": 38, "line": 1}]
    assert eof["message"] == ("Syntax Error GraphQL request (1:38) Expected Name, found EOF\n\n"
                              "1: { Aggregate { Book { meta { count } }\n"
                              + " " * 40 + "^\n")
    lines = only_error(gql(http, "{\n  Aggregate {\n    Book ( { meta { count } }\n  }\n}"))
    assert lines["message"] == ('Syntax Error GraphQL request (3:12) Expected Name, found {\n\n'
                                "2:   Aggregate {\n3:     Book ( { meta { count } }\n"
                                + " " * 14 + "^\n4:   }\n")
    assert only_error(gql(http, "{ Aggregate { Book { meta { count } } } } %"))["message"] \
        .startswith('Syntax Error GraphQL request (1:43) Unexpected character "%".')
    assert only_error(gql(http, "{}"))["message"].startswith(
        "Syntax Error GraphQL request (1:1) Unexpected empty IN {}")
    assert only_error(gql(http, 'mutate { x }'))["message"].startswith(
        'Syntax Error GraphQL request (1:1) Unexpected Name "mutate"')
    assert only_error(gql(http, '{ Aggregate { Ticket(tenant: null) { meta { count } } } }'))[
        "message"].startswith('Syntax Error GraphQL request (1:30) Unexpected Name "null"')
    assert only_error(gql(http, '{ a(b: "x\n") }'))["message"].startswith(
        "Syntax Error GraphQL request (1:10) Unterminated string.")


@pytest.mark.usefixtures("data")
def test_unemulated_queries_answer_200_with_errors(http: httpx.Client) -> None:
    for query, what in [
        ('{ Get { Article(where: {path: ["title"], operator: Equal, valueText: "t1"}) '
         "{ title } } }", 'the "where" argument is'),
        ("{ Aggregate { Article { title { count } } } }", '"title" is'),
        ("{ Aggregate { Article(limit: 1) { meta { count } } } }", 'the "limit" argument is'),
        ("{ Aggregate { Article { ...F } } } fragment F on AggregateArticle { meta { count } }",
         "fragments are"),
        ("{ __schema { types { name } } }", "introspection is"),
    ]:
        err = only_error(gql(http, query)) if what != "fragments are" else \
            gql(http, query)["errors"][0]
        assert err["message"].startswith(f"sandbox: {what} not emulated"), query
        assert err["path"] is None and err["locations"]


@pytest.mark.usefixtures("data")
def test_operations(http: httpx.Client) -> None:
    two = "query A { Aggregate { Book { meta { count } } } } " \
          "query B { Aggregate { Article { meta { count } } } }"
    assert gql(http, two, operationName="B")["data"]["Aggregate"] == \
        {"Article": [{"meta": {"count": 7}}]}
    assert only_error(gql(http, two)) == {
        "locations": [], "path": None,
        "message": "Must provide operation name if query contains multiple operations."}
    assert only_error(gql(http, two, operationName="C"))["message"] == \
        'Unknown operation named "C".'
    assert only_error(gql(http, "mutation { Aggregate { x } }"))["message"] == \
        "Schema is not configured for mutations"
    assert only_error(gql(http, "  # nothing\n"))["message"] == "Must provide an operation."
    # Not validated: ``data`` values are Go interface{}s, the spec's JsonObject says object.
    typename = http.post("/v1/graphql", json={"query": "{ __typename }"})
    assert typename.json() == {"data": {"__typename": "WeaviateObj"}}


def test_handler_level_errors(http: httpx.Client) -> None:
    none = http.post("/v1/graphql", json={"query": COUNT})
    assert none.status_code == 422 and none.json() == {"error": [{"message": (
        "no graphql provider present, this is most likely because no schema is present. "
        "Import a schema first!")}]}
    validate(none)
    http.post("/v1/schema", json={"class": "Article"})
    for body, text in [({"query": ""}, "query cannot be empty"), ({}, "query cannot be empty"),
                       ({"query": COUNT, "variables": [1]},
                        "variables must be a JSON object, got []interface {}"),
                       ({"query": COUNT, "variables": "x"},
                        "variables must be a JSON object, got string")]:
        response = http.post("/v1/graphql", json=body)
        assert response.status_code == 422 and response.json()["error"][0]["message"] == text
    assert http.post("/v1/graphql").json() == {"code": 602,
                                               "message": "body in body is required"}
    assert http.post("/v1/graphql", content=b"{").status_code == 400
    wrong = http.post("/v1/graphql", json={"query": 5})
    assert wrong.status_code == 400 and wrong.json()["message"] == (
        'parsing body body from "" failed, because json: cannot unmarshal number into Go '
        "struct field GraphQLQuery.query of type string")
    assert http.post("/v1/graphql", json={"query": COUNT, "variables": None}).status_code == 200


def test_batch(http: httpx.Client) -> None:
    assert http.post("/v1/graphql/batch", json=[{"query": COUNT}]).json() == {"error": [{
        "message": "no graphql provider present, this is most likely because no schema is "
                   "present. Import a schema first"}]}
    http.post("/v1/schema", json={"class": "Article"})
    add_objects(http, "Article", 3)
    response = http.post("/v1/graphql/batch", json=[
        {"query": COUNT}, {"query": ""}, {"query": "{ Aggregate { Nope { meta { count } } } }"},
        {"query": COUNT, "variables": [1, "a"]},
        {"query": "query Q { Aggregate { a: Article { meta { count } } } }",
         "operationName": "Q"}])
    assert response.status_code == 200
    validate(response)
    first, empty, unknown, variables, named = response.json()
    assert first == {"data": {"Aggregate": {"Article": [{"meta": {"count": 3}}]}}}
    assert empty == {"errors": [{"locations": None, "path": None, "message":
                                 "422: The request is well-formed but was unable to be "
                                 "followed due to semantic errors."}]}
    assert unknown["errors"][0]["message"].startswith('Cannot query field "Nope"')
    assert variables["errors"][0]["message"] == \
        "422: expected map[string]interface{}, received [1 a]"
    assert named["data"]["Aggregate"]["a"] == [{"meta": {"count": 3}}]
    nothing = http.post("/v1/graphql/batch", json=[])
    assert nothing.status_code == 422 and nothing.json() == {"error": None}
    assert http.post("/v1/graphql/batch", json={"query": COUNT}).status_code == 400
