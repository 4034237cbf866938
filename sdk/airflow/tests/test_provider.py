"""The provider against Airflow 2.10 and the real Steward: registration,
the hook, the operator in a DAG run (templating, idempotent retries), the
sensor (poke and deferred) and the trigger."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest
from conftest import EXAMPLES, HOME
from stewardtest import PRODUCT, TABLE, Steward

from airflow import DAG
from airflow.models import DagBag
from airflow.utils.state import DagRunState, TaskInstanceState
from steward_client import StewardClient
from steward_provider import get_provider_info
from steward_provider.hooks.steward import StewardHook, connection_url
from steward_provider.operators.refresh import StewardRefreshOperator, task_idempotency_key
from steward_provider.sensors.refresh import StewardRefreshSensor
from steward_provider.triggers.refresh import StewardRefreshTrigger


def marker_file(steward: Steward, day: str) -> Any:
    return steward.data / "objects" / "steward-sales" / "orders" / TABLE / f"dt={day}" / "_SUCCESS"


def refreshes_of(steward: Steward, day: str) -> List[Any]:
    with StewardClient(steward.url, steward.consumer) as client:
        return [r for r in client.list_refreshes(PRODUCT, limit=500) if r.partition == f"dt={day}"]


def report(steward: Steward, day: str) -> int:
    with StewardClient(steward.url, steward.producer) as client:
        return client.report_refresh(PRODUCT, table=TABLE, partition=f"dt={day}").refresh.id


def wait_until(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_provider_is_registered_through_its_entry_point() -> None:
    from importlib.metadata import entry_points

    from airflow.providers_manager import ProvidersManager

    eps = [ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("steward_provider")]
    assert len(eps) == 1, "airflow-provider-steward is installed with its entry point"
    assert eps[0].load() is get_provider_info
    pm = ProvidersManager()
    assert "airflow-provider-steward" in pm.providers
    assert pm.hooks["steward"] is not None
    assert pm.hooks["steward"].hook_class_name == "steward_provider.hooks.steward.StewardHook"


def test_connection_url() -> None:
    assert connection_url("http://127.0.0.1:8080/", None, None) == "http://127.0.0.1:8080"
    assert connection_url("http://127.0.0.1", None, 9000) == "http://127.0.0.1:9000"
    assert connection_url("steward.example.com", None, None) == "https://steward.example.com"
    assert connection_url("steward.local", "http", 8080) == "http://steward.local:8080"
    with pytest.raises(ValueError):
        connection_url("", None, None)


def test_hook_reads_the_connection(steward: Steward) -> None:
    hook = StewardHook()
    assert hook.settings() == (steward.url, steward.producer)
    assert hook.test_connection() == (True, "Connection successfully tested")
    with hook.get_conn() as client:
        assert client.get_product(PRODUCT).key == PRODUCT


def test_idempotency_key_is_stable_and_bounded() -> None:
    a = task_idempotency_key("d", "t", "manual__1", -1, PRODUCT, TABLE, {"dt": "2026-01-01"})
    assert a == "airflow:d.t:manual__1:sales.orders:order_lines:dt=2026-01-01"
    assert task_idempotency_key("d", "t", "manual__1", 3, PRODUCT, TABLE, {"dt": "x"}).startswith("airflow:d.t[3]:")
    long = task_idempotency_key("d" * 250, "t", "r", -1, PRODUCT, TABLE, {"dt": "x"})
    assert long.startswith("airflow:sha256:") and len(long) <= 200


def _producer_dag(dag_id: str) -> DAG:
    with DAG(dag_id, start_date=datetime(2026, 1, 1), schedule=None, catchup=False) as dag:
        StewardRefreshOperator(
            task_id="report",
            product=PRODUCT,
            table="{{ params.table }}",
            partition="dt={{ ds }}",
            row_count="{{ params.rows }}",
            params={"table": TABLE, "rows": 42},
        )
    return dag


def test_operator_reports_from_templates_once_across_retries(steward: Steward) -> None:
    dag = _producer_dag("sdk_test_producer")
    day = datetime(2026, 7, 1, tzinfo=timezone.utc)
    run = dag.test(execution_date=day)
    assert run.state == DagRunState.SUCCESS
    ti = run.get_task_instance("report")
    assert ti.state == TaskInstanceState.SUCCESS
    out: Dict[str, Any] = ti.xcom_pull(task_ids="report")
    assert out["partition"] == "dt=2026-07-01" and out["replayed"] is False
    key = task_idempotency_key(dag.dag_id, "report", run.run_id, -1, PRODUCT, TABLE, {"dt": "2026-07-01"})
    assert out["idempotency_key"] == key
    [refresh] = refreshes_of(steward, "2026-07-01")
    assert (refresh.id, refresh.row_count, refresh.idempotency_key, refresh.reported_by) == (
        out["refresh_id"], 42, key, "paul")
    wait_until(lambda: marker_file(steward, "2026-07-01").exists())

    # The same task instance again (a retry, a clear): replayed, not recorded twice.
    again = dag.test(execution_date=day)
    assert again.run_id == run.run_id
    out2 = again.get_task_instance("report").xcom_pull(task_ids="report")
    assert out2["replayed"] is True and out2["refresh_id"] == out["refresh_id"]
    assert len(refreshes_of(steward, "2026-07-01")) == 1


def test_operator_failure_fails_the_task(steward: Steward) -> None:
    with DAG("sdk_test_bad_table", start_date=datetime(2026, 1, 1), schedule=None) as dag:
        StewardRefreshOperator(task_id="report", product=PRODUCT, table="nope", partition="dt={{ ds }}")
    run = dag.test(execution_date=datetime(2026, 7, 5, tzinfo=timezone.utc))
    assert run.state == DagRunState.FAILED


def test_sensor_pokes(steward: Steward) -> None:
    sensor = StewardRefreshSensor(task_id="s", product=PRODUCT, partition="dt=2026-07-10", table=TABLE,
                                  steward_conn_id="steward_consumer")
    assert sensor.poke({}) is False  # type: ignore[arg-type]
    rid = report(steward, "2026-07-10")
    wait_until(lambda: sensor.poke({}))  # type: ignore[arg-type]
    assert sensor._found is not None and sensor._found["refresh_id"] == rid
    assert sensor._found["marker_state"] == "written"
    assert marker_file(steward, "2026-07-10").exists()


def test_sensor_fails_for_an_unknown_product(steward: Steward) -> None:
    from steward_client import NotFoundError

    sensor = StewardRefreshSensor(task_id="s", product="sales.nothing", partition="dt=x",
                                  steward_conn_id="steward_consumer")
    with pytest.raises(NotFoundError):
        sensor.poke({})  # type: ignore[arg-type]


def test_deferrable_sensor_in_a_dag_run(steward: Steward, monkeypatch: pytest.MonkeyPatch) -> None:
    deferred: List[StewardRefreshTrigger] = []
    original = StewardRefreshSensor.defer

    def spy(self: StewardRefreshSensor, **kwargs: Any) -> None:
        deferred.append(kwargs["trigger"])
        original(self, **kwargs)

    monkeypatch.setattr(StewardRefreshSensor, "defer", spy)
    with DAG("sdk_test_consumer", start_date=datetime(2026, 1, 1), schedule=None) as dag:
        StewardRefreshSensor(task_id="wait", product=PRODUCT, table=TABLE, partition="dt={{ ds }}",
                             deferrable=True, poke_interval=1, timeout=120, steward_conn_id="steward_consumer")
    reported: Dict[str, int] = {}

    def later() -> None:
        time.sleep(4)
        reported["id"] = report(steward, "2026-07-20")

    threading.Thread(target=later, daemon=True).start()
    run = dag.test(execution_date=datetime(2026, 7, 20, tzinfo=timezone.utc))
    assert run.state == DagRunState.SUCCESS
    assert len(deferred) == 1 and deferred[0].partition == {"dt": "2026-07-20"}
    event = run.get_task_instance("wait").xcom_pull(task_ids="wait")
    assert event["refresh_id"] == reported["id"]
    assert event["marker_state"] == "written"


def test_trigger_serializes_and_runs(steward: Steward) -> None:
    trigger = StewardRefreshTrigger(product=PRODUCT, partition={"dt": "2026-07-30"}, table=TABLE,
                                    poll_interval=0.5, steward_conn_id="steward_consumer")
    path, kwargs = trigger.serialize()
    assert path == "steward_provider.triggers.refresh.StewardRefreshTrigger"
    trigger = StewardRefreshTrigger(**kwargs)

    async def first_event() -> Any:
        gen = trigger.run()
        task = asyncio.ensure_future(gen.__anext__())
        await asyncio.sleep(1.5)
        assert not task.done(), "no event before the refresh"
        rid = await asyncio.to_thread(report, steward, "2026-07-30")
        event = await asyncio.wait_for(task, 30)
        return rid, event

    rid, event = asyncio.run(first_event())
    assert event.payload["status"] == "success" and event.payload["refresh_id"] == rid

    unknown = StewardRefreshTrigger(product="sales.nothing", partition={"dt": "x"}, steward_conn_id="steward_consumer")

    async def error_event() -> Any:
        return await unknown.run().__anext__()

    event = asyncio.run(error_event())
    assert event.payload["status"] == "error"


def test_example_dags_with_airflow_dags_test(steward: Steward) -> None:
    bag = DagBag(dag_folder=str(EXAMPLES), include_examples=False)
    assert not bag.import_errors, bag.import_errors
    assert {"steward_produce_orders", "steward_consume_orders"} <= set(bag.dag_ids)
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    day = "2026-08-15"
    # The consumer first: its sensor finds nothing, defers, and waits.
    consumer = subprocess.Popen([airflow, "dags", "test", "steward_consume_orders", day], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(20)
        assert consumer.poll() is None, consumer.communicate()[0]
        assert refreshes_of(steward, day) == []
        produced = subprocess.run([airflow, "dags", "test", "steward_produce_orders", day], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        print(produced.stdout[-3000:])
        assert produced.returncode == 0, produced.stdout[-5000:]
        [refresh] = refreshes_of(steward, day)
        assert refresh.row_count == 1200
        wait_until(lambda: marker_file(steward, day).exists())
        out, _ = consumer.communicate(timeout=300)
    finally:
        if consumer.poll() is None:
            consumer.kill()
    print(out[-3000:])
    assert consumer.returncode == 0, out[-5000:]
    assert "running trigger in line" in out, "the sensor deferred and its trigger ran"
    assert f"refresh {refresh.id} of sales.orders dt={day} is there" in out, out[-5000:]
    assert HOME.exists()
