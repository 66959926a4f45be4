"""Batch import and delete-by-filter: results, where operators and the deletion cap (§8)."""

from __future__ import annotations

import uuid

import httpx
import pytest


def message(response: httpx.Response) -> str:
    return response.json()["error"][0]["message"]


@pytest.fixture
def library(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Book", "invertedIndexConfig": {
        "indexNullState": True, "indexPropertyLength": True, "indexTimestamps": True},
        "properties": [
        {"name": "title", "dataType": ["text"]},
        {"name": "code", "dataType": ["text"], "tokenization": "field"},
        {"name": "pages", "dataType": ["int"]},
        {"name": "price", "dataType": ["number"]},
        {"name": "inPrint", "dataType": ["boolean"]},
        {"name": "published", "dataType": ["date"]},
        {"name": "tags", "dataType": ["text[]"]},
        {"name": "shop", "dataType": ["geoCoordinates"]},
    ]})
    books = [
        {"title": "The Vector Book", "code": "VB-1", "pages": 120, "price": 9.5, "inPrint": True,
         "published": "2020-01-01T00:00:00Z", "tags": ["db", "ml"],
         "shop": {"latitude": 52.37, "longitude": 4.89}},
        {"title": "Shards and Replicas", "code": "SR-2", "pages": 300, "price": 30.0,
         "inPrint": False, "published": "2022-06-01T00:00:00Z", "tags": ["db"],
         "shop": {"latitude": 48.85, "longitude": 2.35}},
        {"title": "Cooking with Vectors", "code": "CV-3", "pages": 80, "tags": ["food"]},
    ]
    objects = [{"class": "Book", "properties": b} for b in books]
    results = client.post("/v1/batch/objects", json={"objects": objects}).json()
    assert [r["result"]["status"] for r in results] == ["SUCCESS"] * 3


def matches(client: httpx.Client, where: dict) -> int:
    response = client.request("DELETE", "/v1/batch/objects", json={
        "match": {"class": "Book", "where": where}, "dryRun": True})
    assert response.status_code == 200, response.text
    return response.json()["results"]["matches"]


@pytest.mark.parametrize("where, expected", [
    ({"path": ["title"], "operator": "Equal", "valueText": "vector"}, 1),
    ({"path": ["title"], "operator": "Equal", "valueText": "the VECTOR"}, 1),
    ({"path": ["code"], "operator": "Equal", "valueText": "VB-1"}, 1),
    ({"path": ["code"], "operator": "Equal", "valueText": "vb-1"}, 0),
    ({"path": ["title"], "operator": "NotEqual", "valueText": "vector"}, 2),
    ({"path": ["title"], "operator": "Like", "valueText": "vect*"}, 2),
    ({"path": ["code"], "operator": "Like", "valueText": "?R-*"}, 1),
    ({"path": ["pages"], "operator": "GreaterThan", "valueInt": 100}, 2),
    ({"path": ["pages"], "operator": "GreaterThanEqual", "valueInt": 300}, 1),
    ({"path": ["price"], "operator": "LessThan", "valueNumber": 30}, 1),
    ({"path": ["price"], "operator": "LessThanEqual", "valueNumber": 30}, 2),
    ({"path": ["price"], "operator": "IsNull", "valueBoolean": True}, 1),
    ({"path": ["inPrint"], "operator": "Equal", "valueBoolean": False}, 1),
    ({"path": ["published"], "operator": "GreaterThan", "valueDate": "2021-01-01T00:00:00Z"}, 1),
    ({"path": ["tags"], "operator": "ContainsAny", "valueTextArray": ["ml", "food"]}, 2),
    ({"path": ["tags"], "operator": "ContainsAll", "valueTextArray": ["db", "ml"]}, 1),
    ({"path": ["tags"], "operator": "ContainsNone", "valueTextArray": ["db"]}, 1),
    ({"path": ["shop"], "operator": "WithinGeoRange", "valueGeoRange": {
        "geoCoordinates": {"latitude": 52.0, "longitude": 4.5}, "distance": {"max": 60000}}}, 1),
    ({"path": ["len(title)"], "operator": "GreaterThan", "valueInt": 15}, 2),
    ({"path": ["id"], "operator": "Like", "valueText": "*"}, 3),
    ({"path": ["_creationTimeUnix"], "operator": "GreaterThan",
      "valueDate": "2000-01-01T00:00:00Z"}, 3),
    ({"path": ["_lastUpdateTimeUnix"], "operator": "LessThan", "valueText": "946684800000"}, 0),
    ({"operator": "And", "operands": [
        {"path": ["pages"], "operator": "GreaterThan", "valueInt": 100},
        {"path": ["inPrint"], "operator": "Equal", "valueBoolean": True}]}, 1),
    ({"operator": "Or", "operands": [
        {"path": ["pages"], "operator": "LessThan", "valueInt": 100},
        {"path": ["price"], "operator": "GreaterThan", "valueNumber": 20}]}, 2),
    ({"operator": "Not", "operands": [
        {"path": ["pages"], "operator": "LessThan", "valueInt": 100}]}, 2),
])
def test_where_operators(client: httpx.Client, library: None, where: dict, expected: int) -> None:
    assert matches(client, where) == expected


@pytest.mark.parametrize("where, expected", [
    ({"path": ["pages"], "operator": "Equal", "valueText": "x"},
     'validate: invalid where filter: data type filter cannot use "valueText" on type "int", '
     'use "valueInt" instead'),
    ({"path": ["nope"], "operator": "Equal", "valueText": "x"},
     "validate: invalid where filter: no such prop with name 'nope' found in class 'Book' in "
     "the schema. Check your schema files for which properties in this class are available"),
    ({"path": ["pages"], "operator": "Equal"},
     "validate: failed to parse where filter: invalid where filter: got operator 'Equal', but "
     "no value<Type> field set"),
    ({"operator": "And", "operands": []},
     "validate: failed to parse where filter: invalid where filter: operator 'And', but no "
     "operands set - add at least one operand"),
])
def test_where_errors(client: httpx.Client, library: None, where: dict, expected: str) -> None:
    response = client.request("DELETE", "/v1/batch/objects",
                              json={"match": {"class": "Book", "where": where}})
    assert response.status_code == 422 and message(response) == expected


@pytest.mark.parametrize("where, expected", [
    ({"path": ["title"], "operator": "Equal"},
     "validate: failed to parse where filter: invalid where filter: got operator 'Equal', but "
     "no value<Type> field set"),
    ({"operator": "Or", "operands": [{"path": ["pages"], "operator": "Equal"}]},
     "validate: failed to parse where filter: invalid where filter: operand 0: invalid where "
     "filter: got operator 'Equal', but no value<Type> field set"),
    ({"operator": "And", "path": ["pages"], "operands": [
        {"path": ["pages"], "operator": "Equal", "valueInt": 1}]},
     "validate: failed to parse where filter: invalid where filter: operator 'And' not "
     "compatible with field 'path', remove 'path' or switch to compare operator (eg. Equal, "
     "NotEqual, etc.)"),
    ({"operator": "Equal", "valueInt": 1},
     "validate: failed to parse where filter: invalid where filter: field 'path': must have at "
     "least one element"),
    ({"path": ["shop"], "operator": "WithinGeoRange", "valueGeoRange": {
        "geoCoordinates": {"latitude": 1, "longitude": 2}}},
     "validate: failed to parse where filter: invalid where filter: valueGeoRange: field "
     "'distance' must be set"),
    ({"path": ["shop"], "operator": "WithinGeoRange", "valueGeoRange": {"distance": {"max": -1},
                                                                       "geoCoordinates": {}}},
     "validate: failed to parse where filter: invalid where filter: valueGeoRange: field "
     "'distance.max' must be a positive number"),
    ({"path": ["shop"], "operator": "WithinGeoRange", "valueGeoRange": {"distance": {"max": 1}}},
     "validate: failed to parse where filter: invalid where filter: valueGeoRange: field "
     "'geoCoordinates' must be set"),
    ({"operator": "And", "operands": [
        {"path": ["pages"], "operator": "Equal", "valueText": "x"},
        {"path": ["nope"], "operator": "Equal", "valueInt": 1}]},
     'validate: invalid where filter: child operand at position 0: data type filter cannot use '
     '"valueText" on type "int", use "valueInt" instead, child operand at position 1: no such '
     "prop with name 'nope' found in class 'Book' in the schema. Check your schema files for "
     "which properties in this class are available"),
    ({"path": ["price"], "operator": "IsNull", "valueInt": 1},
     "validate: invalid where filter: operator IsNull requires a booleanValue, got valueInt "
     "instead"),
    ({"path": ["len(title)"], "operator": "Equal", "valueText": "x"},
     'validate: invalid where filter: Filtering for property length requires IntValue, got '
     '"valueText" instead'),
    ({"path": ["_creationTimeUnix"], "operator": "Equal", "valueInt": 1},
     'validate: invalid where filter: using ["_creationTimeUnix"] to filter by timestamp: must '
     'use "valueText" or "valueDate"'),
])
def test_parse_and_validation_errors(client: httpx.Client, library: None, where: dict,
                                     expected: str) -> None:
    response = client.request("DELETE", "/v1/batch/objects",
                              json={"match": {"class": "Book", "where": where}})
    assert response.status_code == 422 and message(response) == expected


@pytest.fixture
def plain(client: httpx.Client) -> str:
    """A class with default inverted index settings and one unindexed property."""
    client.post("/v1/schema", json={"class": "Plain", "properties": [
        {"name": "title", "dataType": ["text"]}, {"name": "born", "dataType": ["date"]},
        {"name": "hidden", "dataType": ["int"], "indexFilterable": False}]})
    client.post("/v1/objects", json={"class": "Plain", "properties": {"title": "a"}})
    return client.get("/v1/schema/Plain/shards").json()[0]["name"]


SEARCH = "resolve doc ids for prop/value pair: "


@pytest.mark.parametrize("where, reason", [
    ({"path": ["title"], "operator": "IsNull", "valueBoolean": True},
     SEARCH + "Nullstate must be indexed to be filterable! Add `indexNullState: true` to the "
              "invertedIndexConfig"),
    ({"path": ["len(title)"], "operator": "GreaterThan", "valueInt": 1},
     SEARCH + "Property length must be indexed to be filterable! add `IndexPropertyLength: "
              "true` to the invertedIndexConfig in Plain.  Geo-coordinates, phone numbers and "
              "data blobs are not supported by property length."),
    ({"path": ["_creationTimeUnix"], "operator": "GreaterThan", "valueText": "1"},
     SEARCH + "Timestamps must be indexed to be filterable! Add `IndexTimestamps: true` to the "
              "InvertedIndexConfig in Plain"),
    ({"operator": "Not", "operands": [
        {"path": ["title"], "operator": "IsNull", "valueBoolean": False}]},
     SEARCH + "nested NOT query: Nullstate must be indexed to be filterable! Add "
              "`indexNullState: true` to the invertedIndexConfig"),
    ({"path": ["hidden"], "operator": "Equal", "valueInt": 1},
     "Filtering by property 'hidden' requires inverted index. Is `indexFilterable` option of "
     "property 'hidden' enabled? Set it to `true` or leave empty"),
    ({"operator": "Or", "operands": [
        {"path": ["title"], "operator": "Equal", "valueText": "a"},
        {"path": ["born"], "operator": "Equal", "valueDate": "2020-13-01T00:00:00Z"}]},
     "nested query: nested clause at pos 1: trying parse time as RFC3339 string: parsing time "
     '"2020-13-01T00:00:00Z": month out of range'),
    ({"path": ["_creationTimeUnix"], "operator": "Equal", "valueText": "soon"},
     "expected value to be timestamp, got 'soon'"),
])
def test_what_only_the_index_notices_is_a_500(client: httpx.Client, plain: str, where: dict,
                                              reason: str) -> None:
    response = client.request("DELETE", "/v1/batch/objects",
                              json={"match": {"class": "Plain", "where": where}, "dryRun": True})
    assert response.status_code == 500
    assert message(response) == ("batch delete objects: cannot find objects: find matching doc "
                                 f'ids in shard "{plain}": docIds: {reason}')


@pytest.mark.parametrize("body, reason", [
    ({"match": []}, "json: cannot unmarshal array into Go struct field BatchDelete.match of "
                    "type models.BatchDeleteMatch"),
    ({"match": {"class": "Book", "where": {"path": ["pages"], "operator": "Equal",
                                           "valueInt": "1"}}},
     "json: cannot unmarshal string into Go struct field WhereFilter.match.where.valueInt of "
     "type int64"),
    ({"match": {"class": "Book", "where": {"path": ["shop"], "operator": "WithinGeoRange",
                                           "valueGeoRange": "near"}}},
     "json: cannot unmarshal string into Go struct field WhereFilter.match.where.valueGeoRange "
     "of type models.WhereFilterGeoRange"),
    ({"dryRun": "yes"}, "json: cannot unmarshal string into Go struct field BatchDelete.dryRun "
                        "of type bool"),
])
def test_json_type_mismatches_are_400(client: httpx.Client, library: None, body: dict,
                                      reason: str) -> None:
    response = client.request("DELETE", "/v1/batch/objects", json=body)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": 'parsing body body from "" failed, '
                                                       f"because {reason}"}


def test_unknown_nested_operator_is_a_606(client: httpx.Client, library: None) -> None:
    response = client.request("DELETE", "/v1/batch/objects", json={"match": {
        "class": "Book", "where": {"operator": "And", "operands": [{"operator": "Near"}]}}})
    assert response.status_code == 422 and response.json()["code"] == 606
    assert response.json()["message"].startswith(
        "match.where.operands.0.operator in body should be one of [And Or")


def test_dry_run_and_verbose_output(client: httpx.Client, library: None) -> None:
    where = {"path": ["pages"], "operator": "GreaterThan", "valueInt": 0}
    dry = client.request("DELETE", "/v1/batch/objects", json={
        "match": {"class": "book", "where": where}, "dryRun": True, "output": "verbose"}).json()
    assert dry["match"]["class"] == "Book"
    assert dry["results"]["successful"] == 0 and dry["results"]["matches"] == 3
    assert {o["status"] for o in dry["results"]["objects"]} == {"DRYRUN"}
    real = client.request("DELETE", "/v1/batch/objects", json={
        "match": {"class": "Book", "where": where}, "deletionTimeUnixMilli": 1}).json()
    assert real["results"] == {"matches": 3, "limit": 10000, "successful": 3, "failed": 0,
                               "objects": None}
    assert real["deletionTimeUnixMilli"] == 1
    bad = client.request("DELETE", "/v1/batch/objects", json={
        "match": {"class": "Book", "where": where}, "output": "loud"})
    assert bad.status_code == 500


def test_deletion_is_capped_at_ten_thousand_per_call(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Big"})
    for _batch in range(5):
        client.post("/v1/batch/objects", json={"objects": [
            {"class": "Big", "id": str(uuid.uuid4())} for _ in range(2_050)]})
    everything = {"match": {"class": "Big", "where": {
        "path": ["id"], "operator": "Like", "valueText": "*"}}}
    first = client.request("DELETE", "/v1/batch/objects", json=everything).json()["results"]
    assert (first["matches"], first["successful"], first["limit"]) == (10_250, 10_000, 10_000)
    second = client.request("DELETE", "/v1/batch/objects", json=everything).json()["results"]
    assert (second["matches"], second["successful"]) == (250, 250)


def test_batch_item_shapes(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Shape", "properties": [
        {"name": "n", "dataType": ["int"]}]})
    oid = str(uuid.uuid4())
    results = client.post("/v1/batch/objects", json={"objects": [
        {"class": "shape", "id": oid, "properties": {"N": 1}},
        {"class": "", "properties": {}},
        {"class": "Shape", "id": oid, "properties": {"n": 2}},
    ], "fields": ["ALL"]}).json()
    assert results[0]["class"] == "Shape" and results[0]["properties"] == {"n": 1}
    assert results[1]["result"]["errors"]["error"][0]["message"] == "object has an empty class"
    assert results[2]["result"]["status"] == "SUCCESS"
    assert client.get(f"/v1/objects/Shape/{oid}").json()["properties"] == {"n": 2}
    bad_id = client.post("/v1/batch/objects", json={"objects": [{"class": "Shape", "id": "x"}]})
    assert bad_id.status_code == 422 and bad_id.json()["code"] == 601
