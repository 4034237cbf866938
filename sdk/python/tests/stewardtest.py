"""The real `steward serve` for tests, shared by the SDK's and the Airflow
provider's suites: started on a temporary data dir and a free port, with
producer, reviewer and consumer tokens, the example `sales.orders` contract
approved, and one account of the consumer granted access."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Tuple

import httpx

REPO = Path(__file__).resolve().parents[3]
CONTRACT = REPO / "examples" / "sales-orders.odcs.yaml"
PRODUCT = "sales.orders"
TABLE = "order_lines"
GRANTED = "123456789012"
ASKING = "210987654321"
ASKING_ASYNC = "333333333333"


@dataclass
class Steward:
    url: str
    data: Path
    admin: str
    producer: str
    reviewer: str
    consumer: str

    def api(self, token: str) -> httpx.Client:
        """A plain HTTP client (for what the SDK does not do: tokens, approvals)."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _start(binary: str, data: Path) -> Tuple[subprocess.Popen, str]:
    env = dict(os.environ)
    env.update(
        {
            "STEWARD_LOG": "warn",
            "STEWARD__WEBHOOKS__ALLOW_PRIVATE": "true",
            "STEWARD__OUTBOX__POLL_MS": "50",
        }
    )
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen: List[str] = []
    deadline = time.monotonic() + 120
    url = None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith("steward: serving on "):
            url = line[len("steward: serving on ") :].split()[0]
            break
    if url is None:
        proc.kill()
        raise RuntimeError("steward serve did not print its address:\n" + "".join(seen))
    stderr = proc.stderr
    # Keep draining stderr so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in stderr], daemon=True).start()
    return proc, url


@contextlib.contextmanager
def running_steward(data: Path) -> Iterator[Steward]:
    """`steward serve` (STEWARD_BIN) on ``data`` with tokens for paul
    (producer of sales), rita (reviewer) and carla (consumer of three
    accounts), sales.orders published, and GRANTED granted access."""
    binary = os.environ.get("STEWARD_BIN")
    if not binary:
        raise RuntimeError("STEWARD_BIN is not set: the path of the steward binary the tests run against")
    proc, url = _start(binary, data)
    try:
        admin = (data / "admin.token").read_text().strip()
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin}"}, timeout=30) as http:

            def token(name: str, role: str, scopes: List[str]) -> str:
                r = http.post("/api/v1/tokens", json={"name": name, "role": role, "scopes": scopes})
                assert r.status_code == 201, r.text
                return str(r.json()["token"])

            s = Steward(
                url=url,
                data=data,
                admin=admin,
                producer=token("paul", "producer", ["sales"]),
                reviewer=token("rita", "reviewer", []),
                consumer=token("carla", "consumer", [GRANTED, ASKING, ASKING_ASYNC]),
            )
        with s.api(s.producer) as p:
            r = p.post("/api/v1/proposals", content=CONTRACT.read_bytes(), headers={"Content-Type": "application/yaml"})
            assert r.status_code == 201, r.text
            proposal = r.json()["id"]
        with s.api(s.reviewer) as rv:
            r = rv.post(f"/api/v1/proposals/{proposal}/approve", json={"comment": "fine"})
            assert r.status_code == 200, r.text
        with s.api(s.consumer) as c:
            r = c.post(
                f"/api/v1/products/{PRODUCT}/access-requests", json={"account": GRANTED, "justification": "pipelines"}
            )
            assert r.status_code == 201, r.text
            request = r.json()["id"]
        with s.api(s.reviewer) as rv:
            r = rv.post(f"/api/v1/access-requests/{request}/approve", json={"comment": "ok"})
            assert r.status_code == 200, r.text
        yield s
    finally:
        proc.kill()
        proc.wait()


