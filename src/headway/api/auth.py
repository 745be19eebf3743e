"""Access control of the API: who calls (authentication) and whether they may (authorisation).

Modes (setting ``auth``): ``""`` and ``none``: nobody is asked anything (the caller is
``anonymous``, admin of everything); ``tokens``: an API token in ``Authorization: Bearer``
(or as the password of basic auth, as Kestra's clients send it); ``proxy``: the identity a
trusted reverse proxy puts in ``Remote-User`` / ``Remote-Groups``, groups mapped to roles by
the setting ``proxy_groups``.

One dependency, added to every router by :func:`headway.api.app.create_app`, maps the route
a request matched (method and path template) to a :class:`Rule`: the role it needs and where
the namespace comes from (the path, the execution a path names, the flow in the body, a
search's ``namespace`` parameter...). Routes without an explicit rule get one from their
parameters (see :func:`rule_for`), so a new route is never left open. Keyed webhooks
(``/executions/webhook/...``) are public: they authorise by their key.

After a change the route answered without error, the dependency writes a generic audit
entry unless the route wrote its own (see :mod:`headway.api.audit`).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from headway.api import audit
from headway.api.context import ServerContext, ctx_of
from headway.api.errors import ApiError
from headway.api.roles import ANONYMOUS, Grant, Principal, covers, parse_grants
from headway.api.tokens import hash_secret
from headway.execution import utcnow
from headway.flows.source import load_yaml
from headway.settings import Settings, SettingsError

Scope = Literal[
    "public",  # no identity needed (keyed webhooks)
    "namespace",  # the path's {namespace}
    "execution",  # the namespace of the execution the path names
    "search",  # a search: its `namespace` parameter is kept within the caller's namespaces
    "any",  # the role on some namespace (the route itself shows only what the caller may see)
    "everywhere",  # the role on every namespace
    "flow_body",  # the namespace of the flow in the YAML body
    "apply_body",  # every flow of a GitOps apply, and the namespace it prunes
    "ids_body",  # each execution of a JSON body {"ids": [...]}
    "namespace_body",  # the `namespace` of a JSON body, or of each item of its lists
]
READS = frozenset({"GET", "HEAD", "OPTIONS"})
EXECUTION_ID_PARAMS = ("execution_id", "executionId")
_PATH_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


@dataclass(frozen=True, slots=True)
class Rule:
    role: str | None  # None: public
    scope: Scope
    # The audit log's name of the change (derived if None; '' for a POST that changes nothing).
    action: str | None = None


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/flows/search"): Rule("viewer", "search"),
    ("GET", "/namespaces/search"): Rule("viewer", "any"),
    ("POST", "/flows"): Rule("editor", "flow_body", "flow.create"),
    ("POST", "/flows/validate"): Rule("viewer", "any", ""),
    ("POST", "/flows/apply"): Rule("editor", "apply_body", "flow.apply"),
    ("GET", "/executions/search"): Rule("viewer", "search"),
    ("POST", "/executions/{namespace}/{flow_id}"): Rule("runner", "namespace", "execution.run"),
    ("DELETE", "/executions/{execution_id}"): Rule("editor", "execution", "execution.delete"),
    # The expression console renders against an execution; it changes nothing.
    ("POST", "/executions/{execution_id}/eval/{task_run_id}"): Rule("runner", "execution", ""),
    # Bulk actions: on each execution named, or on a search kept within the caller's scope.
    ("DELETE", "/executions/by-ids"): Rule("editor", "ids_body", "execution.delete"),
    ("DELETE", "/executions/by-query"): Rule("editor", "search", "execution.delete"),
    ("DELETE", "/executions/kill/by-ids"): Rule("runner", "ids_body", "execution.kill"),
    ("DELETE", "/executions/kill/by-query"): Rule("runner", "search", "execution.kill"),
    ("POST", "/executions/restart/by-ids"): Rule("runner", "ids_body", "execution.restart"),
    ("POST", "/executions/restart/by-query"): Rule("runner", "search", "execution.restart"),
    # Triggers named in the body.
    ("PUT", "/triggers"): Rule("editor", "namespace_body", "trigger.update"),
    ("POST", "/triggers/set-disabled/by-triggers"): Rule(
        "editor", "namespace_body", "trigger.set-disabled"
    ),
    ("PUT", "/triggers/backfill/pause"): Rule("editor", "namespace_body", "trigger.backfill-pause"),
    ("PUT", "/triggers/backfill/unpause"): Rule(
        "editor", "namespace_body", "trigger.backfill-unpause"
    ),
    ("POST", "/triggers/backfill/delete"): Rule(
        "editor", "namespace_body", "trigger.backfill-delete"
    ),
    # About the server and the caller: anyone with a role somewhere.
    ("GET", "/plugins/schemas/flow"): Rule("viewer", "any"),
    ("GET", "/me"): Rule("viewer", "any"),
    ("GET", "/workers"): Rule("viewer", "any"),
    ("GET", "/audit/search"): Rule("admin", "search"),
    # Token routes check the namespace of the token themselves.
    ("GET", "/tokens"): Rule("admin", "any"),
    ("POST", "/tokens"): Rule("admin", "any", "token.create"),
    ("DELETE", "/tokens/{token_id}"): Rule("admin", "any", "token.revoke"),
}


def rule_for(method: str, template: str, route: APIRoute) -> Rule:
    """The rule of a route: explicit in :data:`RULES`, else from its parameters: a path
    ``{namespace}`` (viewer to read, editor to change), an execution id (viewer to read,
    runner to act), a ``namespace`` query parameter of a read (a search, viewer); anything
    else is viewer of every namespace to read and admin of every namespace to change."""
    explicit = RULES.get((method, template))
    if explicit is not None:
        return explicit
    if template.startswith("/executions/webhook/"):
        return Rule(None, "public")
    reading = method in READS
    names = set(_PATH_PARAM.findall(template))
    if "namespace" in names:
        return Rule("viewer" if reading else "editor", "namespace")
    if names.intersection(EXECUTION_ID_PARAMS):
        return Rule("viewer" if reading else "runner", "execution")
    if reading and any(p.alias == "namespace" for p in route.dependant.query_params):
        return Rule("viewer", "search")
    return Rule("viewer" if reading else "admin", "everywhere")


def action_of(method: str, template: str, rule: Rule) -> str:
    """The audit action of a change: the rule's, or ``resource.verb`` from the path
    (``DELETE /executions/{id}/kill``: ``execution.kill``)."""
    if rule.action is not None:
        return rule.action
    literals = [s for s in template.strip("/").split("/") if s and not s.startswith("{")]
    if not literals:
        return method.lower()
    resource = literals[0]
    if resource == "namespaces" and len(literals) > 1:
        resource = literals[1]
    verbs = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
    verb = literals[-1] if literals[-1] != resource else verbs.get(method, method.lower())
    return f"{resource.removesuffix('s')}.{verb}"


def unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": 'Bearer realm="headway"'})


# --- authentication ----------------------------------------------------------------------------
def token_secret(authorization: str | None) -> str | None:
    """The token of an ``Authorization`` header: ``Bearer <token>`` or basic auth with the
    token as password (any user name)."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise unauthorized(
                "malformed basic credentials: expected base64 of user:token"
            ) from None
        return decoded.partition(":")[2] or None
    raise unauthorized(f"unsupported authorization scheme '{scheme}': use Bearer <token>")


@dataclass(frozen=True)
class ProxyConfig:
    """What ``auth=proxy`` trusts: the proxies' networks and the roles of groups."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    groups: dict[str, tuple[Grant, ...]]
    user_header: str
    groups_header: str

    @classmethod
    def from_settings(cls, settings: Settings) -> ProxyConfig:
        if not settings.proxy_trusted:
            raise SettingsError(
                "auth=proxy needs proxy_trusted: the addresses (IPs or CIDRs) of the reverse "
                "proxy whose Remote-User / Remote-Groups headers are trusted"
            )
        networks = []
        for item in settings.proxy_trusted:
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError as exc:
                raise SettingsError(f"setting proxy_trusted: {exc}") from None
        groups = {}
        for group, text in settings.proxy_groups.items():
            try:
                groups[group] = parse_grants(text)
            except ValueError as exc:
                raise SettingsError(f"setting proxy_groups, group '{group}': {exc}") from None
        return cls(
            tuple(networks), groups, settings.proxy_user_header, settings.proxy_groups_header
        )

    def trusts(self, host: str | None) -> bool:
        if host is None:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def check_client(self, request: Request) -> None:
        host = request.client.host if request.client else None
        if not self.trusts(host):
            raise unauthorized(f"{host or 'this client'} is not a trusted proxy: come through it")

    def user(self, request: Request) -> str:
        return request.headers.get(self.user_header, "").strip()

    def principal(self, request: Request) -> Principal:
        user = self.user(request)
        if not user:
            raise unauthorized(f"the proxy sent no {self.user_header} header")
        names = [g.strip() for g in request.headers.get(self.groups_header, "").split(",")]
        names = [g for g in names if g]
        grants = tuple(grant for name in names for grant in self.groups.get(name, ()))
        if not grants:
            raise ApiError(
                403,
                f"user '{user}' has no role: none of their groups ({', '.join(names) or 'none'})"
                " is mapped to one in proxy_groups",
            )
        return Principal(user, grants)


class Access:
    """Authentication for the configured mode, and the dependency routers get."""

    def __init__(self, settings: Settings) -> None:
        self.mode = settings.auth
        self.proxy = ProxyConfig.from_settings(settings) if self.mode == "proxy" else None

    async def authenticate(self, request: Request, ctx: ServerContext) -> Principal:
        """The caller. In proxy mode, a request through a trusted proxy carries the proxy's
        user, or else may carry an API token (scripts the proxy lets through)."""
        if self.proxy is not None:
            self.proxy.check_client(request)
            if self.proxy.user(request) or "authorization" not in request.headers:
                return self.proxy.principal(request)
            return await self._token(request, ctx)
        if self.mode != "tokens":
            return ANONYMOUS
        return await self._token(request, ctx)

    async def _token(self, request: Request, ctx: ServerContext) -> Principal:
        secret = token_secret(request.headers.get("authorization"))
        if secret is None:
            raise unauthorized("missing API token: send Authorization: Bearer <token>")
        token = await ctx.store.token_by_hash(ctx.tenant, hash_secret(secret))
        if token is None:
            raise unauthorized("invalid API token")
        if token.revoked_at is not None:
            raise unauthorized(f"API token {token.id} was revoked")
        if not token.active(utcnow()):
            raise unauthorized(f"API token {token.id} has expired")
        return Principal(f"token:{token.id}", (Grant(token.role, token.namespace),))

    def dependency(self, prefix: str) -> Any:
        """``Depends`` of the authorisation of routes mounted under ``prefix``."""

        async def authorize(request: Request) -> AsyncIterator[None]:
            route = request.scope.get("route")
            if not isinstance(route, APIRoute):
                raise ApiError(404, f"no route for {request.url.path}")
            template = route.path.removeprefix(prefix) or "/"
            rule = rule_for(request.method, template, route)
            if rule.role is None:
                yield
                return
            ctx = ctx_of(request)
            principal = await self.authenticate(request, ctx)
            request.state.principal = principal
            target = await _authorize(request, ctx, principal, rule.role, rule.scope)
            yield
            audited = getattr(request.state, "audited", False)
            if request.method not in READS and rule.action != "" and not audited:
                await audit.record(
                    request,
                    action_of(request.method, template, rule),
                    target.name or _path_and_query(request, prefix),
                    namespace=target.namespace,
                    before=target.before,
                    after=await _labels(request) if template.endswith("/labels") else None,
                )

        return Depends(authorize, scope="function")


# --- authorisation -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Target:
    """What a request acts on, for the audit log."""

    namespace: str | None = None
    name: str | None = None
    before: Any = None


def forbidden(principal: Principal, role: str, where: str) -> ApiError:
    held = ", ".join(str(g) for g in principal.grants) or "no role"
    return ApiError(403, f"{principal.name} needs the role {role} {where} (it has {held})")


async def _authorize(
    request: Request, ctx: ServerContext, principal: Principal, role: str, scope: Scope
) -> Target:
    params = request.path_params
    if scope == "namespace":
        namespace = str(params["namespace"])
        if not principal.allows(role, namespace):
            raise forbidden(principal, role, f"on namespace '{namespace}'")
        route = request.scope["route"]
        flow_id = params.get("flow_id") or params.get("flowId")
        names_a_flow = flow_id is not None and route.path.endswith(("{flow_id}", "{flowId}"))
        return Target(namespace, f"{namespace}.{flow_id}" if names_a_flow else None)
    if scope == "execution":
        return await _execution(ctx, principal, role, params)
    if scope == "search":
        _narrow_search(request, principal, role)
        return Target()
    if scope == "everywhere":
        if not principal.allows_everywhere(role):
            raise forbidden(principal, role, "on every namespace")
        return Target()
    if scope == "flow_body":
        in_body = _yaml_namespace(await request.body())
        return _require(principal, role, [in_body] if in_body is not None else [])
    if scope == "apply_body":
        return _require(principal, role, _apply_namespaces(await request.body()))
    if scope == "namespace_body":
        return _require(principal, role, _body_namespaces(await _json_body(request)))
    if scope == "ids_body":
        return await _executions(ctx, principal, role, await _json_body(request))
    if not principal.allows(role):
        raise forbidden(principal, role, "on some namespace")
    return Target()


def _require(principal: Principal, role: str, namespaces: list[str]) -> Target:
    """The role on each of ``namespaces`` ('' for every namespace; none: on some)."""
    if not namespaces and not principal.allows(role):
        raise forbidden(principal, role, "on some namespace")
    for namespace in namespaces:
        if namespace == "" and not principal.allows_everywhere(role):
            raise forbidden(principal, role, "on every namespace")
        if namespace and not principal.allows(role, namespace):
            raise forbidden(principal, role, f"on namespace '{namespace}'")
    return Target(namespaces[0] if len(set(namespaces)) == 1 else None)


async def _execution(
    ctx: ServerContext, principal: Principal, role: str, params: dict[str, Any]
) -> Target:
    execution_id = next(str(params[p]) for p in EXECUTION_ID_PARAMS if p in params)
    execution = await ctx.store.get_execution(execution_id)
    if execution is None or execution.tenant != ctx.tenant:
        # The route answers 404; it needs the role somewhere all the same.
        if not principal.allows(role):
            raise forbidden(principal, role, "on some namespace")
        return Target(None, execution_id)
    if not principal.allows(role, execution.namespace):
        raise forbidden(principal, role, f"on namespace '{execution.namespace}'")
    before = {"state": execution.current.value, "labels": list(execution.labels)}
    return Target(execution.namespace, execution_id, before)


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # the route rejects it


def _body_namespaces(data: Any) -> list[str]:
    """The ``namespace`` of a JSON object and of the objects in its lists."""
    if not isinstance(data, dict):
        return []
    items = [data] + [i for v in data.values() if isinstance(v, list) for i in v]
    found = [i.get("namespace") for i in items if isinstance(i, dict)]
    return [n for n in found if isinstance(n, str)]


async def _executions(ctx: ServerContext, principal: Principal, role: str, data: Any) -> Target:
    """The role on the namespace of each execution of ``{"ids": [...]}`` (ids not found are
    the route's to report)."""
    ids = data.get("ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return _require(principal, role, [])
    namespaces = []
    for execution_id in ids:
        execution = await ctx.store.get_execution(execution_id)
        if execution is not None and execution.tenant == ctx.tenant:
            namespaces.append(execution.namespace)
    target = _require(principal, role, namespaces)
    return Target(target.namespace, "ids:" + ",".join(ids))


def _narrow_search(request: Request, principal: Principal, role: str) -> None:
    """Keep a search within the caller's namespaces: a ``namespace`` parameter inside them
    is kept; a broader or missing one is narrowed to the one prefix the caller holds the role
    on; a caller with several must name one of them (403)."""
    prefixes = principal.prefixes(role)
    if "" in prefixes:
        return
    asked = request.query_params.get("namespace") or ""
    if asked and any(covers(p, asked) for p in prefixes):
        return
    inside = [p for p in prefixes if covers(asked, p)]
    if not inside:
        raise forbidden(principal, role, f"on namespace '{asked}'")
    if len(inside) > 1:
        raise ApiError(
            403,
            f"{principal.name} may search namespaces {', '.join(inside)} only: ask for one "
            "of them with ?namespace=",
        )
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "namespace"]
    query = urlencode([*items, ("namespace", inside[0])]).encode("ascii")
    request.scope["query_string"] = query
    # Starlette caches the parsed parameters on the request, which FastAPI reads next.
    request._query_params = QueryParams(query)


def _yaml_namespace(body: bytes) -> str | None:
    """The ``namespace`` of a flow's YAML, read as the flow loader reads it (None if it has
    none or the YAML is invalid: the route then rejects the flow)."""
    try:
        data, _, problems = load_yaml(body.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    namespace = data.get("namespace") if isinstance(data, dict) and not problems else None
    return namespace if isinstance(namespace, str) else None


def _apply_namespaces(body: bytes) -> list[str]:
    """Every namespace a GitOps apply may write: its flows', and the one it prunes ('' when
    it prunes without a namespace: every namespace)."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return []
    if not isinstance(data, dict):
        return []
    flows = data.get("flows")
    found = []
    for item in flows if isinstance(flows, list) else []:
        if isinstance(item, dict) and isinstance(item.get("source"), str):
            namespace = _yaml_namespace(item["source"].encode("utf-8"))
            if namespace is not None:
                found.append(namespace)
    scope = data.get("namespace")
    if data.get("prune"):
        found.append(scope if isinstance(scope, str) else "")
    return found


def _path_and_query(request: Request, prefix: str) -> str:
    """What a generic audit entry names: the request's path under the API, and its query."""
    path = request.url.path.removeprefix(prefix)
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{path}?{query}" if query else path


async def _labels(request: Request) -> Any:
    """The labels a request set (its JSON body), for the audit log."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    body = await request.body()
    if not body or len(body) > 65536:
        return None
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def principal_of(request: Request) -> Principal:
    return audit.principal_of(request)


def visible(request: Request, namespace: str, role: str = "viewer") -> bool:
    """Whether this request's caller may see ``namespace`` (for routes that filter)."""
    return principal_of(request).allows(role, namespace)
