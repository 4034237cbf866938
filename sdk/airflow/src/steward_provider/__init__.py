"""Apache Airflow provider for Steward: :class:`~steward_provider.hooks.steward.StewardHook`,
:class:`~steward_provider.operators.refresh.StewardRefreshOperator` and
:class:`~steward_provider.sensors.refresh.StewardRefreshSensor`."""

from __future__ import annotations

from typing import Any, Dict

__version__ = "0.1.0"


def get_provider_info() -> Dict[str, Any]:
    """What Airflow's ProvidersManager reads through the
    ``apache_airflow_provider`` entry point."""
    return {
        "package-name": "airflow-provider-steward",
        "name": "Steward",
        "description": "Report refreshes of Steward data products and wait for them.",
        "versions": [__version__],
        "connection-types": [
            {"connection-type": "steward", "hook-class-name": "steward_provider.hooks.steward.StewardHook"}
        ],
        "hooks": [{"integration-name": "Steward", "python-modules": ["steward_provider.hooks.steward"]}],
        "operators": [{"integration-name": "Steward", "python-modules": ["steward_provider.operators.refresh"]}],
        "sensors": [{"integration-name": "Steward", "python-modules": ["steward_provider.sensors.refresh"]}],
        "triggers": [{"integration-name": "Steward", "python-modules": ["steward_provider.triggers.refresh"]}],
    }
