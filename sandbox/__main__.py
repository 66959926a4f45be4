"""``python -m sandbox``: run the Weaviate emulator in the foreground."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sandbox.server import Sandbox


def _keys(values: list[str]) -> dict[str, str]:
    """``KEY`` or ``KEY=USER``; a bare key's user is named after the key's position."""
    keys = {}
    for i, value in enumerate(values):
        key, _, user = value.partition("=")
        keys[key] = user or f"user{i + 1}"
    return keys


def build_parser() -> argparse.ArgumentParser:
    """Command-line flags of the sandbox."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Emulate Weaviate's REST API (no vector search, no modules, no gRPC).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_port, default=8080, help="port (0 picks a free one)")
    parser.add_argument("--seed", choices=("demo", "none"), default="demo",
                        help="start with the demo collections or empty (default: demo)")
    parser.add_argument("--api-key", action="append", default=[], metavar="KEY[=USER]",
                        help="require this API key (repeatable); without any, access is "
                             "anonymous")
    parser.add_argument("--read-only-key", action="append", default=[], metavar="KEY[=USER]",
                        help="an API key whose user may only read (admin list)")
    parser.add_argument("--rbac", action="store_true",
                        help="enforce role-based access control, as "
                             "AUTHORIZATION_RBAC_ENABLED=true does (needs --api-key)")
    parser.add_argument("--root-user", action="append", default=[], metavar="USER",
                        help="a user with the built-in root role (repeatable), as "
                             "AUTHORIZATION_RBAC_ROOT_USERS does")
    parser.add_argument("--db-users", action="store_true",
                        help="manage database users through /v1/users/db, as "
                             "AUTHENTICATION_DB_USERS_ENABLED=true does (needs --api-key)")
    parser.add_argument("--nodes", type=int, default=1, help="simulated cluster nodes")
    parser.add_argument("--backup-dir", type=Path, default=None,
                        help="where filesystem backups go (default: a temporary directory)")
    parser.add_argument("--export", action="store_true",
                        help="serve the export API (/v1/export), as EXPORT_ENABLED=true does")
    parser.add_argument("--export-dir", type=Path, default=None,
                        help="where exports go, as EXPORT_DEFAULT_PATH (default: a temporary "
                             "directory)")
    parser.add_argument("--metrics", action="store_true",
                        help="serve each node's Prometheus metrics on a port of its own, as "
                             "PROMETHEUS_MONITORING_ENABLED=true does")
    parser.add_argument("--no-auto-schema", dest="auto_schema", action="store_false",
                        help="refuse objects of unknown classes or with unknown properties, as "
                             "AUTOSCHEMA_ENABLED=false does")
    parser.add_argument("--no-replica-movement", dest="replica_movement", action="store_false",
                        help="answer /v1/replication/* with 501, as a server without "
                             "REPLICA_MOVEMENT_ENABLED=true does")
    parser.add_argument("--runtime-reindex", action="store_true",
                        help="accept runtime reindex requests (PUT/POST .../index/...), as "
                             "RUNTIME_REINDEX_ENABLED=true does")
    return parser


def _port(value: str) -> int:
    """A TCP port, 0 to 65535 (argparse shows the ``ArgumentTypeError`` as a usage error)."""
    if not value.isascii() or not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (0 to 65535)")
    return int(value)


def main(argv: list[str] | None = None) -> int:
    """Run until Ctrl-C."""
    args = build_parser().parse_args(argv)
    if args.nodes < 1:
        print("error: --nodes must be at least 1", file=sys.stderr)
        return 2
    read_only = _keys(args.read_only_key)
    try:
        sandbox = Sandbox(port=args.port, host=args.host, seed=args.seed,
                          api_keys={**_keys(args.api_key), **read_only},
                          read_only_users=set(read_only.values()), nodes=args.nodes,
                          backup_dir=args.backup_dir, auto_schema=args.auto_schema,
                          metrics=args.metrics, replica_movement=args.replica_movement,
                          rbac=args.rbac, root_users=args.root_user, db_users=args.db_users,
                          runtime_reindex=args.runtime_reindex, export=args.export,
                          export_dir=args.export_dir)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}. "
              "Try another --port (0 picks a free one).", file=sys.stderr)
        return 1
    print(f"Weaviate sandbox (an emulator, not a real Weaviate) listening on {sandbox.url} "
          f"with {args.nodes} node(s), seed {args.seed!r}. Ctrl-C stops it.", file=sys.stderr)
    if args.rbac:
        print(f"  RBAC on; root users: {', '.join(args.root_user) or 'none'}", file=sys.stderr)
    if args.db_users:
        print("  db users on: POST /v1/users/db/{user_id} creates a user and its API key",
              file=sys.stderr)
    for node, url in sandbox.metrics_urls.items():
        print(f"  {node} metrics: {url}", file=sys.stderr)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
