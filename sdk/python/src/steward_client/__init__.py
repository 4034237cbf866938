"""Python client for Steward, the data catalog and data-mesh governance
service: :class:`StewardClient` (sync) and :class:`AsyncStewardClient`
(asyncio), typed answers (:mod:`steward_client.models`), typed errors
(:mod:`steward_client.errors`) and webhook verification."""

from ._core import DEFAULT_URL, NO_RETRY, RetryPolicy, __version__, parse_partition
from .aio import AsyncStewardClient
from .client import StewardClient
from .errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InvalidContractError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    ServerError,
    StewardConnectionError,
    StewardError,
    UnauthorizedError,
    UnavailableError,
    UnsupportedMediaTypeError,
)
from .models import (
    AccessRequest,
    Finding,
    Grant,
    Partition,
    ProductDetail,
    ProductSummary,
    Proposal,
    Refresh,
    RefreshOutcome,
    RefreshStatus,
    SearchPage,
    Subscription,
)
from .webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    WebhookVerificationError,
    sign_webhook,
    verify_webhook,
    verify_webhook_signature,
)

__all__ = [
    "AccessRequest",
    "AsyncStewardClient",
    "BadRequestError",
    "ConflictError",
    "DEFAULT_URL",
    "EVENT_ID_HEADER",
    "Finding",
    "ForbiddenError",
    "Grant",
    "InvalidContractError",
    "NO_RETRY",
    "NotFoundError",
    "Partition",
    "PayloadTooLargeError",
    "ProductDetail",
    "ProductSummary",
    "Proposal",
    "RateLimitedError",
    "Refresh",
    "RefreshOutcome",
    "RefreshStatus",
    "RetryPolicy",
    "SIGNATURE_HEADER",
    "SearchPage",
    "ServerError",
    "StewardClient",
    "StewardConnectionError",
    "StewardError",
    "Subscription",
    "UnauthorizedError",
    "UnavailableError",
    "UnsupportedMediaTypeError",
    "WebhookVerificationError",
    "__version__",
    "parse_partition",
    "sign_webhook",
    "verify_webhook",
    "verify_webhook_signature",
]
