"""Steward's error answers as exceptions.

Every error answer of the API has one body (``ErrorBody`` in
docs/openapi.json)::

    {"error": "not_found", "message": "...", "findings": [...],
     "proposal_id": 2, "error_id": "..."}

It is raised as the subclass of :class:`StewardError` for its status, with
``status``, ``code`` (the ``error`` field), ``message``, ``error_id`` (5xx:
quote it to the operator), ``findings`` (422) and ``proposal_id``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Type

import httpx

from .models import Finding, from_json

__all__ = [
    "StewardError",
    "StewardConnectionError",
    "BadRequestError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "ConflictError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
    "InvalidContractError",
    "RateLimitedError",
    "ServerError",
    "UnavailableError",
    "error_from_response",
]


class StewardError(Exception):
    """An error answer from Steward (or, for :class:`StewardConnectionError`,
    no answer at all)."""

    status: int
    code: str
    message: str
    error_id: Optional[str]
    findings: List[Finding]
    proposal_id: Optional[int]
    retry_after: Optional[float]
    body: Any

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "",
        error_id: Optional[str] = None,
        findings: Optional[List[Finding]] = None,
        proposal_id: Optional[int] = None,
        retry_after: Optional[float] = None,
        body: Any = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.error_id = error_id
        self.findings = findings or []
        self.proposal_id = proposal_id
        self.retry_after = retry_after
        self.body = body
        super().__init__(message)

    def __str__(self) -> str:
        head = f"{self.status} {self.code}: {self.message}" if self.status else self.message
        lines = [head]
        for f in self.findings:
            lines.append(f"  {f.severity} {f.rule} at {f.path} (line {f.line}, column {f.column}): {f.message}")
        return "\n".join(lines)


class StewardConnectionError(StewardError):
    """Steward could not be reached (after the retries the call allows)."""


class BadRequestError(StewardError):
    """400: malformed parameters or body; the message names the field."""


class UnauthorizedError(StewardError):
    """401: no token, or an unknown, revoked or expired one."""


class ForbiddenError(StewardError):
    """403: the token's role or scope does not allow it."""


class NotFoundError(StewardError):
    """404: no such product, proposal, refresh, subscription..."""


class ConflictError(StewardError):
    """409: the state moved (already decided, duplicate request, key reused)."""


class PayloadTooLargeError(StewardError):
    """413: the body is over the server's limit."""


class UnsupportedMediaTypeError(StewardError):
    """415: wrong ``Content-Type``."""


class InvalidContractError(StewardError):
    """422: the contract failed validation; see ``findings``."""


class RateLimitedError(StewardError):
    """429 (from a proxy in front of Steward); ``retry_after`` in seconds."""


class ServerError(StewardError):
    """5xx; ``error_id`` names the cause in the server's log."""


class UnavailableError(ServerError):
    """503: try again shortly (``retry_after`` says when)."""


_BY_STATUS: Dict[int, Type[StewardError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: InvalidContractError,
    429: RateLimitedError,
    503: UnavailableError,
}


def retry_after_seconds(response: httpx.Response) -> Optional[float]:
    """``Retry-After`` in seconds (the delta form; an HTTP date is ignored)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        secs = float(value.strip())
    except ValueError:
        return None
    return secs if secs >= 0 else None


def error_from_response(response: httpx.Response) -> StewardError:
    """The exception for a non-2xx answer."""
    status = response.status_code
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else StewardError)
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        findings: List[Finding] = []
        for raw in body.get("findings") or []:
            try:
                findings.append(from_json(Finding, raw))
            except (ValueError, TypeError):
                pass
        return cls(
            body["message"],
            status=status,
            code=str(body.get("error") or ""),
            error_id=body.get("error_id"),
            findings=findings,
            proposal_id=body.get("proposal_id"),
            retry_after=retry_after_seconds(response),
            body=body,
        )
    text = response.text.strip()
    return cls(
        f"HTTP {status}: {text[:500] or response.reason_phrase}",
        status=status,
        code="",
        retry_after=retry_after_seconds(response),
        body=text,
    )
