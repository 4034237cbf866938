"""What the sync and the async client share: every operation as a
:class:`Call` (method, path, query, body, how to read the answer), the
retry decisions, and the settings. The clients only send a ``Call`` and
sleep between attempts; nothing here does I/O.
"""

from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Generic, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union
from urllib.parse import quote

import httpx

from . import models as m
from .errors import StewardConnectionError, StewardError, error_from_response, retry_after_seconds

__version__ = "0.1.0"

DEFAULT_URL = "http://127.0.0.1:8080"
API = "/api/v1"
USER_AGENT = f"steward-client/{__version__} (python; httpx {httpx.__version__})"

T = TypeVar("T")

PartitionArg = Union[str, Mapping[str, str], None]
"""A partition as ``{"dt": "2026-11-21"}`` or as ``"dt=2026-11-21/region=eu"``."""

# Every (method, path) the SDK calls, as in docs/openapi.json.
ENDPOINTS: Dict[str, Tuple[str, str]] = {
    "report_refresh": ("POST", "/api/v1/products/{key}/refreshes"),
    "list_refreshes": ("GET", "/api/v1/products/{key}/refreshes"),
    "get_refresh": ("GET", "/api/v1/products/{key}/refreshes/{id}"),
    "list_partitions": ("GET", "/api/v1/products/{key}/partitions"),
    "search_products": ("GET", "/api/v1/products"),
    "get_product": ("GET", "/api/v1/products/{key}"),
    "request_access": ("POST", "/api/v1/products/{key}/access-requests"),
    "list_access_requests": ("GET", "/api/v1/access-requests"),
    "list_grants": ("GET", "/api/v1/grants"),
    "create_subscription": ("POST", "/api/v1/products/{key}/subscriptions"),
    "list_subscriptions": ("GET", "/api/v1/subscriptions"),
    "delete_subscription": ("DELETE", "/api/v1/subscriptions/{id}"),
    "submit_proposal": ("POST", "/api/v1/proposals"),
    "list_proposals": ("GET", "/api/v1/proposals"),
}


@dataclass
class Call(Generic[T]):
    """One API operation, ready to send, and how to read its answer."""

    endpoint: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Tuple[Tuple[str, str], ...] = ()
    json: Optional[Dict[str, Any]] = None
    content: Optional[bytes] = None
    headers: Dict[str, str] = field(default_factory=dict)
    idempotent: bool = False
    """Safe to send again after an answer was lost (reads, keyed refreshes)."""

    @property
    def method(self) -> str:
        return ENDPOINTS[self.endpoint][0]


def settings(url: Optional[str], token: Optional[str]) -> Tuple[str, str]:
    """The base URL and token: the arguments, else ``STEWARD_URL`` (default
    ``http://127.0.0.1:8080``) and ``STEWARD_TOKEN``, as the CLI reads them."""
    base = (url or os.environ.get("STEWARD_URL") or DEFAULT_URL).rstrip("/")
    secret = token if token is not None else os.environ.get("STEWARD_TOKEN")
    if not secret:
        raise ValueError("no token: pass token= or set STEWARD_TOKEN")
    return base, secret


def default_headers(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT, "Accept": "application/json"}


# ------------------------------------------------------------------ retries


@dataclass
class RetryPolicy:
    """When a call is tried again.

    Retried: a connection that could not be made (any call: nothing was
    sent), 429, 502, 503 and 504, and for idempotent calls (reads, refresh
    reports, which carry their idempotency key) also 500 and a connection
    lost after sending. Waits ``backoff * 2**(attempt-1)`` seconds (with
    jitter, at most ``max_backoff``), or what ``Retry-After`` says if that
    is longer (at most ``max_retry_after``).
    """

    max_attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    jitter: bool = True

    def _delay(self, attempt: int, retry_after: Optional[float] = None) -> float:
        delay: float = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        if self.jitter:
            delay *= random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return delay

    def after_response(self, call: Call[Any], attempt: int, response: httpx.Response) -> Optional[float]:
        """Seconds to wait before trying again, or ``None`` to stop here."""
        if attempt >= self.max_attempts:
            return None
        status = response.status_code
        if status in (429, 502, 503, 504) or (status == 500 and call.idempotent):
            return self._delay(attempt, retry_after_seconds(response))
        return None

    def after_error(self, call: Call[Any], attempt: int, error: httpx.TransportError) -> Optional[float]:
        if attempt >= self.max_attempts:
            return None
        if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)) or call.idempotent:
            return self._delay(attempt)
        return None


NO_RETRY = RetryPolicy(max_attempts=1)


def finish(call: Call[T], response: httpx.Response) -> T:
    """The parsed answer, or the error it stands for."""
    if 200 <= response.status_code < 300:
        try:
            return call.parse(response)
        except (ValueError, TypeError, KeyError) as e:
            raise StewardError(
                f"unexpected answer from {call.method} {call.path}: {e}", status=response.status_code, body=response.text
            ) from e
    raise error_from_response(response)


def connection_error(base: str, call: Call[Any], error: Exception, attempts: int) -> StewardConnectionError:
    return StewardConnectionError(
        f"cannot reach Steward at {base} ({call.method} {call.path}, {attempts} attempt(s)): {error}"
    )


# ------------------------------------------------------------------ parsing


def _one(cls: "type[T]") -> Callable[[httpx.Response], T]:
    return lambda r: m.from_json(cls, r.json())


def _many(cls: "type[T]") -> Callable[[httpx.Response], List[T]]:
    def parse(r: httpx.Response) -> List[T]:
        data = r.json()
        if not isinstance(data, list):
            raise ValueError("expected a JSON array")
        return [m.from_json(cls, x) for x in data]

    return parse


def _nothing(_: httpx.Response) -> None:
    return None


def _seg(value: Union[str, int]) -> str:
    return quote(str(value), safe="")


def _path(endpoint: str, **segments: Union[str, int]) -> str:
    return ENDPOINTS[endpoint][1].format(**{k: _seg(v) for k, v in segments.items()})


def _query(**params: Union[None, str, int, bool, Sequence[str]]) -> Tuple[Tuple[str, str], ...]:
    out: List[Tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            out.extend((key, str(v)) for v in value)
        elif isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        else:
            out.append((key, str(value)))
    return tuple(out)


def parse_partition(partition: PartitionArg) -> Dict[str, str]:
    """``"dt=2026-11-21/region=eu"`` (Hive style, as Steward prints it) or
    a mapping, as the partition values by key."""
    if partition is None:
        return {}
    if isinstance(partition, Mapping):
        return {str(k): str(v) for k, v in partition.items()}
    out: Dict[str, str] = {}
    for part in str(partition).split("/"):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"partition `{partition}`: use key=value, e.g. dt=2026-11-21 (several joined by /)")
        out[key.strip()] = value.strip()
    return out


def new_idempotency_key() -> str:
    return f"sdk-{uuid.uuid4()}"


# --------------------------------------------------------------- operations


def report_refresh(
    product: str,
    *,
    partition: PartitionArg = None,
    table: Optional[str] = None,
    snapshot_id: Optional[str] = None,
    row_count: Optional[int] = None,
    idempotency_key: Optional[str] = None,
    major: Optional[int] = None,
) -> Call[m.RefreshOutcome]:
    body = m.RefreshInput(
        partition=parse_partition(partition),
        table=table,
        snapshot_id=snapshot_id,
        row_count=row_count,
        major=major,
        # Chosen once, here, so every retry of this call carries the same key.
        idempotency_key=idempotency_key or new_idempotency_key(),
    )
    return Call(
        "report_refresh",
        _path("report_refresh", key=product),
        _one(m.RefreshOutcome),
        json=m.to_json(body),
        idempotent=True,
    )


def list_refreshes(product: str, *, table: Optional[str] = None, limit: Optional[int] = None) -> Call[List[m.Refresh]]:
    return Call(
        "list_refreshes",
        _path("list_refreshes", key=product),
        _many(m.Refresh),
        params=_query(table=table, limit=limit),
        idempotent=True,
    )


def find_refresh(product: str, partition: PartitionArg, *, table: Optional[str] = None) -> Call[Optional[m.Refresh]]:
    """The newest refresh of ``partition`` (of ``table``, if given) among the
    product's last 500, or ``None``."""
    values = parse_partition(partition)
    wanted = "/".join(f"{k}={v}" for k, v in values.items())
    listing = list_refreshes(product, table=table, limit=500)
    many = listing.parse

    def parse(r: httpx.Response) -> Optional[m.Refresh]:
        for refresh in many(r):
            if _same_partition(refresh, values, wanted):
                return refresh
        return None

    return Call("list_refreshes", listing.path, parse, params=listing.params, idempotent=True)


def _same_partition(refresh: m.Refresh, values: Dict[str, str], wanted: str) -> bool:
    if refresh.partition == wanted:
        return True
    # Same pairs in another order than the table's partition keys.
    got = parse_partition(refresh.partition) if refresh.partition else {}
    return got == values


def get_refresh(product: str, refresh_id: int) -> Call[m.RefreshStatus]:
    return Call(
        "get_refresh", _path("get_refresh", key=product, id=refresh_id), _one(m.RefreshStatus), idempotent=True
    )


def list_partitions(
    product: str, *, table: Optional[str] = None, limit: Optional[int] = None
) -> Call[List[m.Partition]]:
    return Call(
        "list_partitions",
        _path("list_partitions", key=product),
        _many(m.Partition),
        params=_query(table=table, limit=limit),
        idempotent=True,
    )


def search_products(
    q: Optional[str] = None,
    *,
    domain: Union[None, str, Sequence[str]] = None,
    tag: Union[None, str, Sequence[str]] = None,
    classification: Optional[str] = None,
    owner: Optional[str] = None,
    limit: Optional[int] = None,
    offset: Optional[int] = None,
) -> Call[m.SearchPage]:
    return Call(
        "search_products",
        _path("search_products"),
        _one(m.SearchPage),
        params=_query(
            q=q, domain=domain, tag=tag, classification=classification, owner=owner, limit=limit, offset=offset
        ),
        idempotent=True,
    )


def get_product(key: str) -> Call[m.ProductDetail]:
    return Call("get_product", _path("get_product", key=key), _one(m.ProductDetail), idempotent=True)


def request_access(
    product: str, *, account: str, justification: str, duration_days: Optional[int] = None
) -> Call[m.AccessRequest]:
    body = m.AccessRequestInput(account=account, justification=justification, duration_days=duration_days)
    return Call(
        "request_access", _path("request_access", key=product), _one(m.AccessRequest), json=m.to_json(body)
    )


def list_access_requests(
    *, status: Optional[str] = None, product: Optional[str] = None, limit: Optional[int] = None
) -> Call[List[m.AccessRequest]]:
    return Call(
        "list_access_requests",
        _path("list_access_requests"),
        _many(m.AccessRequest),
        params=_query(status=status, product=product, limit=limit),
        idempotent=True,
    )


def list_grants(
    *, status: Optional[str] = None, product: Optional[str] = None, limit: Optional[int] = None
) -> Call[List[m.Grant]]:
    return Call(
        "list_grants",
        _path("list_grants"),
        _many(m.Grant),
        params=_query(status=status, product=product, limit=limit),
        idempotent=True,
    )


def create_subscription(product: str, *, account: str, channel: str, target: str) -> Call[m.Subscription]:
    body = m.SubscriptionInput(account=account, channel=channel, target=target)
    return Call(
        "create_subscription",
        _path("create_subscription", key=product),
        _one(m.Subscription),
        json=m.to_json(body),
    )


def list_subscriptions(*, product: Optional[str] = None) -> Call[List[m.Subscription]]:
    return Call(
        "list_subscriptions",
        _path("list_subscriptions"),
        _many(m.Subscription),
        params=_query(product=product),
        idempotent=True,
    )


def delete_subscription(subscription_id: int) -> Call[None]:
    # Deleting twice is a 409 (already removed) the second time, not a second effect: retrying is safe.
    return Call(
        "delete_subscription", _path("delete_subscription", id=subscription_id), _nothing, idempotent=True
    )


def submit_proposal(contract: Union[str, bytes, "os.PathLike[str]"]) -> Call[m.Proposal]:
    """``contract``: the ODCS YAML text, or a path to the file."""
    if isinstance(contract, os.PathLike):
        data = Path(contract).read_bytes()
    elif isinstance(contract, bytes):
        data = contract
    else:
        data = contract.encode("utf-8")
    return Call(
        "submit_proposal",
        _path("submit_proposal"),
        _one(m.Proposal),
        content=data,
        headers={"Content-Type": "application/yaml"},
    )


def list_proposals(
    *,
    status: Optional[str] = None,
    product: Optional[str] = None,
    submitted_by: Optional[str] = None,
    limit: Optional[int] = None,
    offset: Optional[int] = None,
) -> Call[List[m.Proposal]]:
    return Call(
        "list_proposals",
        _path("list_proposals"),
        _many(m.Proposal),
        params=_query(status=status, product=product, submitted_by=submitted_by, limit=limit, offset=offset),
        idempotent=True,
    )
