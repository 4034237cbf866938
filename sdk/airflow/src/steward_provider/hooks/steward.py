"""The Steward hook: an Airflow connection of type ``steward``.

Connection fields: **host** is Steward's URL (``https://steward.example.com``,
or a host name with **schema** ``http``/``https`` and **port**), **password**
is a Steward token (a producer's to report refreshes, any role to wait for
them). As an environment variable::

    AIRFLOW_CONN_STEWARD_DEFAULT='steward://:stw_...@steward.example.com:443/?__extra__=...'

or JSON: ``{"conn_type": "steward", "host": "https://steward.example.com", "password": "stw_..."}``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from airflow.hooks.base import BaseHook
from steward_client import AsyncStewardClient, RetryPolicy, StewardClient


def connection_url(host: Optional[str], schema: Optional[str], port: Optional[int]) -> str:
    """Steward's base URL from a connection's host, schema and port."""
    host = (host or "").strip()
    if not host:
        raise ValueError("the Steward connection has no host: set it to Steward's URL")
    if "://" in host:
        url = host.rstrip("/")
        if port and url.count(":") < 2:
            url = f"{url}:{port}"
        return url
    scheme = schema if schema in ("http", "https") else "https"
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


class StewardHook(BaseHook):
    """Clients for Steward from an Airflow connection (``steward_conn_id``,
    default ``steward_default``)."""

    conn_name_attr = "steward_conn_id"
    default_conn_name = "steward_default"
    conn_type = "steward"
    hook_name = "Steward"

    def __init__(self, steward_conn_id: str = default_conn_name, retry: Optional[RetryPolicy] = None) -> None:
        super().__init__()
        self.steward_conn_id = steward_conn_id
        self.retry = retry

    @classmethod
    def get_ui_field_behaviour(cls) -> Dict[str, Any]:
        return {
            "hidden_fields": ["login", "extra"],
            "relabeling": {"host": "Steward URL", "password": "Steward token"},
            "placeholders": {"host": "https://steward.example.com", "password": "stw_..."},
        }

    def settings(self) -> "tuple[str, str]":
        """(url, token) of the connection."""
        conn = self.get_connection(self.steward_conn_id)
        if not conn.password:
            raise ValueError(f"the connection {self.steward_conn_id!r} has no password: set it to a Steward token")
        return connection_url(conn.host, conn.schema, conn.port), conn.password

    def get_conn(self) -> StewardClient:
        """A synchronous client; close it (or use it in ``with``)."""
        url, token = self.settings()
        return StewardClient(url, token, retry=self.retry)

    def get_async_conn(self) -> AsyncStewardClient:
        """An asyncio client (for triggers); ``await client.aclose()``."""
        url, token = self.settings()
        return AsyncStewardClient(url, token, retry=self.retry)

    def test_connection(self) -> "tuple[bool, str]":
        try:
            with self.get_conn() as client:
                client.search_products(limit=1)
        except Exception as e:  # noqa: BLE001 - shown in the UI
            return False, str(e)
        return True, "Connection successfully tested"
