"""Fixtures: the real `steward serve` (the binary in STEWARD_BIN) on a
temporary data dir and a free port, with producer, reviewer and consumer
tokens, the example `sales.orders` contract approved, and one account of the
consumer granted access. Helpers for a local webhook receiver and a proxy
that fails chosen requests."""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

import httpx
import pytest

from stewardtest import ASKING, ASKING_ASYNC, CONTRACT, GRANTED, PRODUCT, REPO, TABLE, Steward, running_steward

__all__ = ["ASKING", "ASKING_ASYNC", "CONTRACT", "GRANTED", "PRODUCT", "REPO", "TABLE", "Steward"]


@pytest.fixture(scope="session")
def steward(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Steward]:
    with running_steward(tmp_path_factory.mktemp("steward") / "data") as s:
        yield s


# ------------------------------------------------------------ local servers


@dataclass
class Received:
    path: str
    headers: Dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver on loopback recording every request."""

    url: str
    requests: List[Received] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, n: int, timeout: float = 30.0) -> List[Received]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.requests) >= n, timeout)
            assert len(self.requests) >= n, f"{len(self.requests)} of {n} webhook deliveries in {timeout} s"
            return list(self.requests)


def _serve(handler: type) -> Tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: Dict[str, Receiver] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec = state["r"]
            with rec.cond:
                rec.requests.append(Received(self.path, {k: v for k, v in self.headers.items()}, body))
                rec.cond.notify_all()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server, url = _serve(Handler)
    state["r"] = Receiver(url)
    yield state["r"]
    server.shutdown()


@dataclass
class Proxy:
    """Forwards to Steward, except that the first requests matching a rule
    are answered (or, with ``forward=True``, forwarded and then answered)
    with a chosen status: a lost answer, a 503, a 429."""

    url: str
    target: str
    faults: List[Dict[str, Any]] = field(default_factory=list)
    seen: List[Tuple[str, str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, status: int, *, forward: bool = False, headers: Optional[Dict[str, str]] = None) -> None:
        self.faults.append({"status": status, "forward": forward, "headers": headers or {}})


@pytest.fixture
def proxy(steward: Steward) -> Iterator[Proxy]:
    state: Dict[str, Proxy] = {}
    upstream = httpx.Client(base_url=steward.url, timeout=30)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _handle(self) -> None:
            p = state["p"]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with p.lock:
                p.seen.append((self.command, self.path, body))
                fault = p.faults.pop(0) if p.faults else None
            if fault is None or fault["forward"]:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                r = upstream.request(self.command, self.path, content=body, headers=headers)
            if fault is not None:
                payload = json.dumps({"error": "unavailable", "message": "injected by the test proxy"}).encode()
                self.send_response(fault["status"])
                for k, v in fault["headers"].items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            self.send_response(r.status_code)
            for k, v in r.headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

        do_GET = do_POST = do_DELETE = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server, url = _serve(Handler)
    state["p"] = Proxy(url, steward.url)
    yield state["p"]
    server.shutdown()
    upstream.close()
