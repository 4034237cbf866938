"""The official openlineage-python client against a running Steward.

Run by cli/tests/openlineage_client.rs, which starts `steward serve` on
SQLite, publishes the contract `steward init` writes (sales.orders, table
`orders` in the lake, partitioned by `dt`) and passes in:

  STEWARD_URL, STEWARD_TOKEN   the server and a sales producer token
  STEWARD_DATA_DIR             the server's data dir (markers land in its lake)

Events are built with the client's own classes (event_v2, facet_v2) and
sent by `OpenLineageClient.emit` through `HttpTransport`, configured as
docs/lineage.md tells pipelines to. A `requests` response hook on the
transport's session records Steward's answers, so each test can read what
Steward did with an event without sending it another way.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import base_subset_dataset, output_statistics_output_dataset
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
from openlineage.client.uuid import generate_new_uuid

URL = os.environ["STEWARD_URL"].rstrip("/")
TOKEN = os.environ["STEWARD_TOKEN"]
DATA_DIR = Path(os.environ["STEWARD_DATA_DIR"])
PRODUCT = "sales.orders"
# The init contract's table as a pipeline writing it names it: `file` + absolute path.
TABLE_DIR = DATA_DIR / "lake/sales/orders/orders"
SOURCE = InputDataset(namespace="postgres://orders-db:5432", name="shop.public.orders")


class Steward:
    """An OpenLineageClient on the HTTP transport, and Steward's REST API for checking."""

    def __init__(self) -> None:
        self.responses: list[requests.Response] = []
        session = requests.Session()
        session.hooks["response"].append(lambda response, *args, **kwargs: self.responses.append(response))
        config = HttpConfig(
            url=URL,
            endpoint="api/v1/lineage",
            auth=ApiKeyTokenProvider({"apiKey": TOKEN}),
            session=session,
            timeout=30.0,
        )
        self.client = OpenLineageClient(transport=HttpTransport(config))

    def emit(self, event: RunEvent) -> dict:
        """Sends `event` with the client; returns Steward's answer."""
        before = len(self.responses)
        self.client.emit(event)  # the transport raises on a non-2xx answer
        (response,) = self.responses[before:]
        assert 200 <= response.status_code < 300, response.text
        assert response.request.url == f"{URL}/api/v1/lineage"
        assert response.request.headers["Authorization"] == f"Bearer {TOKEN}"
        return response.json()

    def get(self, path: str):
        response = requests.get(f"{URL}/api/v1{path}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def refreshes(self, run_id: str | None = None) -> list[dict]:
        found = self.get(f"/products/{PRODUCT}/refreshes?limit=100")
        if run_id is None:
            return found
        return [r for r in found if r["idempotency_key"].startswith(f"openlineage:{run_id}:")]


@pytest.fixture
def steward():
    s = Steward()
    yield s
    s.client.close()


def run_event(state: RunState, run_id: str, inputs: list, outputs: list, job: str) -> RunEvent:
    return RunEvent(
        eventType=state,
        eventTime=datetime.now(timezone.utc).isoformat(),
        run=Run(runId=run_id),
        job=Job(namespace="pipelines", name=job),
        inputs=inputs,
        outputs=outputs,
    )


def orders_output(dt: str, rows: int) -> OutputDataset:
    """The table, its partition in the `subset` facet and its row count in `outputStatistics`."""
    partition = base_subset_dataset.PartitionSubsetCondition(
        partitions=[base_subset_dataset.Partition(dimensions={"dt": dt})]
    )
    return OutputDataset(
        namespace="file",
        name=str(TABLE_DIR),
        outputFacets={
            "subset": base_subset_dataset.OutputSubsetOutputDatasetFacet(outputCondition=partition),
            "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=rows),
        },
    )


def test_start_is_accepted_and_records_no_refresh(steward: Steward):
    run_id = str(generate_new_uuid())
    answer = steward.emit(run_event(RunState.START, run_id, [SOURCE], [orders_output("2026-11-20", 1)], "orders.load"))
    assert answer["event_type"] == "START"
    assert answer["run_id"] == run_id
    assert answer["recorded_refreshes"] == []
    assert answer["lineage_edges"] == 1
    assert steward.refreshes(run_id) == []


def test_complete_records_one_refresh_with_its_marker_and_a_replay_changes_nothing(steward: Steward):
    run_id = str(generate_new_uuid())
    event = run_event(RunState.COMPLETE, run_id, [SOURCE], [orders_output("2026-11-21", 42)], "orders.load")
    answer = steward.emit(event)
    (rec,) = answer["recorded_refreshes"]
    assert (rec["product"], rec["table"], rec["partition"], rec["replayed"]) == (
        PRODUCT,
        "orders",
        "dt=2026-11-21",
        False,
    ), answer
    assert rec["marker"] == "lake/sales/orders/orders/dt=2026-11-21/_SUCCESS"
    (stored,) = steward.refreshes(run_id)
    assert stored["id"] == rec["refresh_id"]
    assert stored["idempotency_key"] == f"openlineage:{run_id}:orders:dt=2026-11-21"
    assert (stored["partition"], stored["row_count"]) == ("dt=2026-11-21", 42)

    # The marker follows as for any refresh (written by the outbox, so wait for it).
    marker = DATA_DIR / rec["marker"]
    deadline = time.monotonic() + 60
    while not marker.is_file():
        assert time.monotonic() < deadline, f"no marker at {marker}"
        time.sleep(0.05)
    assert marker.stat().st_size == 0

    # The same run again (a client retry, or COMPLETE sent twice): nothing new.
    again = steward.emit(event)
    assert again["recorded_refreshes"][0]["replayed"] is True, again
    assert again["recorded_refreshes"][0]["refresh_id"] == rec["refresh_id"]
    assert [r["id"] for r in steward.refreshes(run_id)] == [rec["refresh_id"]]


def test_an_event_whose_outputs_match_no_product_is_lineage_only(steward: Steward):
    before = len(steward.refreshes())
    run_id = str(generate_new_uuid())
    # A consumer's job: reads the product, writes a dataset Steward does not know.
    table = InputDataset(namespace="file", name=str(TABLE_DIR))
    export = OutputDataset(namespace="s3://partner-exports", name="orders/daily")
    answer = steward.emit(run_event(RunState.COMPLETE, run_id, [table], [export], "orders.export"))
    assert (answer["recorded_refreshes"], answer["ignored"], answer["lineage_edges"]) == ([], [], 1), answer
    assert len(steward.refreshes()) == before
    # The edge is in the product's lineage, downstream.
    graph = steward.get(f"/products/{PRODUCT}/lineage")
    node = next(n for n in graph["nodes"] if n["id"] == "dataset:s3://partner-exports/orders/daily")
    assert (node["kind"], node["distance"]) == ("dataset", 1), graph
    assert {
        "from": f"product:{PRODUCT}",
        "to": "dataset:s3://partner-exports/orders/daily",
        "job": "pipelines/orders.export",
    } in graph["edges"], graph
