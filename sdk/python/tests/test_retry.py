"""Refresh reports retry transient failures with one idempotency key, and
the server records the refresh once."""

from __future__ import annotations

import json
import socket
import uuid

import pytest
from conftest import PRODUCT, TABLE, Proxy, Steward

from steward_client import (
    NO_RETRY,
    RetryPolicy,
    StewardClient,
    StewardConnectionError,
    UnavailableError,
)

FAST = RetryPolicy(max_attempts=4, backoff=0.01, jitter=False)


def _keys(proxy: Proxy) -> list:
    return [json.loads(body)["idempotency_key"] for method, path, body in proxy.seen if method == "POST"]


def _recorded(steward: Steward, key: str) -> int:
    with StewardClient(steward.url, steward.producer) as client:
        return sum(r.idempotency_key == key for r in client.list_refreshes(PRODUCT, limit=500))


def test_503_then_success_records_once_with_one_key(steward: Steward, proxy: Proxy) -> None:
    proxy.fail(503, headers={"Retry-After": "0"})
    with StewardClient(proxy.url, steward.producer, retry=FAST) as client:
        out = client.report_refresh(PRODUCT, table=TABLE, partition="dt=2026-10-01")
    keys = _keys(proxy)
    assert len(keys) == 2, proxy.seen
    assert keys[0] == keys[1] == out.refresh.idempotency_key
    assert out.replayed is False
    assert _recorded(steward, keys[0]) == 1


def test_lost_answer_is_replayed_not_recorded_twice(steward: Steward, proxy: Proxy) -> None:
    # The first attempt reaches Steward, which records it; its answer is lost (502).
    proxy.fail(502, forward=True)
    with StewardClient(proxy.url, steward.producer, retry=FAST) as client:
        out = client.report_refresh(PRODUCT, table=TABLE, partition="dt=2026-10-02", idempotency_key="given-key-1")
    assert _keys(proxy) == ["given-key-1", "given-key-1"]
    assert out.replayed is True, "the second attempt found the first one's refresh"
    assert _recorded(steward, "given-key-1") == 1


def test_429_with_retry_after_is_waited_out(steward: Steward, proxy: Proxy) -> None:
    proxy.fail(429, headers={"Retry-After": "1"})
    with StewardClient(proxy.url, steward.producer, retry=FAST) as client:
        out = client.report_refresh(PRODUCT, table=TABLE, partition="dt=2026-10-03")
    assert len(_keys(proxy)) == 2
    assert _recorded(steward, out.refresh.idempotency_key) == 1


def test_gives_up_after_max_attempts(steward: Steward, proxy: Proxy) -> None:
    for _ in range(3):
        proxy.fail(503, forward=False)
    policy = RetryPolicy(max_attempts=3, backoff=0.01, jitter=False)
    key = f"k-{uuid.uuid4()}"
    with StewardClient(proxy.url, steward.producer, retry=policy) as client, pytest.raises(UnavailableError) as err:
        client.report_refresh(PRODUCT, table=TABLE, partition="dt=2026-10-04", idempotency_key=key)
    assert err.value.status == 503
    assert _keys(proxy) == [key] * 3
    assert _recorded(steward, key) == 0


def test_no_retry_policy_fails_at_once(steward: Steward, proxy: Proxy) -> None:
    proxy.fail(503)
    with StewardClient(proxy.url, steward.producer, retry=NO_RETRY) as client, pytest.raises(UnavailableError):
        client.report_refresh(PRODUCT, table=TABLE, partition="dt=2026-10-05")
    assert len(proxy.seen) == 1


def test_non_idempotent_calls_are_not_retried_after_a_lost_answer(steward: Steward, proxy: Proxy) -> None:
    proxy.fail(500, forward=False)
    with StewardClient(proxy.url, steward.consumer, retry=FAST) as client, pytest.raises(Exception) as err:
        client.create_subscription(PRODUCT, account="123456789012", channel="email", target="x@example.com")
    assert getattr(err.value, "status", None) == 500
    assert len(proxy.seen) == 1


def test_connection_refused_is_retried_then_raised() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    policy = RetryPolicy(max_attempts=3, backoff=0.01, jitter=False)
    with StewardClient(f"http://127.0.0.1:{port}", "stw_x", retry=policy) as client:
        with pytest.raises(StewardConnectionError) as err:
            client.report_refresh(PRODUCT, partition="dt=2026-10-06")
    assert "3 attempt(s)" in str(err.value)
