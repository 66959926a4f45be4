"""Not locking yourself out: a change that takes the caller's last admin role needs --force."""

from __future__ import annotations

from typing import Any

from commands.errors import Refused

# A role holding any of these can give access back (grant roles, or change them).
ADMIN_ACTIONS = frozenset({"assign_and_revoke_users", "create_roles", "update_roles"})


def is_admin_role(role: dict[str, Any]) -> bool:
    """Whether ``role`` lets its holder grant roles or change them."""
    return any(p.get("action") in ADMIN_ACTIONS for p in role.get("permissions") or [])


def own_role_names(me: dict[str, Any] | None) -> set[str]:
    """The names of the caller's roles (direct and through groups) from own-info."""
    return {str(r.get("name")) for r in (me or {}).get("roles") or []}


def refuse_self_lockout(me: dict[str, Any] | None, losing: set[str], action: str,
                        force: bool) -> None:
    """Refuse ``action`` when it takes every admin role the caller has, unless ``force``."""
    admin = {str(r.get("name")) for r in (me or {}).get("roles") or [] if is_admin_role(r)}
    if force or not admin or not admin <= losing:
        return
    names = ", ".join(sorted(admin))
    raise Refused(f"refusing to {action}: it takes your own last admin role ({names}), and "
                  "then nobody on this key could grant it back; nothing was sent",
                  "add --force if you really mean it (a root user can restore it)")
