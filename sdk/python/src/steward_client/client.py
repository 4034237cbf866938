"""The synchronous client. Every operation is built by :mod:`._core`; this
class only sends it, with retries."""

from __future__ import annotations

import time
import os
from types import TracebackType
from typing import List, Optional, Sequence, Type, TypeVar, Union

import httpx

from . import _core
from . import models as m
from ._core import Call, PartitionArg, RetryPolicy

T = TypeVar("T")

__all__ = ["StewardClient"]


class StewardClient:
    """Steward's REST API, synchronously.

    ``url`` and ``token`` default to ``STEWARD_URL`` (else
    ``http://127.0.0.1:8080``) and ``STEWARD_TOKEN``, like the CLI. Use it as
    a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        timeout: float = 30.0,
        retry: Optional[RetryPolicy] = None,
        transport: Optional[httpx.BaseTransport] = None,
    ) -> None:
        self.url, token = _core.settings(url, token)
        self.retry = retry or RetryPolicy()
        self._http = httpx.Client(
            base_url=self.url, headers=_core.default_headers(token), timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "StewardClient":
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.close()

    def _run(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(
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
            time.sleep(delay)

    def report_refresh(
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
        return self._run(_core.report_refresh(
            product, partition=partition, table=table, snapshot_id=snapshot_id,
            row_count=row_count, idempotency_key=idempotency_key, major=major))

    def get_refresh(self, product: str, refresh_id: int) -> m.RefreshStatus:
        """A refresh with the state of its ``_SUCCESS`` marker and notifications."""
        return self._run(_core.get_refresh(product, refresh_id))

    def list_refreshes(
        self, product: str, *, table: Optional[str] = None, limit: Optional[int] = None
    ) -> List[m.Refresh]:
        """The product's refreshes, newest first."""
        return self._run(_core.list_refreshes(product, table=table, limit=limit))

    def find_refresh(
        self, product: str, partition: PartitionArg, *, table: Optional[str] = None
    ) -> Optional[m.Refresh]:
        """The newest refresh of ``partition`` (among the last 500), or ``None``."""
        return self._run(_core.find_refresh(product, partition, table=table))

    def list_partitions(
        self, product: str, *, table: Optional[str] = None, limit: Optional[int] = None
    ) -> List[m.Partition]:
        """Partitions refreshes added to the (embedded) catalog."""
        return self._run(_core.list_partitions(product, table=table, limit=limit))

    def search_products(
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
        return self._run(_core.search_products(
            q, domain=domain, tag=tag, classification=classification, owner=owner, limit=limit, offset=offset))

    def get_product(self, key: str) -> m.ProductDetail:
        """A published product: tables, columns, partition keys, SLO, contacts."""
        return self._run(_core.get_product(key))

    def request_access(
        self, product: str, *, account: str, justification: str, duration_days: Optional[int] = None
    ) -> m.AccessRequest:
        """Asks for access to ``product`` for ``account`` (a pending request)."""
        return self._run(_core.request_access(
            product, account=account, justification=justification, duration_days=duration_days))

    def list_access_requests(
        self, *, status: Optional[str] = None, product: Optional[str] = None, limit: Optional[int] = None
    ) -> List[m.AccessRequest]:
        """Access requests the token may read, newest first."""
        return self._run(_core.list_access_requests(status=status, product=product, limit=limit))

    def list_grants(
        self, *, status: Optional[str] = None, product: Optional[str] = None, limit: Optional[int] = None
    ) -> List[m.Grant]:
        """Grants (``active``, ``revoked``, ``expired``) the token may read."""
        return self._run(_core.list_grants(status=status, product=product, limit=limit))

    def create_subscription(
        self, product: str, *, account: str, channel: str, target: str
    ) -> m.Subscription:
        """Subscribes ``account`` to the product's refreshes by ``email``,
        ``webhook`` or ``sns``. For a webhook, ``secret`` in the answer is
        the signing secret, shown this once."""
        return self._run(_core.create_subscription(product, account=account, channel=channel, target=target))

    def list_subscriptions(self, *, product: Optional[str] = None) -> List[m.Subscription]:
        """Subscriptions the token may see."""
        return self._run(_core.list_subscriptions(product=product))

    def delete_subscription(self, subscription_id: int) -> None:
        """Removes a subscription (404 if the token may not see it)."""
        return self._run(_core.delete_subscription(subscription_id))

    def submit_proposal(self, contract: Union[str, bytes, "os.PathLike[str]"]) -> m.Proposal:
        """Submits an ODCS contract (YAML text or a path). A contract with
        errors raises :class:`InvalidContractError` with its findings."""
        return self._run(_core.submit_proposal(contract))

    def list_proposals(
        self,
        *,
        status: Optional[str] = None,
        product: Optional[str] = None,
        submitted_by: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> List[m.Proposal]:
        """Proposals, newest first."""
        return self._run(_core.list_proposals(
            status=status, product=product, submitted_by=submitted_by, limit=limit, offset=offset))
