"""Airflow in a temporary AIRFLOW_HOME (SQLite metadata database, the
provider's example DAGs as the DAGs folder) and the real `steward serve`
(STEWARD_BIN) from the SDK's test helpers, with Airflow connections
`steward_default` (producer) and `steward_consumer` (consumer)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
EXAMPLES = HERE.parent / "src" / "steward_provider" / "example_dags"

# Before Airflow is imported: it reads its configuration once.
HOME = Path(tempfile.mkdtemp(prefix="steward-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(EXAMPLES)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{HOME}/airflow.db"
os.environ["AIRFLOW__CORE__EXECUTOR"] = "SequentialExecutor"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "INFO"
sys.path.insert(0, str(REPO / "sdk" / "python" / "tests"))

import pytest  # noqa: E402
from stewardtest import Steward, running_steward  # noqa: E402


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    from airflow.utils import db

    db.initdb(load_connections=False)
    return HOME


@pytest.fixture(scope="session")
def steward(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Steward]:
    with running_steward(tmp_path_factory.mktemp("steward") / "data") as s:
        for name, token in (("STEWARD_DEFAULT", s.producer), ("STEWARD_CONSUMER", s.consumer)):
            os.environ[f"AIRFLOW_CONN_{name}"] = json.dumps(
                {"conn_type": "steward", "host": s.url, "password": token}
            )
        yield s
