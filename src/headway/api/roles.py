"""Roles scoped to namespace prefixes, and who holds them.

Four roles, each including the ones before it: ``viewer`` reads; ``runner`` also starts,
kills, resumes, restarts and replays executions; ``editor`` also changes flows, KV,
namespace files, triggers and deletes executions; ``admin`` also manages tokens and reads the
audit log. A :class:`Grant` gives one role on a namespace prefix: ``team.a`` covers
``team.a`` and ``team.a.x``, never ``team.ab``; the prefix ``''`` covers every namespace.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("viewer", "runner", "editor", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}


def check_role(role: str) -> str:
    if role not in _RANK:
        raise ValueError(f"unknown role '{role}': expected one of {', '.join(ROLES)}")
    return role


def covers(prefix: str, namespace: str) -> bool:
    """Whether the namespace prefix ``prefix`` covers ``namespace``."""
    return prefix == "" or namespace == prefix or namespace.startswith(prefix + ".")


def normalise_prefix(prefix: str) -> str:
    """A namespace prefix as stored: ``*`` and ``''`` mean every namespace."""
    prefix = prefix.strip()
    if prefix == "*":
        return ""
    if prefix.startswith(".") or prefix.endswith(".") or ".." in prefix or " " in prefix:
        raise ValueError(f"'{prefix}' is not a namespace prefix (e.g. company.team, or *)")
    return prefix


@dataclass(frozen=True, slots=True)
class Grant:
    role: str
    namespace: str  # a prefix; '' for every namespace

    def allows(self, role: str, namespace: str | None) -> bool:
        """At least ``role`` on ``namespace`` (None: on some namespace)."""
        if _RANK[self.role] < _RANK[role]:
            return False
        return namespace is None or covers(self.namespace, namespace)

    def __str__(self) -> str:
        return f"{self.role}:{self.namespace or '*'}"


def parse_grants(text: str) -> tuple[Grant, ...]:
    """``role:prefix`` items separated by commas (``admin:`` or ``admin:*``: every
    namespace), as the setting ``proxy_groups`` gives them."""
    grants = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        role, sep, prefix = item.partition(":")
        if not sep:
            raise ValueError(f"'{item}': expected role:namespace-prefix, e.g. editor:platform")
        grants.append(Grant(check_role(role.strip()), normalise_prefix(prefix)))
    if not grants:
        raise ValueError(f"'{text}': expected role:namespace-prefix, e.g. editor:platform")
    return tuple(grants)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a request (``name``, as the audit log records it) and their grants."""

    name: str
    grants: tuple[Grant, ...]

    def allows(self, role: str, namespace: str | None = None) -> bool:
        return any(grant.allows(role, namespace) for grant in self.grants)

    def allows_everywhere(self, role: str) -> bool:
        return any(g.namespace == "" and g.allows(role, None) for g in self.grants)

    def prefixes(self, role: str) -> list[str]:
        """The namespace prefixes on which the principal holds ``role``, none covered by
        another ('' if every namespace)."""
        found = sorted({g.namespace for g in self.grants if g.allows(role, None)})
        return [p for p in found if not any(q != p and covers(q, p) for q in found)]


ANONYMOUS = Principal("anonymous", (Grant("admin", ""),))
