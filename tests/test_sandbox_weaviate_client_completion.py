"""The completion cache against the official client (``weaviate-client`` v4) on the sandbox:
collections the client creates (every property type, nested objects, references, named
vectors, multi-tenancy) read back by the client (``collections.list_all``: REST
``GET /v1/schema``) and by the shell's refresher (the same request, read in chunks into the
compact cache) must name the same collections, properties, data types and multi-tenant
collections; tenants the client creates (REST ``POST``) are the ones completion loads.
"""

from __future__ import annotations

import pytest
from test_sandbox_weaviate_client import connect, dead_grpc_port, wv

weaviate = pytest.importorskip("weaviate")

from weaviate import WeaviateClient  # noqa: E402
from weaviate.classes.config import (  # noqa: E402
    Configure,
    DataType,
    Property,
    ReferenceProperty,
)
from weaviate.classes.tenants import Tenant, TenantActivityStatus  # noqa: E402

from commands.api.client import RestClient  # noqa: E402
from completers.metadata import MetadataCache  # noqa: E402
from completers.refresher import MetadataRefresher  # noqa: E402
from sandbox import Sandbox  # noqa: E402

__all__ = ["connect", "dead_grpc_port", "wv"]  # fixtures, imported for pytest

TYPES = (DataType.TEXT, DataType.TEXT_ARRAY, DataType.INT, DataType.NUMBER_ARRAY,
         DataType.BOOL, DataType.DATE, DataType.UUID, DataType.GEO_COORDINATES,
         DataType.PHONE_NUMBER, DataType.BLOB)


def _cache(sandbox: Sandbox) -> tuple[MetadataCache, MetadataRefresher]:
    cache = MetadataCache()
    refresher = MetadataRefresher(cache, lambda: RestClient(sandbox.url, retries=0))
    refresher.refresh()
    assert refresher.wait(10)
    return cache, refresher


def test_the_cache_names_what_the_client_reads(wv: WeaviateClient, sandbox: Sandbox) -> None:
    for i in range(30):
        wv.collections.create(f"Team{i:02d}", description="not kept by completion",
                              properties=[Property(name=f"{t.value.replace('[]', 's')}{i}",
                                                   data_type=t) for t in TYPES])
    wv.collections.create("Author", properties=[
        Property(name="name", data_type=DataType.TEXT),
        Property(name="address", data_type=DataType.OBJECT, nested_properties=[
            Property(name="city", data_type=DataType.TEXT)])])
    wv.collections.create(
        "Book", properties=[Property(name="title", data_type=DataType.TEXT)],
        references=[ReferenceProperty(name="writtenBy", target_collection="Author")],
        vector_config=[Configure.Vectors.self_provided(name="title_vector"),
                       Configure.Vectors.self_provided(name="cover_vector")],
        multi_tenancy_config=Configure.multi_tenancy(enabled=True))

    cache, _ = _cache(sandbox)
    snapshot = cache.snapshot
    configs = wv.collections.list_all(simple=False)
    assert snapshot.collections == tuple(sorted(configs)) and len(configs) == 32
    for name, config in configs.items():
        expected = {p.name: p.data_type.value for p in config.properties}
        expected |= {r.name: "|".join(r.target_collections) for r in config.references}
        assert dict(snapshot.properties[name]) == expected, name
    assert snapshot.multi_tenant == {n for n, c in configs.items()
                                     if c.multi_tenancy_config.enabled} == {"Book"}
    assert list(snapshot.properties["Book"]) == ["title", "writtenBy"]  # schema order
    assert snapshot.properties["Author"]["address"] == "object"  # top level only


def test_completion_loads_the_tenants_the_client_created(wv: WeaviateClient,
                                                        sandbox: Sandbox) -> None:
    docs = wv.collections.create("Doc", multi_tenancy_config=Configure.multi_tenancy(
        enabled=True))
    docs.tenants.create([Tenant(name=f"customer-{i:03d}") for i in range(150)]
                        + [Tenant(name="archived", activity_status=TenantActivityStatus.INACTIVE)])
    cache, refresher = _cache(sandbox)
    assert refresher.load_tenants("Doc").wait(10)
    tenants = cache.snapshot.tenants["Doc"]
    assert len(tenants) == 151 and all(docs.tenants.exists(name) for name in list(tenants)[::25])
    archived = docs.tenants.get_by_name("archived")
    assert archived is not None and archived.activity_status == TenantActivityStatus.INACTIVE
    assert tenants["archived"] == "INACTIVE" and tenants["customer-007"] == "ACTIVE"  # \tenants
