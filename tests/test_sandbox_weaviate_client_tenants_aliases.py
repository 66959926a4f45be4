"""The official client (``weaviate-client`` v4) against the sandbox for tenants and aliases,
beyond ``test_sandbox_weaviate_client.py``: bulk tenant writes in the client's own batches,
status changes (offload without the module), the errors Weaviate answers, and every alias
call with its failure cases. Plus the raw answers the client reads them from.

``collection.tenants.get()`` is gRPC on servers >= 1.25, so tenant lists are read here with
``get_by_name``/``exists`` (REST on >= 1.28) and over HTTP.
"""

from __future__ import annotations

import httpx
import pytest
from test_sandbox_weaviate_client import connect, dead_grpc_port, status_of, wv

weaviate = pytest.importorskip("weaviate")

from weaviate import WeaviateClient  # noqa: E402
from weaviate.classes.config import Configure, DataType, Property  # noqa: E402
from weaviate.classes.tenants import Tenant, TenantActivityStatus  # noqa: E402
from weaviate.exceptions import UnexpectedStatusCodeError, WeaviateBaseError  # noqa: E402

__all__ = ["connect", "dead_grpc_port", "wv"]  # fixtures, imported for pytest
TENANTS = "/v1/schema/Doc/tenants"


def statuses(client: httpx.Client) -> dict[str, str]:
    return {t["name"]: t["activityStatus"] for t in client.get(TENANTS).json()}


def make_docs(wv: WeaviateClient):  # noqa: ANN201 - the client's Collection type
    return wv.collections.create("Doc", multi_tenancy_config=Configure.multi_tenancy(
        enabled=True), properties=[Property(name="body", data_type=DataType.TEXT)])


def test_bulk_tenants_in_the_client_s_batches(wv: WeaviateClient, client: httpx.Client) -> None:
    docs = make_docs(wv)
    client.delete("/__sandbox/requests")
    docs.tenants.create([Tenant(name=f"t{i:03}") for i in range(250)])
    assert len(statuses(client)) == 250
    # the client cuts updates into PUTs of 100, Weaviate's limit per request
    docs.tenants.update([Tenant(name=f"t{i:03}", activity_status=TenantActivityStatus.INACTIVE)
                         for i in range(250)])
    puts = [e for e in client.get("/__sandbox/requests").json() if e["method"] == "PUT"]
    assert len(puts) == 3
    assert set(statuses(client).values()) == {"COLD"}
    inactive = docs.tenants.get_by_name("t249")
    assert inactive is not None and inactive.activity_status == TenantActivityStatus.INACTIVE
    docs.tenants.activate("t000")
    assert docs.tenants.get_by_name("t000").activity_status == TenantActivityStatus.ACTIVE
    docs.tenants.deactivate(["t000"])
    assert statuses(client)["t000"] == "COLD"
    docs.tenants.remove([f"t{i:03}" for i in range(200)])
    assert len(statuses(client)) == 50 and not docs.tenants.exists("t199")
    docs.tenants.remove(["t200", "never-there"])  # unknown names are ignored
    assert len(statuses(client)) == 49


def test_offload_without_the_module(wv: WeaviateClient, client: httpx.Client) -> None:
    docs = make_docs(wv)
    docs.tenants.create(Tenant(name="acme"))
    with pytest.raises(UnexpectedStatusCodeError) as refused:
        docs.tenants.offload("acme")
    assert status_of(refused) == 422
    assert "can't offload tenants, because offload-s3 module is not enabled" in str(refused.value)
    assert statuses(client) == {"acme": "HOT"}


def test_tenant_errors_weaviate_answers(wv: WeaviateClient, client: httpx.Client) -> None:
    docs = make_docs(wv)
    with pytest.raises(UnexpectedStatusCodeError) as bad_name:
        docs.tenants.create(Tenant(name="a b"))
    assert status_of(bad_name) == 422 and "is not a valid tenant name" in str(bad_name.value)
    with pytest.raises(UnexpectedStatusCodeError) as twice:
        docs.tenants.create([Tenant(name="x"), Tenant(name="x")])
    assert "tenant name x existed multiple times" in str(twice.value)
    with pytest.raises(UnexpectedStatusCodeError) as unknown:
        docs.tenants.update(Tenant(name="ghost", activity_status=TenantActivityStatus.ACTIVE))
    assert status_of(unknown) == 422
    # the raw rules: every status PUT must name one, several bad ones are listed together
    empty = client.put(TENANTS, json=[{"name": "x"}, {"name": "y", "activityStatus": "FREEZING"}])
    assert empty.status_code == 422
    assert empty.json()["error"][0]["message"] == (
        "invalid activity status '' for tenant \"x\", invalid activity status 'FREEZING' for "
        "tenant \"y\"")
    # names and statuses are checked before the class is looked up
    no_class = client.post("/v1/schema/Nothing/tenants", json=[{"name": "a b"}])
    assert "is not a valid tenant name" in no_class.json()["error"][0]["message"]


def test_every_alias_call(wv: WeaviateClient, client: httpx.Client) -> None:
    for name in ("Article", "Book"):
        wv.collections.create(name)
    assert wv.alias.create(alias_name="current", target_collection="Article") is None
    assert wv.alias.get(alias_name="Current").collection == "Article"
    wv.alias.create(alias_name="Shelf", target_collection="Book")
    assert {a: v.collection for a, v in wv.alias.list_all().items()} == {
        "Current": "Article", "Shelf": "Book"}
    assert set(wv.alias.list_all(collection="Book")) == {"Shelf"}
    assert set(wv.alias.list_all(collection="Nothing")) == set()
    with pytest.raises(UnexpectedStatusCodeError) as exists:
        wv.alias.create(alias_name="CURRENT", target_collection="Book")  # names fold case
    assert status_of(exists) == 422
    assert "validation: updating schema: TYPE_CREATE_ALIAS: create alias: CURRENT, alias " \
           "already exists" in str(exists.value)
    # not a validation error in Weaviate (cluster/schema/schema.go createAlias): a 500
    with pytest.raises(UnexpectedStatusCodeError) as clash:
        wv.alias.create(alias_name="Book", target_collection="Article")
    assert status_of(clash) == 500 and "create alias: class Book already exists" in str(
        clash.value)
    bad = client.post("/v1/aliases", json={"alias": "a b", "class": "Nothing"})
    assert bad.status_code == 422
    assert bad.json() == {"error": [{"message": "validation: 'A b' is not a valid alias name"}]}
    with pytest.raises(WeaviateBaseError) as missing:
        wv.alias.create(alias_name="Other", target_collection="Nothing")
    assert 'target class "Nothing" does not exist' in str(missing.value)
    assert wv.alias.update(alias_name="Nobody", new_target_collection="Book") is False
    with pytest.raises(WeaviateBaseError):
        wv.alias.update(alias_name="Current", new_target_collection="Nothing")
    assert wv.alias.update(alias_name="Current", new_target_collection="Book") is True
    assert client.get("/v1/aliases/Current").json() == {"alias": "Current", "class": "Book"}
    assert wv.alias.delete(alias_name="Shelf") is True
    gone = client.delete("/v1/aliases/Shelf")
    assert gone.status_code == 404 and gone.content == b""
    assert set(wv.alias.list_all()) == {"Current"}


def test_tenant_writes_name_the_class_itself(wv: WeaviateClient, client: httpx.Client) -> None:
    """Reads resolve an alias, writes do not (namespacing.Resolve vs QualifyClass), and write
    errors carry the RAFT apply's wrapper."""
    docs = make_docs(wv)
    docs.tenants.create(Tenant(name="acme"))
    wv.alias.create(alias_name="Papers", target_collection="Doc")
    papers = wv.collections.use("Papers")
    assert papers.tenants.exists("acme")  # a read follows the alias
    with pytest.raises(UnexpectedStatusCodeError) as through_alias:
        papers.tenants.create(Tenant(name="globex"))
    assert status_of(through_alias) == 422
    assert "updating schema: TYPE_ADD_TENANT: class not found" in str(through_alias.value)
    wv.collections.create("Plain")
    plain = client.put("/v1/schema/Plain/tenants", json=[{"name": "a", "activityStatus": "HOT"}])
    assert plain.json()["error"][0]["message"] == (
        'updating schema: TYPE_UPDATE_TENANT: multi-tenancy is not enabled for class "Plain"')
    empty = client.request("DELETE", "/v1/schema/Nothing/tenants", json=[""])
    assert empty.json()["error"][0]["message"] == "empty tenant name at index 0"


def test_a_status_update_with_unknown_tenants_updates_the_others(wv: WeaviateClient,
                                                                client: httpx.Client) -> None:
    docs = make_docs(wv)
    docs.tenants.create([Tenant(name="acme"), Tenant(name="globex")])
    with pytest.raises(UnexpectedStatusCodeError) as partial:
        docs.tenants.update([
            Tenant(name="acme", activity_status=TenantActivityStatus.INACTIVE),
            Tenant(name="ghost", activity_status=TenantActivityStatus.INACTIVE),
            Tenant(name="spook", activity_status=TenantActivityStatus.INACTIVE)])
    assert status_of(partial) == 422
    assert "updating schema: TYPE_UPDATE_TENANT: shard not found: ghost; shard not found: " \
           "spook" in str(partial.value)
    assert statuses(client) == {"acme": "COLD", "globex": "HOT"}
