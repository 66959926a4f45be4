"""An in-process emulator of Weaviate's REST API, for tests and for ``elysiactl --sandbox``.

It serves ``/v1`` over real HTTP on 127.0.0.1 with the status codes, error bodies,
defaults, cursor rules and limits of a real Weaviate 1.2x-1.3x (see README).
It has no vector search, no modules other than the filesystem backup backend (and
the meta of ``text2vec-transformers``, which vectorizes nothing), and no gRPC.
Nothing in ``shell/``, ``commands/`` or ``completers/`` imports
it, except the entry point that starts it.
"""

from sandbox.server import Sandbox

__all__ = ["Sandbox"]
