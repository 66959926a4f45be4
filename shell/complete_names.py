"""``elysiactl __complete collections|profiles [FLAGS...]``: names for the completion scripts.

A hidden command that the scripts of shell.completion_scripts run on a Tab: the collections
of the cluster that FLAGS (elysiactl's own: ``--url``, ``--profile``, ``--api-key``,
``--header``, ``--insecure``) name, or the profiles of the config file. A Tab must stay fast
and quiet: the cluster gets TIMEOUT_S to answer, the system keyring is never asked (it may
prompt), and any failure prints nothing. urllib, not httpx: one GET does not need a client
that costs more to import than the request takes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import ssl
import sys
import urllib.request
from collections.abc import Mapping

from shell.cli import build_parser, headers
from shell.config import Settings, load_settings, resolve

TIMEOUT_S = 1.0
SOURCES = ("collections", "profiles")


def collection_names(flags: list[str], settings: Settings, env: Mapping[str, str]) -> list[str]:
    """The collections of the cluster the flags name, sorted; raises on any failure."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        args, _ = build_parser().parse_known_args(flags)  # --help or a bad flag: SystemExit
    profiles = {name: dataclasses.replace(profile, api_key_keyring=None)
                for name, profile in settings.profiles.items()}
    settings = dataclasses.replace(settings, profiles=profiles)
    target = resolve(settings, env, url=args.url, profile=args.profile, api_key=args.api_key,
                     headers=headers(args.header), insecure=args.insecure)
    sent = dict(target.headers)
    if target.api_key:
        sent["Authorization"] = f"Bearer {target.api_key}"
    request = urllib.request.Request(target.url.rstrip("/") + "/v1/schema", headers=sent)
    context = None
    if not target.verify:  # --insecure, or a profile with verify_tls: false
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=context) as response:
        schema = json.load(response)
    return sorted(c["class"] for c in schema.get("classes") or ())


def main(argv: list[str]) -> int:
    """Print the names asked for, one a line; nothing at all when they cannot be had."""
    if not argv or argv[0] not in SOURCES:
        print(f"usage: elysiactl __complete {'|'.join(SOURCES)} [FLAGS...]", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        names = list(settings.profiles) if argv[0] == "profiles" else \
            collection_names(argv[1:], settings, os.environ)
    except (Exception, SystemExit):  # a Tab shows no error: the user did not ask for one
        return 0
    if names:
        print("\n".join(names))
    return 0
