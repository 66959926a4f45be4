"""Configuration: where files live, profiles, and how a connection target is resolved.

The config file is ``$XDG_CONFIG_HOME/elysiactl/config.yaml``::

    default_profile: local
    format: table
    profiles:
      local:
        url: http://localhost:8080
      prod:
        url: https://weaviate.example.com
        api_key_env: WEAVIATE_PROD_KEY    # the key is read from this variable
        api_key_keyring: weaviate-prod    # or from the system keyring (user: profile name)
        headers: {X-OpenAI-Api-Key: env:OPENAI_API_KEY}
        tier: production
        format: json
        verify_tls: true
        metrics_url: http://weaviate.example.com:2112/metrics   # Prometheus for \\stats
                                          # (or a list: one endpoint per node)
      audit:
        url: https://weaviate.example.com
        read_only: true                   # every write is refused before it is sent

    protected:                            # collections that need --allow-protected
      - "ELYSIACTL_*"
      - "*_SYSTEM"
      - ".internal*"
    safety_backup_max_objects: 100000     # \\rm, \\clear, \\restore back up at most this
                                          # many objects first, for \\undo (0: never)

Precedence for the URL: ``--url``, then ``--profile``, then ``WEAVIATE_URL``, then the
default profile, then ``http://localhost:8080``. Secrets never sit in the file by value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from commands.errors import ConfigError, UsageError
from commands.safety import DEFAULT_PROTECTED, DEFAULT_SAFETY_MAX
from commands.url_credentials import take_key

APP = "elysiactl"
DEFAULT_URL = "http://localhost:8080"
PROFILE_KEYS = {"url", "api_key_env", "api_key_keyring", "headers", "tier", "format",
                "verify_tls", "metrics_url", "read_only"}


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/elysiactl`` (platformdirs honours the variable)."""
    return Path(platformdirs.user_config_dir(APP))


def state_dir() -> Path:
    """``$XDG_STATE_HOME/elysiactl``: audit log, error log, input history."""
    return Path(platformdirs.user_state_dir(APP))


@dataclass(frozen=True)
class Profile:
    """A named cluster; secrets are references, never values."""

    name: str
    url: str = DEFAULT_URL
    api_key_env: str | None = None
    api_key_keyring: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    tier: str | None = None
    format: str | None = None
    verify_tls: bool = True
    metrics_urls: tuple[str, ...] = ()
    read_only: bool = False

    def api_key(self, env: Mapping[str, str]) -> str | None:
        """The key from the named variable, else from the system keyring, else None."""
        if self.api_key_env and env.get(self.api_key_env):
            return env[self.api_key_env]
        if self.api_key_keyring:
            try:
                import keyring

                return keyring.get_password(self.api_key_keyring, self.name)
            except Exception as exc:  # no keyring backend on this machine
                raise ConfigError(f"profile {self.name}: cannot read the system keyring: {exc}",
                                  "set api_key_env instead") from None
        return None

    def resolved_headers(self, env: Mapping[str, str]) -> dict[str, str]:
        """Header values of the form ``env:NAME`` are read from the environment."""
        out = {}
        for name, value in self.headers.items():
            out[name] = env.get(value[4:], "") if value.startswith("env:") else value
        return out


@dataclass(frozen=True)
class Settings:
    """The whole config file."""

    profiles: Mapping[str, Profile] = field(default_factory=dict)
    default_profile: str | None = None
    format: str = "table"
    protected: tuple[str, ...] = DEFAULT_PROTECTED
    safety_backup_max_objects: int = DEFAULT_SAFETY_MAX


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file; a missing file means defaults, a broken one a ConfigError."""
    path = path or config_dir() / "config.yaml"
    if not path.exists():
        return Settings()
    import yaml  # only when there is a file: keeps start-up fast

    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    profiles = {}
    for name, body in (raw.get("profiles") or {}).items():
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: profile {name!r} must be a mapping")
        unknown = set(body) - PROFILE_KEYS
        if unknown:
            raise ConfigError(f"{path}: profile {name!r}: unknown key {sorted(unknown)[0]!r}",
                              "known keys: " + ", ".join(sorted(PROFILE_KEYS)))
        profiles[name] = Profile(name=name, **_typed(body, path, name))
    default = raw.get("default_profile")
    if default is not None and default not in profiles:
        raise ConfigError(f"{path}: default_profile {default!r} is not a profile")
    protected = raw.get("protected", list(DEFAULT_PROTECTED))
    if not isinstance(protected, list) or not all(isinstance(p, str) for p in protected):
        raise ConfigError(f"{path}: protected must be a list of glob patterns")
    limit = raw.get("safety_backup_max_objects", DEFAULT_SAFETY_MAX)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ConfigError(f"{path}: safety_backup_max_objects must be a whole number of "
                          f"objects, 0 or more, got {limit!r}",
                          "0 turns safety backups off; the default is "
                          f"{DEFAULT_SAFETY_MAX:,}")
    return Settings(profiles=profiles, default_profile=default,
                    format=str(raw.get("format") or "table"), protected=tuple(protected),
                    safety_backup_max_objects=limit)


def _typed(body: dict[str, Any], path: Path, name: str) -> dict[str, Any]:
    headers = body.get("headers") or {}
    if not isinstance(headers, dict):
        raise ConfigError(f"{path}: profile {name!r}: headers must be a mapping")
    metrics = body.pop("metrics_url", None) or []
    metrics = [metrics] if isinstance(metrics, str) else metrics
    if not isinstance(metrics, list) or not all(isinstance(u, str) for u in metrics):
        raise ConfigError(f"{path}: profile {name!r}: metrics_url must be a URL or a list of "
                          "URLs", "e.g. metrics_url: http://weaviate:2112/metrics")
    if not isinstance(body.get("read_only", False), bool):
        raise ConfigError(f"{path}: profile {name!r}: read_only must be true or false")
    return {**body, "headers": {str(k): str(v) for k, v in headers.items()},
            "verify_tls": bool(body.get("verify_tls", True)), "metrics_urls": tuple(metrics)}


@dataclass(frozen=True)
class Target:
    """Everything needed to open one connection."""

    url: str
    api_key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    verify: bool = True
    profile: str | None = None
    tier: str | None = None
    metrics_urls: tuple[str, ...] = ()
    read_only: bool = False


def resolve(settings: Settings, env: Mapping[str, str], url: str | None = None,
            profile: str | None = None, api_key: str | None = None,
            headers: Mapping[str, str] | None = None, insecure: bool = False,
            metrics_urls: tuple[str, ...] = (), url_from: str = "--url",
            key_from: str = "--api-key") -> Target:
    """Combine flags, environment and config into a connection target; ``metrics_urls``
    (the in-process sandbox's) win over the profile's. ``url_from`` and ``key_from`` name
    where ``url`` and ``api_key`` came from, in messages.

    The target's URL never holds a credential: a key parameter becomes the API key, and two
    different keys (or a key and an ``Authorization`` header) are an error naming both."""
    if profile is not None and profile not in settings.profiles:
        raise ConfigError(f"no profile named {profile!r}",
                          "profiles: " + (", ".join(settings.profiles) or "none configured"))
    chosen = settings.profiles.get(profile or "") or (
        None if url or env.get("WEAVIATE_URL") else settings.profiles.get(
            settings.default_profile or ""))
    in_profile = f"profile {chosen.name}'s url" if chosen else ""
    if url:
        final_url, where = url, url_from
    elif chosen and (profile or not env.get("WEAVIATE_URL")):
        final_url, where = chosen.url, in_profile
    else:
        final_url, where = env.get("WEAVIATE_URL") or DEFAULT_URL, "WEAVIATE_URL"
    taken = take_key(final_url, where)
    if taken.key and where == in_profile:
        raise ConfigError(f"{where} holds an API key ({taken.param}=): a config file never "
                          "holds a secret", "put the key in an environment variable and name "
                          "it with api_key_env")
    key, key_where = (api_key, key_from) if api_key else ("", "")
    if not key and env.get("WEAVIATE_API_KEY"):
        key, key_where = env["WEAVIATE_API_KEY"], "WEAVIATE_API_KEY"
    if not key and chosen:
        key, key_where = chosen.api_key(env) or "", f"profile {chosen.name}'s key"
    if taken.key:
        if key and key != taken.key:
            raise UsageError(f"two API keys: the {taken.param} parameter of {where} and "
                             f"{key_where}", "keep one of them")
        key, key_where = taken.key, f"the {taken.param} parameter of {where}"
    all_headers = {**(chosen.resolved_headers(env) if chosen else {}), **(headers or {})}
    if key and any(name.lower() == "authorization" for name in all_headers):
        raise UsageError(f"two credentials: an Authorization header and {key_where}",
                         "keep one of them")
    return Target(url=taken.url, api_key=key or None, headers=all_headers,
                  verify=not insecure and (chosen.verify_tls if chosen else True),
                  profile=chosen.name if chosen else None, tier=chosen.tier if chosen else None,
                  metrics_urls=metrics_urls or (chosen.metrics_urls if chosen else ()),
                  read_only=bool(chosen and chosen.read_only))
