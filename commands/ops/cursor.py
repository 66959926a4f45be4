"""Reading a collection by the ``after`` cursor (REST-BEHAVIOUR.md §7.3), a page at a time,
with a reader thread that keeps a few pages ahead of the consumer.

Shared by the logical backup (``commands.ops.backup.stream``), ``\\migrate`` and its verification.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import msgspec
import orjson

from commands.api.client import RestClient
from commands.errors import ApiError
from commands.ops.objects import plain_message

PAGE = 1000
# Objects per page of a scan without vectors (ids, timestamps, properties): bigger pages
# than PAGE cost both sides less per object, but a catch-up holds some eight of them at once
# (two scans, each reading ahead, a few hundred bytes of Python objects per id): at 5,000 a
# catch-up's peak was 8 MB above the copy's. Within QUERY_MAXIMUM_RESULTS's default of
# 10000; a server configured lower is read in pages of PAGE (REST-BEHAVIOUR.md §7.2, §7.3).
ID_PAGE = 2000
PREFETCH = 2
ID_PREFETCH = 1  # pages of ids read ahead: the consumer is the slower side of a catch-up
Page = tuple[list[Any], bytes]


NULL = msgspec.Raw(b"null")


class RawObject(msgspec.Struct, gc=False):
    """An object of a ``GET /v1/objects`` page with its JSON values kept as the server wrote
    them: copying vectors through without parsing and printing every float is most of what
    makes a migration's client cheap."""

    id: str
    properties: msgspec.Raw = NULL
    vector: msgspec.Raw = NULL
    vectors: msgspec.Raw = NULL


class RawPage(msgspec.Struct):
    """A ``GET /v1/objects`` answer whose objects keep their values unparsed."""

    objects: list[RawObject] | None = None


RAW_PAGE = msgspec.json.Decoder(RawPage)


class Stamp(msgspec.Struct, gc=False):
    """An object of a scan without vectors as a rescan needs it: its id and when it was
    last written. Nothing of it points into the response body, which is freed once decoded
    (a page of 2,000 is about 0.36 MB on the wire)."""

    id: str
    creationTimeUnix: int | None = None  # noqa: N815 - Weaviate's field names
    lastUpdateTimeUnix: int | None = None  # noqa: N815

    @property
    def updated(self) -> int:
        """When the object was last written (ms since the epoch, the server's clock)."""
        return self.lastUpdateTimeUnix or self.creationTimeUnix or 0


class PropertyStamp(Stamp, gc=False):
    """A ``Stamp`` with its properties unparsed (which keeps its page's body alive). Pages
    of 5,000 objects as dicts held some 5 MB each, and a catch-up reads two such streams
    ahead (source and target): +55 MB."""

    properties: msgspec.Raw = NULL


class StampPage(msgspec.Struct):
    """A ``GET /v1/objects`` answer read as ``Stamp``s."""

    objects: list[Stamp] | None = None


class PropertyStampPage(msgspec.Struct):
    """A ``GET /v1/objects`` answer read as ``PropertyStamp``s."""

    objects: list[PropertyStamp] | None = None


STAMP_PAGE = msgspec.json.Decoder(StampPage)
PROPERTY_STAMP_PAGE = msgspec.json.Decoder(PropertyStampPage)


def pages(api: RestClient, collection: str, tenant: str | None, after: str | None, *,
          size: int = PAGE, vectors: bool = True,
          decoder: msgspec.json.Decoder[Any] | None = None) -> Iterator[Page]:
    """Cursor pages of ``collection`` (one tenant) after ``after``, with vectors unless
    ``vectors`` is False: the objects (dicts, or what ``decoder``, ``RAW_PAGE``,
    ``STAMP_PAGE`` or ``PROPERTY_STAMP_PAGE``, makes of them) and the response body."""
    while True:
        params: dict[str, Any] = {"class": collection, "limit": size, "after": after or ""}
        if vectors:
            params["include"] = "vector"
        if tenant is not None:
            params["tenant"] = tenant
        try:
            response = api.request("GET", "/v1/objects", params=params)
        except ApiError as exc:
            if exc.status == 422 and size > PAGE and "QUERY_MAXIMUM_RESULTS" in exc.message:
                size = PAGE
                continue
            raise ApiError(exc.status, exc.method, exc.path, plain_message(exc.message),
                           exc.hint) from None
        objects: list[Any]
        if decoder is not None:
            objects = decoder.decode(response.content).objects or []
            last = objects[-1].id if objects else None
        else:
            objects = orjson.loads(response.content).get("objects") or []
            last = objects[-1]["id"] if objects else None
        if objects:
            yield objects, response.content
        if len(objects) < size:
            return
        after = last


def prefetch(source: Iterator[Any], ahead: int = PREFETCH) -> Iterator[Any]:
    """``source`` read by a thread up to ``ahead`` items ahead; its errors re-raised here."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in source:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, who raises it
            put(("error", exc))

    threading.Thread(target=work, daemon=True, name="cursor-reader").start()
    try:
        while True:
            try:
                what, value = box.get(timeout=0.5)
            except queue.Empty:
                continue
            if what == "end":
                return
            if what == "error":
                raise value
            yield value
    finally:
        stop.set()


def id_pages(api: RestClient, collection: str, tenant: str | None) -> Iterator[list[str]]:
    """The ids of one partition in ascending order, a page at a time (read without
    vectors, ahead of the consumer)."""
    for objects, _ in prefetch(pages(api, collection, tenant, None, size=ID_PAGE,
                                     vectors=False, decoder=STAMP_PAGE), ID_PREFETCH):
        yield [obj.id for obj in objects]
