"""Wait for a refresh of a data product's partition."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Sequence, Union

from airflow.configuration import conf
from airflow.exceptions import AirflowException
from airflow.sensors.base import BaseSensorOperator
from steward_client import parse_partition

from steward_provider.hooks.steward import StewardHook
from steward_provider.triggers.refresh import StewardRefreshTrigger, check

if TYPE_CHECKING:
    from airflow.utils.context import Context


class StewardRefreshSensor(BaseSensorOperator):
    """Waits until ``product``'s ``partition`` has a refresh recorded in
    Steward and, with ``wait_for_marker`` (the default), its ``_SUCCESS``
    marker written: the consumer's signal to start.

    :param product: ``domain.product``.
    :param partition: ``"dt={{ ds }}"`` or ``{"dt": "{{ ds }}"}``; templated.
    :param table: only refreshes of this table.
    :param wait_for_marker: also wait for the marker (fails if it is dead).
    :param deferrable: wait in the triggerer (polling with the async client)
        instead of holding a worker slot; default from
        ``[operators] default_deferrable``.
    :param steward_conn_id: the ``steward`` connection.

    ``poke_interval``, ``timeout`` and ``mode`` are the usual sensor
    arguments; deferred, ``poke_interval`` is the trigger's poll interval.
    Returns (XCom) ``refresh_id``, ``partition``, ``marker``.
    """

    template_fields: Sequence[str] = ("product", "partition", "table")
    ui_color = "#c8d8e8"

    def __init__(
        self,
        *,
        product: str,
        partition: Union[str, Mapping[str, str], None] = None,
        table: Optional[str] = None,
        wait_for_marker: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        steward_conn_id: str = StewardHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.product = product
        self.partition = partition
        self.table = table
        self.wait_for_marker = wait_for_marker
        self.deferrable = deferrable
        self.steward_conn_id = steward_conn_id
        self._found: Optional[Dict[str, Any]] = None
        self._product_known = False

    def _check(self) -> Optional[Dict[str, Any]]:
        hook = StewardHook(self.steward_conn_id)

        async def once() -> Optional[Dict[str, Any]]:
            async with hook.get_async_conn() as client:
                if not self._product_known:
                    # Steward lists no refreshes of an unknown product rather than refusing: ask once.
                    await client.get_product(self.product)
                    self._product_known = True
                return await check(
                    client, self.product, parse_partition(self.partition), self.table or None, self.wait_for_marker
                )

        # One check, the same code the trigger runs.
        return asyncio.run(once())

    def poke(self, context: "Context") -> bool:
        self.log.info("waiting for %s %s in Steward", self.product, self.partition)
        self._found = self._check()
        return self._found is not None

    def execute(self, context: "Context") -> Any:
        if not self.deferrable:
            super().execute(context)
            return self._found
        if self.poke(context):
            return self._found
        self.defer(
            trigger=StewardRefreshTrigger(
                product=self.product,
                partition=parse_partition(self.partition),
                table=self.table or None,
                wait_for_marker=self.wait_for_marker,
                poll_interval=float(self.poke_interval),
                steward_conn_id=self.steward_conn_id,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout)),
        )

    def execute_complete(self, context: "Context", event: Optional[Dict[str, Any]] = None) -> Any:
        if not event or event.get("status") != "success":
            raise AirflowException(f"waiting for {self.product} in Steward failed: {(event or {}).get('message')}")
        self.log.info("refresh %s of %s %s is there (marker %s)", event["refresh_id"], event["product"], event["partition"], event["marker"])
        return event
