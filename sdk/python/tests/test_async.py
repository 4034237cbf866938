"""The async client: the same operations, awaited (run with asyncio.run, so
no pytest plugin is needed)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from conftest import ASKING_ASYNC, CONTRACT, GRANTED, PRODUCT, TABLE, Proxy, Steward

from steward_client import AsyncStewardClient, NotFoundError, RetryPolicy, UnauthorizedError


def test_async_operations(steward: Steward) -> None:
    async def main() -> None:
        key = f"async-{uuid.uuid4()}"
        async with AsyncStewardClient(steward.url, steward.producer) as producer:
            out, again = await asyncio.gather(
                producer.report_refresh(PRODUCT, table=TABLE, partition="dt=2026-09-01", idempotency_key=key),
                producer.list_proposals(product=PRODUCT),
            )
            assert out.refresh.idempotency_key == key and not out.replayed
            assert again and again[-1].status == "published"
            status = await producer.get_refresh(PRODUCT, out.refresh.id)
            assert status.refresh.partition == "dt=2026-09-01"
            assert out.refresh.id in [r.id for r in await producer.list_refreshes(PRODUCT, limit=500)]
            found = await producer.find_refresh(PRODUCT, {"dt": "2026-09-01"})
            assert found is not None and found.id == out.refresh.id
            assert "dt=2026-09-01" in [p.partition for p in await producer.list_partitions(PRODUCT)]
            text = CONTRACT.read_text().replace("version: 1.0.0", "version: 1.2.0", 1)
            proposal = await producer.submit_proposal(text)
            assert proposal.status == "pending_review"
        with steward.api(steward.producer) as http:
            assert http.post(f"/api/v1/proposals/{proposal.id}/withdraw", json={}).status_code == 200

        async with AsyncStewardClient(steward.url, steward.consumer) as consumer:
            page = await consumer.search_products("orders")
            assert PRODUCT in [h.key for h in page.items]
            assert (await consumer.get_product(PRODUCT)).domain == "sales"
            with pytest.raises(NotFoundError):
                await consumer.get_product("sales.nope")
            req = await consumer.request_access(PRODUCT, account=ASKING_ASYNC, justification="async", duration_days=7)
            assert req.id in [r.id for r in await consumer.list_access_requests(product=PRODUCT)]
            assert GRANTED in [g.account for g in await consumer.list_grants(product=PRODUCT)]
            sub = await consumer.create_subscription(PRODUCT, account=GRANTED, channel="email", target="a@example.com")
            assert sub.id in [s.id for s in await consumer.list_subscriptions()]
            await consumer.delete_subscription(sub.id)

        async with AsyncStewardClient(steward.url, "stw_bogus") as nobody:
            with pytest.raises(UnauthorizedError):
                await nobody.list_grants()

    asyncio.run(main())


def test_async_retry_keeps_the_key(steward: Steward, proxy: Proxy) -> None:
    proxy.fail(503, forward=True)

    async def main() -> str:
        async with AsyncStewardClient(proxy.url, steward.producer, retry=RetryPolicy(backoff=0.01)) as client:
            out = await client.report_refresh(PRODUCT, table=TABLE, partition="dt=2026-09-02")
            assert out.replayed is True
            return out.refresh.idempotency_key

    key = asyncio.run(main())
    keys = [json.loads(b)["idempotency_key"] for m, _, b in proxy.seen if m == "POST"]
    assert keys == [key, key]
    with steward.api(steward.producer) as http:
        listed = http.get(f"/api/v1/products/{PRODUCT}/refreshes", params={"limit": 500}).json()
    assert sum(r["idempotency_key"] == key for r in listed) == 1
