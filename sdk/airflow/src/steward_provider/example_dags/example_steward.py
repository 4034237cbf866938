"""Two DAGs around one data product, `sales.orders`:

* ``steward_produce_orders`` writes the day's orders (here: nothing, it is
  an example) and reports the refresh of ``order_lines`` ``dt={{ ds }}``.
  Steward records it, adds the partition, writes ``_SUCCESS`` and notifies
  subscribers. A retry of the task replays the report (same key).
* ``steward_consume_orders`` waits for that partition — deferred to the
  triggerer, no worker slot held — and then runs its own step.

Connections: ``steward_default`` (a producer token of the `sales` domain)
and ``steward_consumer`` (any token that may read the product), e.g.::

    AIRFLOW_CONN_STEWARD_DEFAULT='{"conn_type": "steward", "host": "https://steward.example.com", "password": "stw_..."}'
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.python import PythonOperator

from steward_provider.operators.refresh import StewardRefreshOperator
from steward_provider.sensors.refresh import StewardRefreshSensor

START = datetime(2026, 1, 1)

with DAG(
    dag_id="steward_produce_orders",
    start_date=START,
    schedule="0 5 * * *",
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["steward", "example"],
) as produce:
    write = PythonOperator(task_id="write_orders", python_callable=lambda ds: print(f"writing orders of {ds}"))
    report = StewardRefreshOperator(
        task_id="report_refresh",
        product="sales.orders",
        table="order_lines",
        partition="dt={{ ds }}",
        row_count="{{ params.rows }}",
        params={"rows": 1200},
    )
    write >> report

with DAG(
    dag_id="steward_consume_orders",
    start_date=START,
    schedule="0 5 * * *",
    catchup=False,
    tags=["steward", "example"],
) as consume:
    wait = StewardRefreshSensor(
        task_id="wait_for_orders",
        product="sales.orders",
        table="order_lines",
        partition="dt={{ ds }}",
        deferrable=True,
        poke_interval=2,
        timeout=600,
        steward_conn_id="steward_consumer",
    )
    use = PythonOperator(
        task_id="use_orders",
        python_callable=lambda ti: print("orders are there:", ti.xcom_pull(task_ids="wait_for_orders")),
    )
    wait >> use
