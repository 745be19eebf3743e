"""The store contract: API tokens (stored by hash) and the audit log."""

from __future__ import annotations

import pytest

from headway.errors import StoreError
from headway.store.base import ApiToken, AuditEntry, AuditQuery, Store

from .records import at


def token(token_id: str = "t1", **kwargs: object) -> ApiToken:
    base: dict[str, object] = {
        "tenant": "main",
        "id": token_id,
        "name": f"token {token_id}",
        "role": "viewer",
        "namespace": "team.a",
        "created": at(0),
        "created_by": "alice",
    }
    return ApiToken(**{**base, **kwargs})  # type: ignore[arg-type]


def entry(seconds: float, action: str = "flow.update", **kwargs: object) -> AuditEntry:
    base: dict[str, object] = {
        "tenant": "main",
        "at": at(seconds),
        "actor": "alice",
        "action": action,
        "target": "team.a/hello",
        "namespace": "team.a",
    }
    return AuditEntry(**{**base, **kwargs})  # type: ignore[arg-type]


class AuthContract:
    async def test_a_token_is_found_by_the_hash_of_its_secret(self, store: Store) -> None:
        saved = token(expires_at=at(3600))
        await store.create_token(saved, "hash-1")
        assert await store.token_by_hash("main", "hash-1") == saved
        assert await store.token_by_hash("main", "hash-2") is None
        assert await store.token_by_hash("other", "hash-1") is None

    async def test_a_token_id_or_secret_hash_is_unique(self, store: Store) -> None:
        await store.create_token(token("t1"), "hash-1")
        with pytest.raises(StoreError, match="exists"):
            await store.create_token(token("t1"), "hash-2")
        with pytest.raises(StoreError, match="exists"):
            await store.create_token(token("t2"), "hash-1")
        assert [t.id for t in await store.list_tokens("main")] == ["t1"]

    async def test_tokens_are_listed_per_tenant_oldest_first(self, store: Store) -> None:
        await store.create_token(token("late", created=at(10)), "h-late")
        await store.create_token(token("early", created=at(5)), "h-early")
        await store.create_token(token("acme", tenant="acme"), "h-acme")
        assert [t.id for t in await store.list_tokens("main")] == ["early", "late"]
        assert [t.id for t in await store.list_tokens("acme")] == ["acme"]

    async def test_a_revoked_token_keeps_its_first_revocation(self, store: Store) -> None:
        await store.create_token(token(), "hash-1")
        revoked = await store.revoke_token("main", "t1", at(60))
        assert revoked is not None and revoked.revoked_at == at(60)
        again = await store.revoke_token("main", "t1", at(120))
        assert again is not None and again.revoked_at == at(60)
        found = await store.token_by_hash("main", "hash-1")
        assert found is not None and not found.active(at(61))
        assert await store.revoke_token("main", "missing", at(60)) is None
        assert await store.revoke_token("acme", "t1", at(60)) is None

    async def test_a_token_is_active_until_it_expires(self, store: Store) -> None:
        await store.create_token(token(expires_at=at(100)), "hash-1")
        found = await store.token_by_hash("main", "hash-1")
        assert found is not None
        assert found.active(at(99)) and not found.active(at(100))

    async def test_audit_entries_round_trip_newest_first(self, store: Store) -> None:
        first = await store.append_audit(entry(1, before={"v": 1}, after={"v": [2, "x"]}))
        second = await store.append_audit(entry(2, action="kv.put", namespace=None))
        assert second > first
        found, total = await store.search_audit(AuditQuery())
        assert total == 2
        assert [e.id for e in found] == [second, first]
        assert found[1] == entry(1, before={"v": 1}, after={"v": [2, "x"]}, id=first)
        assert found[0].namespace is None and found[0].before is None

    async def test_audit_search_filters(self, store: Store) -> None:
        await store.append_audit(entry(1, namespace="team.a"))
        await store.append_audit(entry(2, namespace="team.a.sub", action="kv.put"))
        await store.append_audit(entry(3, namespace="team.ab", actor="bob"))
        await store.append_audit(entry(4, namespace=None, action="token.create"))
        await store.append_audit(entry(5, tenant="acme"))

        async def actions(**kwargs: object) -> list[str]:
            found, total = await store.search_audit(AuditQuery(**kwargs))  # type: ignore[arg-type]
            assert total == len(found)
            return [f"{e.at.second - at(0).second}:{e.action}" for e in found]

        assert await actions(namespace="team.a") == ["2:kv.put", "1:flow.update"]
        assert await actions(actor="bob") == ["3:flow.update"]
        assert await actions(action="flow") == ["3:flow.update", "1:flow.update"]
        assert await actions(action="token.create") == ["4:token.create"]
        assert await actions(action="flo") == []
        assert await actions(start_after=at(2), start_before=at(4)) == [
            "3:flow.update",
            "2:kv.put",
        ]
        assert await actions(tenant="acme") == ["5:flow.update"]

    async def test_audit_search_pages(self, store: Store) -> None:
        for i in range(5):
            await store.append_audit(entry(i))
        found, total = await store.search_audit(AuditQuery(page=2, size=2))
        assert total == 5
        assert [e.at for e in found] == [at(2), at(1)]
