"""Every operation of the synchronous client against the real server."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from conftest import ASKING, CONTRACT, GRANTED, PRODUCT, TABLE, Steward

from steward_client import (
    AccessRequest,
    ConflictError,
    InvalidContractError,
    NotFoundError,
    ProductDetail,
    RefreshOutcome,
    StewardClient,
    Subscription,
)


def test_reads_url_and_token_from_the_environment(steward: Steward, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_URL", steward.url + "/")
    monkeypatch.setenv("STEWARD_TOKEN", steward.consumer)
    with StewardClient() as client:
        assert client.url == steward.url
        assert client.get_product(PRODUCT).key == PRODUCT
    monkeypatch.delenv("STEWARD_TOKEN")
    monkeypatch.delenv("STEWARD_URL")
    with pytest.raises(ValueError, match="STEWARD_TOKEN"):
        StewardClient()


def test_report_get_list_refreshes(steward: Steward) -> None:
    key = f"nightly-{uuid.uuid4()}"
    with StewardClient(steward.url, steward.producer) as client:
        out = client.report_refresh(PRODUCT, table=TABLE, partition="dt=2026-11-21", row_count=1200, idempotency_key=key)
        assert isinstance(out, RefreshOutcome)
        assert out.replayed is False
        assert out.refresh.idempotency_key == key
        assert out.refresh.partition == "dt=2026-11-21"
        assert out.refresh.partition_values == ["2026-11-21"]
        assert out.refresh.row_count == 1200
        assert out.refresh.reported_by == "paul"
        assert isinstance(out.refresh.reported_at, datetime) and out.refresh.reported_at.tzinfo is not None
        assert out.marker.endswith("dt=2026-11-21/_SUCCESS"), out.marker

        again = client.report_refresh(PRODUCT, table=TABLE, partition={"dt": "2026-11-21"}, idempotency_key=key)
        assert again.replayed is True
        assert again.refresh.id == out.refresh.id

        status = client.get_refresh(PRODUCT, out.refresh.id)
        assert status.refresh.id == out.refresh.id
        assert status.marker.uri == out.marker
        assert status.marker.state in ("pending", "failed", "written")
        assert status.notifications.total >= 0

        listed = client.list_refreshes(PRODUCT, table=TABLE, limit=500)
        assert [r.id for r in listed].count(out.refresh.id) == 1
        assert client.list_refreshes(PRODUCT, table="no_such_table") == []

        found = client.find_refresh(PRODUCT, "dt=2026-11-21", table=TABLE)
        assert found is not None and found.partition == "dt=2026-11-21"
        assert client.find_refresh(PRODUCT, "dt=1999-01-01") is None

        parts = client.list_partitions(PRODUCT, table=TABLE)
        assert "dt=2026-11-21" in [p.partition for p in parts]


def test_search_and_show_products(steward: Steward) -> None:
    with StewardClient(steward.url, steward.consumer) as client:
        page = client.search_products("orders", domain=["sales"], limit=10)
        assert page.total >= 1
        hit = next(h for h in page.items if h.key == PRODUCT)
        assert hit.has_access is True
        assert hit.domain == "sales"
        assert client.search_products("orders", domain="marketing").total == 0
        assert client.search_products(tag=["revenue"]).total >= 1

        detail = client.get_product(PRODUCT)
        assert isinstance(detail, ProductDetail)
        assert detail.version == "1.0.0"
        table = next(t for t in detail.tables if t.name == TABLE)
        assert table.partition_keys == ["dt"]
        assert "order_id" in [c.name for c in table.columns]
        assert detail.description.purpose

        with pytest.raises(NotFoundError) as err:
            client.get_product("sales.nothing_here")
        assert err.value.status == 404
        assert err.value.code == "not_found"


def test_access_requests_and_grants(steward: Steward) -> None:
    with StewardClient(steward.url, steward.consumer) as client:
        req = client.request_access(PRODUCT, account=ASKING, justification="forecasting", duration_days=30)
        assert isinstance(req, AccessRequest)
        assert (req.status, req.account, req.duration_days, req.requested_by) == ("pending", ASKING, 30, "carla")

        pending = client.list_access_requests(status="pending", product=PRODUCT)
        assert req.id in [r.id for r in pending]
        with pytest.raises(ConflictError) as err:
            client.request_access(PRODUCT, account=ASKING, justification="again")
        assert err.value.code == "conflict"

        grants = client.list_grants(status="active", product=PRODUCT)
        assert [g.account for g in grants] == [GRANTED]
        assert grants[0].status == "active"


def test_subscriptions_create_list_delete(steward: Steward) -> None:
    with StewardClient(steward.url, steward.consumer) as client:
        sub = client.create_subscription(PRODUCT, account=GRANTED, channel="email", target="carla@example.com")
        assert isinstance(sub, Subscription)
        assert (sub.channel, sub.target, sub.account) == ("email", "carla@example.com", GRANTED)
        assert sub.secret is None
        assert sub.id in [s.id for s in client.list_subscriptions(product=PRODUCT)]
        assert client.delete_subscription(sub.id) is None
        assert sub.id not in [s.id for s in client.list_subscriptions(product=PRODUCT)]
        with pytest.raises(ConflictError, match="already removed"):
            client.delete_subscription(sub.id)
        with pytest.raises(NotFoundError):
            client.delete_subscription(987654)


def test_proposals_submit_and_list(steward: Steward) -> None:
    text = CONTRACT.read_text().replace("version: 1.0.0", "version: 1.1.0", 1)
    with StewardClient(steward.url, steward.producer) as client:
        proposal = client.submit_proposal(text)
        assert (proposal.status, proposal.version, proposal.product_key) == ("pending_review", "1.1.0", PRODUCT)
        assert proposal.submitted_by == "paul"
        listed = client.list_proposals(product=PRODUCT, status="pending_review")
        assert [p.id for p in listed] == [proposal.id]
        assert {p.status for p in client.list_proposals(submitted_by="paul")} >= {"published", "pending_review"}
        # Withdraw it again so other tests see one published version only.
        with steward.api(steward.producer) as http:
            assert http.post(f"/api/v1/proposals/{proposal.id}/withdraw", json={}).status_code == 200
        # A path works as well as text: the published version again is refused by validation.
        with pytest.raises(InvalidContractError) as err:
            client.submit_proposal(CONTRACT)
        assert "STW106" in [f.rule for f in err.value.findings]
