"""The trigger a deferred :class:`StewardRefreshSensor` waits on: polls
Steward with the async client until the partition has a refresh (and, if
asked, its ``_SUCCESS`` marker is written)."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Dict, Optional, Tuple

from airflow.triggers.base import BaseTrigger, TriggerEvent
from steward_client import AsyncStewardClient, NotFoundError, StewardConnectionError, StewardError, UnavailableError

from steward_provider.hooks.steward import StewardHook

MARKER_DONE = "written"
MARKER_FAILED = "dead"


async def check(
    client: AsyncStewardClient, product: str, partition: Dict[str, str], table: Optional[str], wait_for_marker: bool
) -> Optional[Dict[str, Any]]:
    """The event payload once the partition is there, else ``None``. Raises
    :class:`StewardError` for a marker that will not be written (``dead``)."""
    refresh = await client.find_refresh(product, partition, table=table)
    if refresh is None:
        return None
    payload: Dict[str, Any] = {
        "status": "success",
        "refresh_id": refresh.id,
        "product": refresh.product_key,
        "table": refresh.table,
        "partition": refresh.partition,
        "marker": refresh.location,
    }
    if wait_for_marker:
        status = await client.get_refresh(product, refresh.id)
        payload["marker"] = status.marker.uri
        payload["marker_state"] = status.marker.state
        if status.marker.state == MARKER_FAILED:
            raise StewardError(
                f"the _SUCCESS marker of refresh {refresh.id} is dead ({status.marker.error}); "
                f"an admin retries outbox job {status.marker.job_id}"
            )
        if status.marker.state != MARKER_DONE:
            return None
    return payload


class StewardRefreshTrigger(BaseTrigger):
    def __init__(
        self,
        product: str,
        partition: Dict[str, str],
        table: Optional[str] = None,
        wait_for_marker: bool = True,
        poll_interval: float = 30.0,
        steward_conn_id: str = StewardHook.default_conn_name,
    ) -> None:
        super().__init__()
        self.product = product
        self.partition = dict(partition)
        self.table = table
        self.wait_for_marker = wait_for_marker
        self.poll_interval = poll_interval
        self.steward_conn_id = steward_conn_id

    def serialize(self) -> Tuple[str, Dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "product": self.product,
                "partition": self.partition,
                "table": self.table,
                "wait_for_marker": self.wait_for_marker,
                "poll_interval": self.poll_interval,
                "steward_conn_id": self.steward_conn_id,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = StewardHook(self.steward_conn_id)
        # The connection may come from the metadata database: not on the event loop.
        url, token = await asyncio.to_thread(hook.settings)
        async with AsyncStewardClient(url, token) as client:
            try:
                # Steward lists no refreshes of an unknown product rather than refusing: ask once.
                await client.get_product(self.product)
            except StewardError as e:
                yield TriggerEvent({"status": "error", "message": f"{self.product}: {e.message}"})
                return
            while True:
                try:
                    found = await check(client, self.product, self.partition, self.table, self.wait_for_marker)
                except (StewardConnectionError, UnavailableError) as e:
                    # Steward is down or busy: keep waiting, the sensor's timeout bounds it.
                    self.log.warning("Steward did not answer (%s); trying again in %s s", e, self.poll_interval)
                    found = None
                except NotFoundError as e:
                    yield TriggerEvent({"status": "error", "message": f"{self.product}: {e.message}"})
                    return
                except StewardError as e:
                    yield TriggerEvent({"status": "error", "message": str(e)})
                    return
                if found is not None:
                    yield TriggerEvent(found)
                    return
                await asyncio.sleep(self.poll_interval)
