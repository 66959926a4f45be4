"""``python -m bench.listing_server COUNT``: a sandbox holding COUNT collections, seeded in
process, serving on a free port (printed on the first line of stdout) until killed.

Creating 10,000 collections through ``POST /v1/schema`` takes about 40 s here, most of it in
the sandbox's case-collision check, which compares each new name with every existing one
(faithful to Weaviate, quadratic in total). The names generated below are distinct even
ignoring case, so the seeding builds every class with the same code the POST handler uses
(``build_class``, ``Database.add``) and skips only that check: a second or two for 10,000.
"""

from __future__ import annotations

import sys
from typing import Any

from sandbox import Sandbox
from sandbox.classes import build_class

WORDS = ("Article", "Product", "Ticket", "Document", "Chunk", "Customer", "Order", "Invoice")


def classes(count: int) -> list[dict[str, Any]]:
    """``count`` collection bodies with the variety ``\\ls --verbose`` shows: descriptions on
    most, a multi-tenant one in ten, named vectors in one of seven, PQ in one of five."""
    out = []
    for i in range(count):
        body: dict[str, Any] = {
            "class": f"{WORDS[i % len(WORDS)]}{i:05d}",
            "properties": [{"name": "title", "dataType": ["text"]},
                           {"name": "rank", "dataType": ["int"]}]}
        if i % 3:
            body["description"] = f"{WORDS[i % len(WORDS)].lower()}s of team {i % 97}"
        if i % 10 == 0:
            body["multiTenancyConfig"] = {"enabled": True}
        if i % 7 == 0:
            body["vectorConfig"] = {
                "title_vector": {"vectorizer": {"none": {}}, "vectorIndexType": "hnsw"},
                "image_vector": {"vectorizer": {"none": {}}, "vectorIndexType": "flat"}}
        elif i % 5 == 0:
            body["vectorIndexConfig"] = {"pq": {"enabled": True}}
        out.append(body)
    return out


def seeded(count: int) -> Sandbox:
    """A sandbox (not yet serving) with ``count`` collections."""
    sandbox = Sandbox(seed="none")
    db = sandbox.app.db
    db.check_new_name = lambda name: None  # names are distinct by construction (see above)
    for body in classes(count):
        db.add(build_class(body, sandbox.app.node_count))
    del db.check_new_name
    return sandbox


def main(argv: list[str]) -> int:
    """Seed, print the port, serve until killed."""
    sandbox = seeded(int(argv[0]))
    print(sandbox.port, flush=True)
    sandbox.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
