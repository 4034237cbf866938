"""verify_webhook_signature: vectors from the documented recipe, and a real
delivery from the server to a local receiver."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from conftest import GRANTED, PRODUCT, TABLE, Receiver, Steward

from steward_client import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    StewardClient,
    WebhookVerificationError,
    sign_webhook,
    verify_webhook,
    verify_webhook_signature,
)

SECRET = "whsec_test"
BODY = b'{"product":"sales.orders","partition":"dt=2026-11-21"}'
T = 1_764_000_000
# HMAC-SHA256(key "whsec_test", message "1764000000." + BODY), as lower-case hex.
V1 = "3b87ca2e12e2a2ea93a71f2e01ef9c2b56ad674a9a39ac95a8b46d667e6d1985"


def test_documented_recipe_vectors() -> None:
    assert hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest() == V1
    header = f"t={T},v1={V1}"
    assert sign_webhook(SECRET, BODY, timestamp=T) == header
    assert verify_webhook_signature(SECRET, header, BODY, now=T)
    assert verify_webhook(SECRET, header, BODY, now=T + 299) == T
    # Any one v1 of several (rotation); unknown entries ignored; spaces allowed.
    assert verify_webhook_signature(SECRET, f"t={T}, v1={'0' * 64}, v2=zzz, v1={V1}", BODY, now=T)
    # Headers given as a mapping, any case.
    assert verify_webhook_signature(SECRET, {"steward-signature": header}, BODY, now=T)
    # Text bodies are their UTF-8 bytes.
    assert verify_webhook_signature(SECRET, header, BODY.decode(), now=T)


@pytest.mark.parametrize(
    "header, body, now, why",
    [
        (f"t={T},v1={V1}", BODY + b" ", T, "no `v1` signature matches"),
        (f"t={T},v1={V1}", BODY, T + 301, "away from now"),
        (f"t={T},v1={V1}", BODY, T - 301, "away from now"),
        (f"v1={V1}", BODY, T, "timestamp"),
        (f"t={T},t={T},v1={V1}", BODY, T, "timestamp"),
        (f"t=abc,v1={V1}", BODY, T, "timestamp"),
        (f"t={T}", BODY, T, "no `v1`"),
        ("", BODY, T, "no Steward-Signature"),
    ],
)
def test_refused(header: str, body: bytes, now: int, why: str) -> None:
    assert not verify_webhook_signature(SECRET, header, body, now=now)
    with pytest.raises(WebhookVerificationError, match=why):
        verify_webhook(SECRET, header, body, now=now)
    assert not verify_webhook_signature("whsec_other", f"t={T},v1={V1}", BODY, now=T)


def test_a_real_delivery_verifies(steward: Steward, receiver: Receiver) -> None:
    with StewardClient(steward.url, steward.consumer) as consumer:
        sub = consumer.create_subscription(
            PRODUCT, account=GRANTED, channel="webhook", target=receiver.url + "/steward"
        )
    assert sub.secret and sub.secret.startswith("whsec_")
    try:
        with StewardClient(steward.url, steward.producer) as producer:
            out = producer.report_refresh(PRODUCT, table=TABLE, partition="dt=2026-08-01", row_count=5)
        assert out.notifications >= 1
        got = receiver.wait_for(1)[0]
        headers = {k.lower(): v for k, v in got.headers.items()}
        assert got.path == "/steward"
        assert headers[EVENT_ID_HEADER.lower()]
        assert verify_webhook_signature(sub.secret, got.headers, got.body)
        assert verify_webhook(sub.secret, headers[SIGNATURE_HEADER.lower()], got.body) > 0
        assert not verify_webhook_signature("whsec_wrong", got.headers, got.body)
        assert not verify_webhook_signature(sub.secret, got.headers, got.body + b"\n")
        event = json.loads(got.body)
        assert event["partition"] == "dt=2026-08-01"
        assert event["marker"] == out.marker
    finally:
        with StewardClient(steward.url, steward.consumer) as consumer:
            consumer.delete_subscription(sub.id)
