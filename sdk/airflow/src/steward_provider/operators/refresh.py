"""Report a refresh of a data product from a DAG."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Sequence, Union

from airflow.models import BaseOperator
from steward_client import parse_partition

from steward_provider.hooks.steward import StewardHook

if TYPE_CHECKING:
    from airflow.utils.context import Context

MAX_KEY = 200
"""Steward's limit on an idempotency key's length."""


def task_idempotency_key(
    dag_id: str,
    task_id: str,
    run_id: str,
    map_index: int,
    product: str,
    table: Optional[str],
    partition: Mapping[str, str],
) -> str:
    """The refresh's idempotency key for one task instance: the same for every
    try of it, so a retry after a report whose answer was lost (or after a
    failure later in the task) replays the report instead of recording a
    second refresh. The product, table and partition are part of it, so a
    task whose templated partition changed reports a new refresh rather than
    reusing a key (a 409). Longer than Steward's 200 characters: hashed."""
    part = "/".join(f"{k}={v}" for k, v in partition.items())
    mapped = "" if map_index < 0 else f"[{map_index}]"
    key = f"airflow:{dag_id}.{task_id}{mapped}:{run_id}:{product}:{table or ''}:{part}"
    if len(key) <= MAX_KEY and key.isprintable():
        return key
    return "airflow:sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class StewardRefreshOperator(BaseOperator):
    """Reports new data of ``product`` to Steward: Steward records the
    refresh, adds the partition to the catalog, writes the ``_SUCCESS``
    marker and notifies subscribers.

    :param product: ``domain.product``.
    :param partition: ``"dt={{ ds }}"`` (``k=v`` pairs joined by ``/``) or a
        mapping ``{"dt": "{{ ds }}"}``; templated.
    :param table: the table (may be left out when the product has one).
    :param snapshot_id: for unpartitioned tables.
    :param row_count: rows written (templated, e.g. from an XCom).
    :param idempotency_key: default: derived from dag, task, map index, run,
        product, table and partition (see :func:`task_idempotency_key`), so
        task retries never report twice.
    :param steward_conn_id: the ``steward`` connection.

    Returns (XCom) the refresh: ``refresh_id``, ``partition``, ``marker``,
    ``replayed``, ``notifications``, ``idempotency_key``.
    """

    template_fields: Sequence[str] = ("product", "partition", "table", "snapshot_id", "row_count", "idempotency_key")
    ui_color = "#d8e8c8"

    def __init__(
        self,
        *,
        product: str,
        partition: Union[str, Mapping[str, str], None] = None,
        table: Optional[str] = None,
        snapshot_id: Optional[str] = None,
        row_count: Union[int, str, None] = None,
        idempotency_key: Optional[str] = None,
        steward_conn_id: str = StewardHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.product = product
        self.partition = partition
        self.table = table
        self.snapshot_id = snapshot_id
        self.row_count = row_count
        self.idempotency_key = idempotency_key
        self.steward_conn_id = steward_conn_id

    def execute(self, context: "Context") -> Dict[str, Any]:
        partition = parse_partition(self.partition)
        ti = context["ti"]
        key = self.idempotency_key or task_idempotency_key(
            ti.dag_id, ti.task_id, ti.run_id, ti.map_index, self.product, self.table, partition
        )
        rows = int(self.row_count) if self.row_count not in (None, "") else None
        with StewardHook(self.steward_conn_id).get_conn() as client:
            out = client.report_refresh(
                self.product,
                partition=partition,
                table=self.table or None,
                snapshot_id=self.snapshot_id or None,
                row_count=rows,
                idempotency_key=key,
            )
        r = out.refresh
        if out.replayed:
            self.log.info("refresh %s of %s %s was already recorded (key %s): nothing done again", r.id, r.product_key, r.partition, key)
        else:
            self.log.info(
                "recorded refresh %s of %s table %s %s; marker %s; %s subscriber(s) to notify",
                r.id, r.product_key, r.table, r.partition or "(snapshot)", out.marker, out.notifications,
            )
        return {
            "refresh_id": r.id,
            "product": r.product_key,
            "table": r.table,
            "partition": r.partition,
            "marker": out.marker,
            "replayed": out.replayed,
            "notifications": out.notifications,
            "idempotency_key": r.idempotency_key,
        }
