"""Path routing with go-openapi's answers for unknown paths (404) and wrong methods (405)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Generic, TypeVar
from urllib.parse import unquote

from sandbox.http import Request, Response, framework_error

# What every handler receives first: the sandbox (``sandbox.state.State``), which holds the
# router, so the router takes its type as a parameter instead of importing it.
S = TypeVar("S")
Handler = Callable[[S, Request], Response]
Route = tuple[str, str, Handler[S]]
# Runs after routing, before the handler: a refusal, a filter for the handler's answer
# (list endpoints that hide what the caller may not read), or None.
Guard = Callable[[S, Request], "Response | Callable[[Response], Response] | None"]

_PARAM = re.compile(r"\{(\w+)\}")


def _compile(template: str) -> re.Pattern[str]:
    pattern = _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(template)
                         .replace(r"\{", "{").replace(r"\}", "}"))
    return re.compile(f"^{pattern}/?$")


class Router(Generic[S]):
    """Maps (method, path) to a handler; path parameters land in ``Request.params``."""

    def __init__(self, routes: list[Route[S]], guard: Guard[S] | None = None) -> None:
        self._guard = guard
        self._table: list[tuple[str, re.Pattern[str], dict[str, Handler[S]]]] = []
        by_template: dict[str, dict[str, Handler[S]]] = {}
        for method, template, handler in routes:
            by_template.setdefault(template, {})[method] = handler
        # Literal segments win over parameters (``/objects/validate`` before ``/objects/{id}``).
        for template in sorted(by_template, key=lambda t: (t.count("{"), -len(t))):
            self._table.append((template, _compile(template), by_template[template]))

    def dispatch(self, app: S, request: Request, guarded: bool = True) -> Response:
        """Run the matching handler or answer as the framework does; ``guarded`` False skips
        the guard (a guard reading a resource to learn what it must check)."""
        allowed: list[str] = []
        for template, pattern, methods in self._table:
            match = pattern.match(request.path)
            if not match:
                continue
            request.route = template
            handler = methods.get(request.method)
            if handler is None:
                allowed = sorted(methods)
                continue
            request.params = {k: unquote(v) for k, v in match.groupdict().items()}
            verdict = self._guard(app, request) if self._guard and guarded else None
            if isinstance(verdict, Response):
                return verdict
            response = handler(app, request)
            return response if verdict is None else verdict(response)
        if allowed:
            response = framework_error(
                405, 405,
                f"method {request.method} is not allowed, but [{','.join(allowed)}] are")
            response.headers["Allow"] = ",".join(allowed)
            return response
        return framework_error(404, 404, f"path {request.path} was not found")

