"""``\\backup --format parquet``: Parquet chunks that pyarrow (and pandas, when installed)
reads, restored to identical objects (named vectors, tenants, an incremental chain, a
resumed run), checked by ``\\backup verify``; and without pyarrow, one usage line and
nothing written. The demo sandbox is shared: restores go to new collections (``--as``)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import make_session
from test_commands_backup_support import REGISTRY, Recorder, lines, live, record
from test_commands_restore import make_article, post_objects, schema
from test_commands_restore_support import comparable, read_state, run, tenants_of

from commands.errors import UsageError
from commands.ops.backup import parquet
from commands.ops.backup import stream as backup_stream
from commands.ops.backup.format import BackupError, Manifest, manifest_sha256
from commands.parse import bind
from commands.results import Table
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
NEEDS_PYARROW = "Parquet needs pyarrow: pip install 'elysiactl[parquet]'"
# Hides pyarrow from a subprocess, as an environment without the extra.
HIDE_PYARROW = """\
import sys
class _NoPyarrow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pyarrow":
            raise ImportError("No module named 'pyarrow'")
sys.meta_path.insert(0, _NoPyarrow())
"""


def digest(state: dict) -> str:
    """One hash of ids, properties and vectors (named ones too), per tenant."""
    items = sorted(comparable(state).items(), key=str)
    return hashlib.sha256(orjson.dumps(items, option=orjson.OPT_SORT_KEYS)).hexdigest()


def objects_files(path: Path) -> list[Path]:
    manifest = Manifest.load(path)
    return [path.parent / c.file for c in manifest.chunks if c.kind == "objects"]


@pytest.mark.parametrize(("name", "codec"), [("Article", "zstd"), ("Product", "none"),
                                             ("SupportTicket", "gzip")])
def test_parquet_backup_restores_identical_objects(demo: Sandbox, tmp_path: Path, name: str,
                                                   codec: str) -> None:
    session = make_session(demo.url)
    http = httpx.Client(base_url=demo.url, timeout=30)
    active = [t for t, s in tenants_of(http, name).items() if s == "HOT"] \
        if name == "SupportTicket" else None
    before = read_state(http, name, active)
    fields = record(run(session, rf"\backup {name} --output {tmp_path} --format parquet "
                                 f"--compress={codec}"))
    assert (fields["file_format"], fields["codec"]) == ("parquet", codec)
    manifest = Manifest.load(Path(fields["path"]))
    assert manifest.file_format == "parquet"
    assert all(c.file.endswith(f".{c.kind}.parquet") for c in manifest.chunks)
    run(session, rf"\restore {tmp_path / name}.json --as {name}Pq")
    after = read_state(http, f"{name}Pq", active)
    assert len(after) == len(before) > 0
    assert digest(after) == digest(before)
    if name == "Product":  # two named vectors, each its own float32 column
        assert all(set(line["vectors"]) == {"title_vector", "image_vector"}
                   for line in after.values())


def test_the_chunks_read_with_pyarrow_as_typed_columns(demo: Sandbox, tmp_path: Path) -> None:
    session = make_session(demo.url)
    path = Path(record(run(session, rf"\backup Article --output {tmp_path} "
                                    "--file-format parquet"))["path"])
    table = pq.read_table(objects_files(path))
    server = live(demo.url, "Article")
    assert table.num_rows == len(server) == 250
    assert table.schema.field("vector").type == pa.list_(pa.float32())
    properties = table.schema.field("properties").type
    assert properties.field("wordCount").type == pa.int64()
    assert properties.field("rating").type == pa.float64()
    assert properties.field("tags").type == pa.list_(pa.string())
    assert properties.field("location").type == pa.string()  # geoCoordinates: JSON
    row = table.slice(0, 1).to_pylist()[0]
    obj = server[row["id"]]
    assert row["vector"] == pytest.approx(obj["vector"], rel=1e-7)
    assert row["properties"]["wordCount"] == obj["properties"]["wordCount"]
    assert orjson.loads(row["properties"]["location"]) == obj["properties"]["location"]
    assert row["lastUpdateTimeUnix"] == obj["lastUpdateTimeUnix"]
    run(session, rf"\backup Product --output {tmp_path} --compress")
    listed, = run(session, rf"\backups {tmp_path}")
    assert [(r["collection"], r["format"]) for r in listed.to_data()] == [
        ("Article", "parquet"), ("Product", "jsonl")]
    product = Path(record(run(session, rf"\backup Product --output {tmp_path} "
                                       "--format parquet"))["path"])
    vectors = pq.read_table(objects_files(product)).schema.field("vectors").type
    assert {vectors.field(i).name: vectors.field(i).type for i in range(vectors.num_fields)} \
        == dict.fromkeys(("image_vector", "title_vector"), pa.list_(pa.float32()))
    if importlib.util.find_spec("pandas"):  # not a dependency: checked where installed
        import pandas

        frame = pandas.read_parquet(objects_files(path)[0])
        assert len(frame) == 250 and set(frame["id"]) == set(server)


def test_verify_checks_a_parquet_backup_and_names_a_broken_chunk(demo: Sandbox,
                                                                 tmp_path: Path) -> None:
    session = make_session(demo.url)
    path = Path(record(run(session, rf"\backup SupportTicket --output {tmp_path} "
                                    "--format parquet"))["path"])
    out = run(session, rf"\backup verify {path}")
    table = next(r for r in out if isinstance(r, Table))
    assert [row[0] for row in table.rows] == ["objects chunk", "index chunk"] * 2 + ["counts"]
    assert all(row[2].startswith("ok") for row in table.rows)
    assert Manifest.load(path).verified is not None
    # a chunk rewritten with garbage and re-signed in the manifest: refused, file named
    manifest_data = orjson.loads(path.read_bytes())
    chunk = manifest_data["chunks"][0]
    garbage = b"PAR1 not really parquet PAR1"
    (tmp_path / chunk["file"]).write_bytes(garbage)
    chunk.update(bytes=len(garbage), sha256=hashlib.sha256(garbage).hexdigest())
    manifest_data["sha256"] = manifest_sha256(manifest_data)
    path.write_bytes(orjson.dumps(manifest_data))
    with pytest.raises(BackupError, match=rf"{chunk['file']}: cannot be decoded"):
        run(session, rf"\backup verify {path}")
    with pytest.raises(BackupError, match=rf"{chunk['file']}: cannot be decoded"):
        run(session, rf"\restore {path} --as TicketBroken")
    assert "TicketBroken" not in str(httpx.get(f"{demo.url}/v1/schema").json())


def test_incremental_chain_and_resume_in_parquet(sandbox: Sandbox, client: httpx.Client,
                                                 tmp_path: Path, monkeypatch) -> None:
    """A full Parquet backup interrupted and resumed, then an incremental one on it with a
    change and a deletion: the chain restores to the collection as it was last."""
    monkeypatch.setattr(backup_stream, "PAGE", 7)
    monkeypatch.setattr(backup_stream, "CHUNK", 20)
    make_article(client, n=60)
    session = make_session(sandbox.url)
    line = rf"\backup Article --output {tmp_path} --format parquet"
    session.progress = Recorder(stop_after=30, error=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run(session, line)
    assert Manifest.load(next(tmp_path.glob("*.json.partial"))).file_format == "parquet"
    session.progress = None
    resumed = run(session, line)
    assert "resumed the interrupted backup" in resumed[0].text
    full = Path(record(resumed)["path"])
    assert [line["id"] for line in lines(full)] == sorted(live(sandbox.url, "Article"))
    first, *_, last = sorted(live(sandbox.url, "Article").values(), key=lambda o: o["id"])
    client.delete(f"/v1/objects/Article/{first['id']}").raise_for_status()
    post_objects(client, [{"class": "Article", "id": last["id"], "vector": last["vector"],
                           "properties": {"title": "changed", "count": -1}}])
    fields = record(run(session, rf"\backup Article --output {tmp_path} --format parquet "
                                 "--incremental"))
    assert (fields["objects"], fields["deleted"]) == (1, 1)
    before, definition = read_state(client, "Article"), schema(client, "Article")
    client.delete("/v1/schema/Article").raise_for_status()
    run(session, rf"\restore {fields['path']}")
    assert comparable(read_state(client, "Article")) == comparable(before)
    assert schema(client, "Article") == definition


def test_parquet_format_is_the_file_format_option_not_an_output_format() -> None:
    spec = REGISTRY.find("backup")
    inv = bind(spec, ["Article", "--format", "parquet", "--format", "json"])
    assert (inv.arguments["file_format"], inv.format) == ("parquet", "json")
    with pytest.raises(UsageError, match="'xml' is not one of table, json, yaml"):
        bind(spec, ["Article", "--format", "xml"])


def elysiactl_without_pyarrow(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    hide = tmp_path / "hide"
    hide.mkdir(exist_ok=True)
    (hide / "sitecustomize.py").write_text(HIDE_PYARROW)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(hide), str(ROOT)))}
    return subprocess.run([sys.executable, "-m", "shell", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_without_pyarrow_one_usage_line_and_nothing_written(demo: Sandbox, tmp_path: Path,
                                                            monkeypatch) -> None:
    out = tmp_path / "backup"
    result = elysiactl_without_pyarrow(
        tmp_path, "--url", demo.url, "-c", rf"\backup Article --format parquet --output {out}")
    assert result.returncode == 2, result.stderr
    assert NEEDS_PYARROW in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
    # a Parquet backup made where pyarrow is installed: the restore says the same, in-process
    session = make_session(demo.url)
    path = record(run(session, rf"\backup Product --output {out} --format parquet"))["path"]
    for module in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails as when not installed
    with pytest.raises(UsageError, match=re.escape(NEEDS_PYARROW)):
        run(session, rf"\restore {path} --as ProductNoArrow")
    assert "ProductNoArrow" not in str(httpx.get(f"{demo.url}/v1/schema").json())


def test_what_the_sandbox_cannot_hold_round_trips_through_a_chunk() -> None:
    """Chunks written as ``\\backup`` writes them (the window's JSON lines) and read back:
    a multi-vector, a property the class does not declare, a value its declared type does
    not describe (the chunk keeps properties as JSON then) and a class without properties."""
    cls = {"class": "Doc", "properties": [{"name": "n", "dataType": ["int"]},
                                          {"name": "refs", "dataType": ["Other"]}],
           "vectorConfig": {"colbert": {"vectorIndexConfig": {"multivector": {"enabled": True}}}}}
    first = {"id": "a", "creationTimeUnix": 1, "lastUpdateTimeUnix": 2,
             "properties": {"n": 3, "refs": [{"beacon": "weaviate://localhost/Other/x"}],
                            "undeclared": {"k": [1, 2]}},
             "vectors": {"colbert": [[1.0, 2.5], [0.5, -0.25]]}}
    odd = {"id": "b", "properties": {"n": "three"}, "vector": [0.5, 0.25]}
    for objects, kind in (([first], pa.list_(pa.list_(pa.float32()))), ([first, odd], None)):
        data = parquet.encode("objects", [orjson.dumps({"objects": [o]}) for o in objects],
                              "zstd", cls)
        assert list(parquet.decode(data, "objects")) == objects
        if kind is not None:
            schema = pq.read_schema(pa.BufferReader(data))
            assert schema.field("vectors").type.field("colbert").type == kind
            assert schema.field("properties").type.field("n").type == pa.int64()
    bare = [{"id": "c", "properties": {}, "tenant": "t1"}]
    data = parquet.encode("objects", [orjson.dumps({"objects": bare})], "none", {"class": "E"})
    assert list(parquet.decode(data, "objects")) == bare
    with pytest.raises(ValueError, match="not an elysiactl index chunk"):
        parquet.row_count(data, "index")
