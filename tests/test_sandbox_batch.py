"""Batch import and delete-by-filter: results, where operators and the deletion cap (§8)."""

from __future__ import annotations

import uuid

import httpx
import pytest


def message(response: httpx.Response) -> str:
    return response.json()["error"][0]["message"]


@pytest.fixture
def library(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Book", "properties": [
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
