r"""Role-based access control as Weaviate's ``AUTHORIZATION_RBAC_ENABLED`` has it.

Interface for tests and the shell:

* Start an RBAC sandbox with keyword arguments::

      Sandbox(api_keys={"root-key": "root", "bob-key": "bob"}, rbac=True,
              root_users=["root"], db_users=True).start()

  (``python -m sandbox --api-key root-key=root --api-key bob-key=bob --rbac
  --root-user root --db-users``.) RBAC and db users need at least one ``api_keys`` entry.
  The root user's key is the static key mapped to it (``root-key`` above); root holds the
  built-in ``root`` role (every action on everything). Any other static user starts with no
  role. ``db_users=True`` (``AUTHENTICATION_DB_USERS_ENABLED``) lets ``POST
  /v1/users/db/{id}`` create users whose returned API key works at once.
* A denied request answers 403 ``{"error":[{"message": M}]}`` with M as Weaviate writes it
  (usecases/auth/authorization/errors/errors.go, rbac/authorizer.go)::

      rbac: authorization, forbidden action: user 'bob' has insufficient permissions to
      read_data [[Domain: data, Collection: Article, Tenant: *, Object: *]]

  (one line): the action is the missing permission's ``action``, the bracketed part its
  resource (empty ``[]`` for cluster and groups); parse it with
  ``insufficient permissions to (\S+) \[(.*)\]$``. Role endpoints may prefix it with
  ``can only create roles with less or equal permissions as the current user: `` and
  assignments with ``... can only assign roles ...``. Weaviate's own quirks stay: a backup
  of every class that the caller may back up none of answers ``authorization, forbidden
  action: user 'bob' has insufficient permissions to C [backups/collections/A ...]`` (no
  ``rbac:``, a bare verb), and a backup permission is named ``create_backups``.
* Lists (collections, tenants, aliases, backups, roles, db users) are never refused: they
  leave out what the caller may not read. GraphQL answers 200 with the denied class null and
  the message in ``errors``.
* Built-in roles: ``admin`` and ``viewer`` (assignable), ``root`` and ``read-only`` (only
  through configuration); none can be changed or deleted.

Emulated: roles, permissions, user and group assignments, db users, resource globs, the
``/shards/#`` carve-out and the verb regexes. Not emulated: OIDC (so groups never reach a
principal), namespaces, MCP.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sandbox import permissions as perms
from sandbox.permissions import Policy

ADMIN, VIEWER, ROOT, READ_ONLY = "admin", "viewer", "root", "read-only"
BUILT_IN_ROLES = (VIEWER, ADMIN, ROOT, READ_ONLY)
ENV_VAR_ROLES = (READ_ONLY, ROOT)
_WILDCARD_VERBS = {ADMIN: perms.ALL_VERBS, ROOT: perms.ALL_VERBS, VIEWER: perms.READ,
                   READ_ONLY: perms.READ}


def subject(name: str, kind: str = "db") -> str:
    """The key of a user (``db:bob``, ``oidc:bob``) or group (``group:devs``)."""
    return f"{kind}:{name}"


@dataclass
class Rbac:
    """Roles and their assignments; with ``enabled`` False the store is absent: reads are
    empty and writes are accepted and dropped, as Weaviate's raft layer does without RBAC."""

    enabled: bool = False
    root_users: list[str] = field(default_factory=list)
    roles: dict[str, list[Policy]] = field(default_factory=dict)  # custom roles only
    assignments: dict[str, set[str]] = field(default_factory=dict)  # subject -> role names
    lock: threading.RLock = field(default_factory=threading.RLock)

    def configure(self, static_users: list[str]) -> None:
        """Give the root users that are static API-key users the ``root`` role."""
        if self.enabled:
            for user in self.root_users:
                if user.strip() and user in static_users:
                    self.assignments.setdefault(subject(user), set()).add(ROOT)

    # --- roles ---------------------------------------------------------------------------

    def role_names(self) -> list[str]:
        """Every role, built-in ones included (none without RBAC)."""
        if not self.enabled:
            return []
        with self.lock:
            return sorted({*BUILT_IN_ROLES, *self.roles})

    def policies(self, role: str) -> list[Policy] | None:
        """A role's permissions as stored policies, or None when it does not exist."""
        if not self.enabled:
            return None
        if role in BUILT_IN_ROLES:
            return perms.built_in_policies(read_only=role in (VIEWER, READ_ONLY))
        with self.lock:
            found = self.roles.get(role)
            return None if found is None else list(found)

    def upsert(self, role: str, policies: list[Policy]) -> None:
        """Create a role or add policies to it (no-op without RBAC)."""
        if self.enabled:
            with self.lock:
                stored = self.roles.setdefault(role, [])
                stored.extend(p for p in policies if p not in stored)

    def remove_policies(self, role: str, policies: list[Policy]) -> None:
        """Remove policies from a role; the role stays, even empty."""
        if self.enabled:
            with self.lock:
                if role in self.roles:
                    self.roles[role] = [p for p in self.roles[role] if p not in policies]

    def delete(self, role: str) -> None:
        """Delete a role and every assignment of it."""
        if self.enabled:
            with self.lock:
                self.roles.pop(role, None)
                for assigned in self.assignments.values():
                    assigned.discard(role)

    # --- assignments ---------------------------------------------------------------------

    def assign(self, key: str, roles: list[str]) -> None:
        """Give a subject roles."""
        if self.enabled:
            with self.lock:
                self.assignments.setdefault(key, set()).update(roles)

    def revoke(self, key: str, roles: list[str]) -> None:
        """Take roles from a subject."""
        if self.enabled:
            with self.lock:
                self.assignments.get(key, set()).difference_update(roles)

    def roles_of(self, key: str) -> list[str]:
        """The roles of a subject, sorted."""
        if not self.enabled:
            return []
        with self.lock:
            return sorted(self.assignments.get(key, ()))

    def holders(self, role: str, prefix: str) -> list[str]:
        """Names of the subjects of one kind (``db``, ``oidc``, ``group``) holding a role."""
        with self.lock:
            return sorted(k.split(":", 1)[1] for k, assigned in self.assignments.items()
                          if k.startswith(prefix + ":") and role in assigned)

    def forget(self, key: str) -> None:
        """Drop every assignment of a subject (a deleted db user)."""
        with self.lock:
            self.assignments.pop(key, None)

    # --- enforcement ---------------------------------------------------------------------

    def allowed(self, user: str, verb: str, resource: str) -> bool:
        """Whether any role of the user grants the verb on the resource path."""
        for role in self.roles_of(subject(user)):
            if role in _WILDCARD_VERBS:
                grants = [Policy("*", _WILDCARD_VERBS[role], "*")]
            else:
                with self.lock:
                    grants = list(self.roles.get(role, ()))
            if any(perms.verb_matches(verb, p.verb) and perms.resource_matches(resource, p.resource)
                   for p in grants):
                return True
        return False

    def denial(self, user: str, verb: str, *resources: str) -> str | None:
        """Weaviate's forbidden message for the first resource the user may not use, or None
        when every one is allowed (always None without RBAC)."""
        if not self.enabled:
            return None
        for resource in dict.fromkeys(resources):
            if not self.allowed(user, verb, resource):
                return forbidden(user, perms.describe_action(verb, resource),
                                 perms.describe(resource))
        return None

    def is_root(self, user: str) -> bool:
        """Whether the user is a configured root user."""
        return user in self.root_users


def forbidden(user: str, action: str, resources: str) -> str:
    """``rbac: authorization, forbidden action: ...`` (errors.go ``Forbidden.Error``)."""
    return (f"rbac: authorization, forbidden action: user '{user}' has insufficient "
            f"permissions to {action} [{resources}]")
