"""Verifying Steward's webhook deliveries (docs/notifications.md).

A delivery is ``POST <url>`` with the event as JSON and the headers
``Steward-Event-Id`` (the same on every retry: deduplicate on it) and
``Steward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, where the HMAC
key is the subscription's secret and the message is ``"<t>." + raw body``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import List, Mapping, Optional, Union

__all__ = [
    "SIGNATURE_HEADER",
    "EVENT_ID_HEADER",
    "DEFAULT_TOLERANCE",
    "WebhookVerificationError",
    "verify_webhook_signature",
    "verify_webhook",
    "sign_webhook",
]

SIGNATURE_HEADER = "Steward-Signature"
EVENT_ID_HEADER = "Steward-Event-Id"
DEFAULT_TOLERANCE = 300
"""Seconds a signature's timestamp may be away from now (5 minutes)."""


class WebhookVerificationError(ValueError):
    """The delivery's signature is missing, malformed, too old, or wrong."""


def _bytes(value: Union[str, bytes]) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _signature(secret: Union[str, bytes], timestamp: str, body: bytes) -> str:
    return hmac.new(_bytes(secret), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def verify_webhook(
    secret: Union[str, bytes],
    header: Optional[str],
    body: Union[str, bytes],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: Optional[float] = None,
) -> int:
    """Checks a ``Steward-Signature`` header against the **raw** request body
    and returns its timestamp; raises :class:`WebhookVerificationError` saying
    why not. Any one matching ``v1`` entry is enough (several appear while a
    secret is rotated); unknown entries (a future ``v2``) are ignored."""
    if not header:
        raise WebhookVerificationError(f"no {SIGNATURE_HEADER} header")
    stamps: List[str] = []
    signatures: List[str] = []
    for part in header.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "t":
            stamps.append(value)
        elif key == "v1":
            signatures.append(value)
    if len(stamps) != 1 or not stamps[0].lstrip("-").isdigit():
        raise WebhookVerificationError("the signature has no single integer timestamp `t`")
    if not signatures:
        raise WebhookVerificationError("the signature has no `v1` entry")
    stamp = int(stamps[0])
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        raise WebhookVerificationError(
            f"the signature's timestamp is {int(abs(current - stamp))} s away from now (tolerance {tolerance} s)"
        )
    expected = _signature(secret, stamps[0], _bytes(body))
    if not any(hmac.compare_digest(expected, s.lower()) for s in signatures):
        raise WebhookVerificationError("no `v1` signature matches the secret and body")
    return stamp


def verify_webhook_signature(
    secret: Union[str, bytes],
    header: Union[None, str, Mapping[str, str]],
    body: Union[str, bytes],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: Optional[float] = None,
) -> bool:
    """True when a webhook delivery is authentic: ``header`` is the
    ``Steward-Signature`` value (or the request's headers, any case), ``body``
    the raw bytes received, ``secret`` the subscription's ``whsec_...``
    secret. Constant-time comparison; timestamps further than ``tolerance``
    seconds from ``now`` are refused (replays)."""
    if header is not None and not isinstance(header, str):
        header = next((v for k, v in header.items() if k.lower() == SIGNATURE_HEADER.lower()), None)
    try:
        verify_webhook(secret, header, body, tolerance=tolerance, now=now)
    except WebhookVerificationError:
        return False
    return True


def sign_webhook(secret: Union[str, bytes], body: Union[str, bytes], *, timestamp: Optional[int] = None) -> str:
    """A ``Steward-Signature`` value for ``body``, as Steward makes it (for
    tests of receivers)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return f"t={stamp},v1={_signature(secret, stamp, _bytes(body))}"
