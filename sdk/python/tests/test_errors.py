"""Steward's error body as typed exceptions."""

from __future__ import annotations

import pytest
from conftest import CONTRACT, PRODUCT, TABLE, Steward

from steward_client import (
    BadRequestError,
    ForbiddenError,
    InvalidContractError,
    NotFoundError,
    StewardClient,
    StewardError,
    UnauthorizedError,
)


def test_404(steward: Steward) -> None:
    with StewardClient(steward.url, steward.consumer) as client, pytest.raises(NotFoundError) as err:
        client.get_refresh(PRODUCT, 987654)
    e = err.value
    assert isinstance(e, StewardError)
    assert (e.status, e.code) == (404, "not_found")
    assert e.message and e.message in str(e)
    assert e.error_id is None


def test_400_names_the_field(steward: Steward) -> None:
    with StewardClient(steward.url, steward.producer) as client:
        with pytest.raises(BadRequestError) as err:
            client.report_refresh(PRODUCT, table="no_such_table", partition="dt=2026-11-21")
        assert (err.value.status, err.value.code) == (400, "bad_request")
        assert "table" in err.value.message
        with pytest.raises(BadRequestError) as err:
            client.report_refresh(PRODUCT, table=TABLE, partition="region=eu")
        assert "partition" in err.value.message


def test_401(steward: Steward) -> None:
    with StewardClient(steward.url, "stw_not_a_token") as client, pytest.raises(UnauthorizedError) as err:
        client.list_proposals()
    assert (err.value.status, err.value.code) == (401, "unauthorized")


def test_403(steward: Steward) -> None:
    with StewardClient(steward.url, steward.consumer) as client, pytest.raises(ForbiddenError) as err:
        client.report_refresh(PRODUCT, table=TABLE, partition="dt=2026-11-22")
    assert (err.value.status, err.value.code) == (403, "forbidden")


def test_422_carries_findings(steward: Steward) -> None:
    broken = CONTRACT.read_text().replace("version: 1.0.0", "version: 2.0.0", 1).replace(
        "      - name: quantity\n", "      - name: Quantity Of Things\n", 1
    )
    with StewardClient(steward.url, steward.producer) as client, pytest.raises(InvalidContractError) as err:
        client.submit_proposal(broken)
    e = err.value
    assert (e.status, e.code) == (422, "invalid_contract")
    assert e.findings, e.body
    assert all(f.rule and f.line >= 1 for f in e.findings)
    assert any(f.severity == "error" for f in e.findings)
    assert e.findings[0].rule in str(e)
