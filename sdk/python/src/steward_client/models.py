"""Request and response types of the Steward REST API.

Each class names the schema of ``docs/openapi.json`` it mirrors in
``__schema__``; a test compares every field with that schema (name, type,
required-ness), so a change of the API that these types do not follow fails
the SDK's tests. Fields the server adds later are ignored when reading, so an
older SDK keeps working with a newer server.

Enumerations (statuses, channels, roles) are plain ``str``: a value a newer
server introduces is passed through rather than refused.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Type, TypeVar, Union, get_type_hints

__all__ = [
    "AccessRequest",
    "AccessRequestInput",
    "CatalogTable",
    "Column",
    "Contact",
    "Description",
    "FacetCount",
    "Facets",
    "Finding",
    "Grant",
    "MarkerStatus",
    "NotificationStatus",
    "Partition",
    "ProductDetail",
    "ProductSummary",
    "Proposal",
    "Refresh",
    "RefreshInput",
    "RefreshOutcome",
    "RefreshStatus",
    "SearchPage",
    "Slo",
    "Subscription",
    "SubscriptionInput",
    "MODELS",
    "REQUEST_MODELS",
    "parse_datetime",
]

T = TypeVar("T")


def parse_datetime(value: str) -> datetime:
    """An RFC 3339 timestamp as an aware ``datetime`` (any Python >= 3.9:
    ``Z`` and more than six fraction digits are accepted)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    m = re.match(r"^(.*?\.\d{6})\d+(.*)$", text)
    if m:
        text = m.group(1) + m.group(2)
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def _decode(tp: Any, value: Any) -> Any:
    origin = getattr(tp, "__origin__", None)
    if tp is Any:
        return value
    if origin is Union:
        if value is None:
            return None
        args = [a for a in tp.__args__ if a is not type(None)]
        return _decode(args[0], value)
    if origin in (list, List):
        (item,) = tp.__args__
        return [_decode(item, v) for v in value]
    if origin in (dict, Dict):
        _, item = tp.__args__
        return {k: _decode(item, v) for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_json(tp, value)
    if tp is datetime:
        return parse_datetime(value)
    if tp is float and isinstance(value, int):
        return float(value)
    return value


_HINTS: Dict[type, Dict[str, Any]] = {}


def type_hints(cls: type) -> Dict[str, Any]:
    """The resolved annotations of a model (cached)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = get_type_hints(cls, vars(sys.modules[cls.__module__]))
        _HINTS[cls] = hints
    return hints


def from_json(cls: Type[T], data: Mapping[str, Any]) -> T:
    """Reads a JSON object as ``cls``: unknown keys are ignored, missing
    optional ones take their defaults, a missing required one is a
    ``ValueError``."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
    hints = type_hints(cls)
    kwargs: Dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        key = f.metadata.get("json", f.name)
        if key in data:
            kwargs[f.name] = _decode(hints[f.name], data[key])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"{cls.__name__}: the answer has no `{key}`")
    return cls(**kwargs)


def to_json(obj: Any) -> Dict[str, Any]:
    """A request model as a JSON object; ``None`` fields are left out."""
    out: Dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is not None:
            out[f.metadata.get("json", f.name)] = value
    return out


# ---------------------------------------------------------------- requests


@dataclass
class RefreshInput:
    """A producer's refresh report (``POST /products/{key}/refreshes``)."""

    __schema__: ClassVar[str] = "RefreshInput"
    partition: Optional[Dict[str, str]] = None
    table: Optional[str] = None
    snapshot_id: Optional[str] = None
    idempotency_key: Optional[str] = None
    row_count: Optional[int] = None
    #: The major the refresh is of, while an older one is published beside
    #: the newest (default: the newest).
    major: Optional[int] = None


@dataclass
class AccessRequestInput:
    """A consumer's request for access (``POST /products/{key}/access-requests``)."""

    __schema__: ClassVar[str] = "AccessRequestInput"
    account: str
    justification: str
    duration_days: Optional[int] = None


@dataclass
class SubscriptionInput:
    """A new subscription (``POST /products/{key}/subscriptions``)."""

    __schema__: ClassVar[str] = "SubscriptionInput"
    account: str
    channel: str
    target: str


# ---------------------------------------------------------------- answers


@dataclass
class Finding:
    """A validation or evolution finding of a contract."""

    __schema__: ClassVar[str] = "Finding"
    rule: str
    severity: str
    message: str
    path: str
    line: int
    column: int
    document: Optional[str] = None


@dataclass
class Refresh:
    """A recorded refresh."""

    __schema__: ClassVar[str] = "Refresh"
    id: int
    product_key: str
    table: str
    idempotency_key: str
    partition: str
    partition_values: List[str]
    location: str
    reported_by: str
    reported_at: datetime
    row_count: Optional[int] = None
    snapshot_id: Optional[str] = None


@dataclass
class RefreshOutcome:
    """The answer to a refresh report. ``replayed`` is true when the
    idempotency key had been seen before: nothing was done again."""

    __schema__: ClassVar[str] = "RefreshOutcome"
    refresh: Refresh
    replayed: bool
    partition_added: bool
    notifications: int
    marker: str


@dataclass
class MarkerStatus:
    """A refresh's ``_SUCCESS`` marker: ``state`` is ``pending``, ``failed``,
    ``written``, ``dead`` or ``missing``."""

    __schema__: ClassVar[str] = "MarkerStatus"
    uri: str
    state: str
    attempts: int
    job_id: Optional[int] = None
    error: Optional[str] = None
    next_attempt_at: Optional[datetime] = None
    written_at: Optional[datetime] = None


@dataclass
class NotificationStatus:
    """The subscribers' notifications about a refresh, by state."""

    __schema__: ClassVar[str] = "NotificationStatus"
    total: int
    pending: int
    done: int
    dead: int
    blocked: bool


@dataclass
class RefreshStatus:
    """A refresh with its marker and notifications."""

    __schema__: ClassVar[str] = "RefreshStatus"
    refresh: Refresh
    marker: MarkerStatus
    notifications: NotificationStatus


@dataclass
class Partition:
    """A partition that refreshes added to the catalog."""

    __schema__: ClassVar[str] = "Partition"
    table: str
    partition: str
    values: List[str]
    location: str
    created_at: datetime


@dataclass
class FacetCount:
    __schema__: ClassVar[str] = "FacetCount"
    value: str
    count: int
    selected: bool


@dataclass
class Facets:
    __schema__: ClassVar[str] = "Facets"
    domains: List[FacetCount]
    tags: List[FacetCount]
    capped: bool


@dataclass
class ProductSummary:
    """One search hit."""

    __schema__: ClassVar[str] = "ProductSummary"
    key: str
    domain: str
    name: str
    version: str
    status: str
    description: str
    owner_team: str
    classification: str
    tags: List[str]
    matched_columns: List[str]
    slo_health: str
    has_access: bool
    breaking_change_pending: bool


@dataclass
class SearchPage:
    """A page of search hits; ``total`` counts every match (up to 1,000)."""

    __schema__: ClassVar[str] = "SearchPage"
    total: int
    items: List[ProductSummary]
    total_capped: Optional[bool] = None
    facets: Optional[Facets] = None


@dataclass
class Description:
    __schema__: ClassVar[str] = "Description"
    purpose: str
    usage: Optional[str] = None
    limitations: Optional[str] = None


@dataclass
class Contact:
    __schema__: ClassVar[str] = "Contact"
    channel: Optional[str] = None
    tool: Optional[str] = None
    url: Optional[str] = None


@dataclass
class Slo:
    __schema__: ClassVar[str] = "Slo"
    schedule: str
    timezone: str
    grace_minutes: int
    table: Optional[str] = None


@dataclass
class Column:
    __schema__: ClassVar[str] = "Column"
    name: str
    logical_type: str
    required: bool
    tags: List[str]
    classification: Optional[str] = None
    description: Optional[str] = None
    partition_position: Optional[int] = None
    physical_type: Optional[str] = None


@dataclass
class CatalogTable:
    __schema__: ClassVar[str] = "CatalogTable"
    database: str
    name: str
    description: str
    location: str
    format: str
    columns: List[Column]
    partition_keys: List[str]
    parameters: Dict[str, str]


@dataclass
class ProductDetail:
    """Everything the catalog shows about a published product."""

    __schema__: ClassVar[str] = "ProductDetail"
    key: str
    domain: str
    product: str
    version: str
    status: str
    name: str
    description: Description
    owner_team: str
    contacts: List[Contact]
    classification: str
    tags: List[str]
    slo: List[Slo]
    database: str
    tables: List[CatalogTable]


@dataclass
class AccessRequest:
    """A request for access to a product for one account; ``status`` is
    ``pending``, ``approved``, ``rejected`` or ``cancelled``."""

    __schema__: ClassVar[str] = "AccessRequest"
    id: int
    product_key: str
    account: str
    requested_by: str
    justification: str
    status: str
    requested_at: datetime
    comment: Optional[str] = None
    decided_at: Optional[datetime] = None
    decided_by: Optional[str] = None
    duration_days: Optional[int] = None
    renews: Optional[int] = None


@dataclass
class Grant:
    """An account's access to a product; ``status`` is ``active``,
    ``revoked`` or ``expired``."""

    __schema__: ClassVar[str] = "Grant"
    id: int
    product_key: str
    account: str
    status: str
    granted_by: str
    granted_at: datetime
    ended_at: Optional[datetime] = None
    ended_by: Optional[str] = None
    expires_at: Optional[datetime] = None
    request_id: Optional[int] = None
    share_arn: Optional[str] = None
    #: The contract major version the grant was approved against.
    major: int = 1
    #: The newer major its holder acknowledged instead of migrating.
    acknowledged_major: Optional[int] = None


@dataclass
class Subscription:
    """A subscription to a product's refreshes. ``secret`` (webhooks) is
    only in the answer that creates it: keep it to verify deliveries."""

    __schema__: ClassVar[str] = "Subscription"
    id: int
    product_key: str
    account: str
    channel: str
    target: str
    created_by: str
    created_at: datetime
    removed_at: Optional[datetime] = None
    #: The contract major version whose refreshes it receives.
    major: int = 1
    secret: Optional[str] = field(default=None, repr=False)


@dataclass
class Proposal:
    """A submitted contract and what became of it."""

    __schema__: ClassVar[str] = "Proposal"
    id: int
    product_key: str
    version: str
    status: str
    contract: str = field(repr=False)
    findings: List[Finding]
    breaking: bool
    submitted_by: str
    submitted_at: datetime
    branch_commit: Optional[str] = None
    comment: Optional[str] = None
    decided_at: Optional[datetime] = None
    decided_by: Optional[str] = None
    merge_commit: Optional[str] = None


REQUEST_MODELS: List[type] = [RefreshInput, AccessRequestInput, SubscriptionInput]
"""Models the SDK sends."""

MODELS: List[type] = REQUEST_MODELS + [
    Finding,
    Refresh,
    RefreshOutcome,
    MarkerStatus,
    NotificationStatus,
    RefreshStatus,
    Partition,
    FacetCount,
    Facets,
    ProductSummary,
    SearchPage,
    Description,
    Contact,
    Slo,
    Column,
    CatalogTable,
    ProductDetail,
    AccessRequest,
    Grant,
    Subscription,
    Proposal,
]
"""Every model, for the drift test against docs/openapi.json."""
