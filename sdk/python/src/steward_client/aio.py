"""The asynchronous client: the same operations as :class:`StewardClient`
(built by :mod:`._core`), awaited."""

from __future__ import annotations

import asyncio
import os
from types import TracebackType
from typing import List, Optional, Sequence, Type, TypeVar, Union

import httpx

from . import _core
from . import models as m
from ._core import Call, PartitionArg, RetryPolicy

T = TypeVar("T")

__all__ = ["AsyncStewardClient"]


class AsyncStewardClient:
    """Steward's REST API for asyncio; see :class:`StewardClient`. Use it as
    an async context manager, or await :meth:`aclose`."""

    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        timeout: float = 30.0,
        retry: Optional[RetryPolicy] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        self.url, token = _core.settings(url, token)
        self.retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            base_url=self.url, headers=_core.default_headers(token), timeout=timeout, transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncStewardClient":
        return self

    async def __aexit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        await self.aclose()

    async def _run(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._http.request(
                    call.method, call.path, params=call.params, json=call.json, content=call.content, headers=call.headers
                )
            except httpx.TransportError as error:
                delay = self.retry.after_error(call, attempt, error)
                if delay is None:
                    raise _core.connection_error(self.url, call, error, attempt) from error
            else:
                delay = self.retry.after_response(call, attempt, response)
                if delay is None:
                    return _core.finish(call, response)
            await asyncio.sleep(delay)

    async def report_refresh(
        self,
        product: str,
        *,
        partition: PartitionArg = None,
        table: Optional[str] = None,
        snapshot_id: Optional[str] = None,
        row_count: Optional[int] = None,
        idempotency_key: Optional[str] = None,
        major: Optional[int] = None,
    ) -> m.RefreshOutcome:
        """Reports new data of ``product`` (a partition of ``table``, or a
        snapshot). Retries transient failures with one idempotency key
        (``idempotency_key``, or one made for this call): the server records
        the refresh once. ``replayed`` in the answer is true when the key had
        been recorded before. ``major`` names an older major still published
        beside the newest (default: the newest)."""
        return await self._run(_core.report_refresh(
            product, partition=partition, table=table, snapshot_id=snapshot_id,
            row_count=row_count, idempotency_key=idempotency_key, major=major))

    async def get_refresh(self, product: str, refresh_id: int) -> m.RefreshStatus:
        """A refresh with the state of its ``_SUCCESS`` marker and notifications."""
        return await self._run(_core.get_refresh(product, refresh_id))

    async def list_refreshes(
        self, product: str, *, table: Optional[str] = None, limit: Optional[int] = None
    ) -> List[m.Refresh]:
        """The product's refreshes, newest first."""
        return await self._run(_core.list_refreshes(product, table=table, limit=limit))

    async def find_refresh(
        self, product: str, partition: PartitionArg, *, table: Optional[str] = None
    ) -> Optional[m.Refresh]:
        """The newest refresh of ``partition`` (among the last 500), or ``None``."""
        return await self._run(_core.find_refresh(product, partition, table=table))

    async def list_partitions(
        self, product: str, *, table: Optional[str] = None, limit: Optional[int] = None
    ) -> List[m.Partition]:
        """Partitions refreshes added to the (embedded) catalog."""
        return await self._run(_core.list_partitions(product, table=table, limit=limit))

    async def search_products(
        self,
        q: Optional[str] = None,
        *,
        domain: Union[None, str, Sequence[str]] = None,
        tag: Union[None, str, Sequence[str]] = None,
        classification: Optional[str] = None,
        owner: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> m.SearchPage:
        """Ranked full-text search over names, descriptions, columns and tags."""
        return await self._run(_core.search_products(
            q, domain=domain, tag=tag, classification=classification, owner=owner, limit=limit, offset=offset))

    async def get_product(self, key: str) -> m.ProductDetail:
        """A published product: tables, columns, partition keys, SLO, contacts."""
        return await self._run(_core.get_product(key))

    async def request_access(
        self, product: str, *, account: str, justification: str, duration_days: Optional[int] = None
    ) -> m.AccessRequest:
        """Asks for access to ``product`` for ``account`` (a pending request)."""
        return await self._run(_core.request_access(
            product, account=account, justification=justification, duration_days=duration_days))

    async def list_access_requests(
        self, *, status: Optional[str] = None, product: Optional[str] = None, limit: Optional[int] = None
    ) -> List[m.AccessRequest]:
        """Access requests the token may read, newest first."""
        return await self._run(_core.list_access_requests(status=status, product=product, limit=limit))

    async def list_grants(
        self, *, status: Optional[str] = None, product: Optional[str] = None, limit: Optional[int] = None
    ) -> List[m.Grant]:
        """Grants (``active``, ``revoked``, ``expired``) the token may read."""
        return await self._run(_core.list_grants(status=status, product=product, limit=limit))

    async def create_subscription(
        self, product: str, *, account: str, channel: str, target: str
    ) -> m.Subscription:
        """Subscribes ``account`` to the product's refreshes by ``email``,
        ``webhook`` or ``sns``. For a webhook, ``secret`` in the answer is
        the signing secret, shown this once."""
        return await self._run(_core.create_subscription(product, account=account, channel=channel, target=target))

    async def list_subscriptions(self, *, product: Optional[str] = None) -> List[m.Subscription]:
        """Subscriptions the token may see."""
        return await self._run(_core.list_subscriptions(product=product))

    async def delete_subscription(self, subscription_id: int) -> None:
        """Removes a subscription (404 if the token may not see it)."""
        return await self._run(_core.delete_subscription(subscription_id))

    async def submit_proposal(self, contract: Union[str, bytes, "os.PathLike[str]"]) -> m.Proposal:
        """Submits an ODCS contract (YAML text or a path). A contract with
        errors raises :class:`InvalidContractError` with its findings."""
        return await self._run(_core.submit_proposal(contract))

    async def list_proposals(
        self,
        *,
        status: Optional[str] = None,
        product: Optional[str] = None,
        submitted_by: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> List[m.Proposal]:
        """Proposals, newest first."""
        return await self._run(_core.list_proposals(
            status=status, product=product, submitted_by=submitted_by, limit=limit, offset=offset))
