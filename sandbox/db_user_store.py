"""The dynamic database users one sandbox keeps, and their keys (see ``sandbox.db_users``)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

ZERO_TIME = "0001-01-01T00:00:00.000Z"


@dataclass
class DbUser:
    """One dynamic user; only a hash of its key is kept."""

    user_id: str
    key_hash: str
    identifier: str
    first_letters: str
    created_at: str
    active: bool = True
    revoked: bool = False
    last_used: str = ZERO_TIME


@dataclass
class DbUsers:
    """The dynamic users of one sandbox; ``enabled`` is AUTHENTICATION_DB_USERS_ENABLED."""

    enabled: bool = False
    users: dict[str, DbUser] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, user_id: str) -> str:
        """Create the user, or give an existing one a new key (un-revoking it); the key."""
        identifier = base64.b64encode(secrets.token_bytes(12)).decode()
        secret = base64.b64encode(secrets.token_bytes(32)).decode()
        key = base64.b64encode(f"{identifier}_{secret}_v200".encode()).decode()
        with self.lock:
            old = self.users.get(user_id)
            self.users[user_id] = DbUser(
                user_id, _digest(secret), identifier, key[:3],
                old.created_at if old else _now(), old.active if old else True)
        return key

    def authenticate(self, token: str) -> tuple[str | None, str | None]:
        """(user, None) for a valid dynamic key, (None, reason) for a refused one, and
        (None, None) when the token is no dynamic key at all (a static key may match)."""
        try:
            identifier, secret, version = base64.b64decode(token, validate=True).decode().split("_")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None, None
        if version != "v200" or len(identifier) != 16 or len(secret) != 44:
            return None, None
        with self.lock:
            user = next((u for u in self.users.values() if u.identifier == identifier), None)
        if user is None or not secrets.compare_digest(user.key_hash, _digest(secret)):
            return None, "invalid token"
        if not user.active:
            return None, "user deactivated"
        if user.revoked:
            return None, "key is revoked"
        user.last_used = _now()
        return user.user_id, None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> str:
    """strfmt.DateTime's JSON form: RFC 3339 with milliseconds."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
