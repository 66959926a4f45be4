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
from commands.formats import FORMATS
from commands.headers import check_api_key, check_headers
from commands.inputs import load_yaml, read_text
from commands.safety import DEFAULT_PROTECTED, DEFAULT_SAFETY_MAX
from commands.url_credentials import take_key
from commands.urls import check_url

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
    """Read the config file; a missing file means defaults, a broken one a ConfigError that
    names the file, the profile and the key."""
    path = path or config_dir() / "config.yaml"
    if not path.exists():
        return Settings()
    raw = load_yaml(read_text(str(path), str(path), error=ConfigError), str(path),
                    ConfigError) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    listed = raw.get("profiles") or {}
    if not isinstance(listed, dict):
        raise ConfigError(f"{path}: profiles must be a mapping of name: settings",
                          "e.g. profiles: {local: {url: 'http://localhost:8080'}}")
    profiles = {}
    for name, body in listed.items():
        if not isinstance(name, str):
            raise ConfigError(f"{path}: profile name {name!r} must be text", "quote it")
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: profile {name!r} must be a mapping")
        unknown = set(body) - PROFILE_KEYS
        if unknown:
            first = sorted(map(str, unknown))[0]
            raise ConfigError(f"{path}: profile {name!r}: unknown key {first!r}",
                              "known keys: " + ", ".join(sorted(PROFILE_KEYS)))
        profiles[name] = Profile(name=name, **_typed(body, f"{path}: profile {name!r}: "))
    default = raw.get("default_profile")
    if default is not None and (not isinstance(default, str) or default not in profiles):
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
                    format=_format(raw.get("format"), f"{path}: ") or "table",
                    protected=tuple(protected), safety_backup_max_objects=limit)


def _typed(body: dict[str, Any], where: str) -> dict[str, Any]:
    """A profile's keys as ``Profile`` takes them; ``where`` (``FILE: profile 'x': ``) starts
    each error."""
    for key in ("api_key_env", "api_key_keyring", "tier"):
        if not isinstance(body.get(key, ""), str):
            raise ConfigError(f"{where}{key} must be text, not {body[key]!r}")
    for key in ("read_only", "verify_tls"):
        if not isinstance(body.get(key, False), bool):
            raise ConfigError(f"{where}{key} must be true or false, not {body[key]!r}")
    headers = body.get("headers") or {}
    if not isinstance(headers, dict) or not all(
            isinstance(v, str | int | float) and not isinstance(v, bool)
            for v in headers.values()):
        raise ConfigError(f"{where}headers must be a mapping of NAME: VALUE",
                          "e.g. headers: {X-OpenAI-Api-Key: env:OPENAI_API_KEY}")
    metrics = body.pop("metrics_url", None) or []
    metrics = [metrics] if isinstance(metrics, str) else metrics
    if not isinstance(metrics, list) or not all(isinstance(u, str) for u in metrics):
        raise ConfigError(f"{where}metrics_url must be a URL or a list of "
                          "URLs", "e.g. metrics_url: http://weaviate:2112/metrics")
    check_url(body.get("url", DEFAULT_URL), f"{where}url ", error=ConfigError)
    for url in metrics:
        check_url(url, f"{where}metrics_url ", error=ConfigError)
    return {**body, "headers": {str(k): str(v) for k, v in headers.items()},
            "format": _format(body.get("format"), where), "metrics_urls": tuple(metrics)}


def _format(value: Any, where: str) -> str | None:
    if value is not None and value not in FORMATS:
        raise ConfigError(f"{where}format {value!r} is not one of {', '.join(FORMATS)}")
    return value


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
    check_url(taken.url, "WEAVIATE_URL " if where == "WEAVIATE_URL" else "")
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
    check_headers(all_headers)
    if key:
        check_api_key(key)
    return Target(url=taken.url, api_key=key or None, headers=all_headers,
                  verify=not insecure and (chosen.verify_tls if chosen else True),
                  profile=chosen.name if chosen else None, tier=chosen.tier if chosen else None,
                  metrics_urls=metrics_urls or (chosen.metrics_urls if chosen else ()),
                  read_only=bool(chosen and chosen.read_only))
