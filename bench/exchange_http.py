"""A real node for the exchange benchmarks: ``firstline serve`` (gunicorn) as a subprocess on
the bench database, and the load generator: Python threads over loopback, a new connection
per request (gunicorn's sync workers close them), optionally with the request's bytes built
once and the response read off the socket so that the generator takes little CPU."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import BENCH_DIR


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVED = {"pid": 0}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of ``root`` and all its descendants (Linux /proc)."""
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += cpu_seconds(pid)
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # a process that just ended
    return total


@contextmanager
def serve(workers: int = 2) -> Iterator[int]:
    """``firstline serve --no-worker`` (gunicorn) on the bench database; yields its port."""
    from django.conf import settings
    from django.db import connection

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTLINE_")}
    env.update(
        FIRSTLINE_MODE="test",
        FIRSTLINE_SQLITE_PATH=str(connection.settings_dict["NAME"]),
        FIRSTLINE_MASTER_KEY=settings.MASTER_KEY,  # the keys were wrapped under this one
        FIRSTLINE_VAR_DIR=str(BENCH_DIR),
        FIRSTLINE_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    log = BENCH_DIR / "exchange-serve.log"
    argv = [sys.executable, "-m", "firstline.cli", "serve", "--no-worker"]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    SERVED["pid"] = process.pid
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"firstline serve exited: {log.read_text()[-2000:]}")
            try:
                status, _ = request(port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("firstline serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def raw_bytes(
    port: int, method: str, path: str, body: bytes | None, headers: dict[str, str] | None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


def raw_request(port: int, request: bytes) -> int:
    """Send ``request`` on a new connection and read the response to its end (the server
    closes the connection); its status, or 0 when the response is cut short."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request)
        while chunk := sock.recv(262144):
            chunks.append(chunk)
    head, separator, body = b"".join(chunks).partition(b"\r\n\r\n")
    length = CONTENT_LENGTH.search(head)
    if not separator or not head.startswith(b"HTTP/1.") or length is None:
        return 0
    return int(head[9:12]) if int(length.group(1)) == len(body) else 0


def load(
    port: int,
    method: str,
    path: str,
    *,
    clients: int,
    total: int,
    seconds: float,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    expect: int = 200,
    raw: bool = False,
) -> tuple[list[float], float, int]:
    """``clients`` threads, each a new connection per request (gunicorn's sync workers close
    them), until ``total`` requests are done or ``seconds`` have passed. ``raw``: the request's
    bytes are built once and the response read off the socket (:func:`raw_request`), so the
    load generator takes less of the CPU the server runs on.

    Returns the latencies of the successful requests, the elapsed time and the failures."""
    prepared = raw_bytes(port, method, path, body, headers) if raw else b""
    latencies: list[float] = []
    failures = [0]
    left = [total]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            started = time.perf_counter()
            try:
                if raw:
                    status = raw_request(port, prepared)
                else:
                    status, _ = request(port, method, path, body, headers)
            except OSError:
                status = 0
            took = time.perf_counter() - started
            with lock:
                if status == expect:
                    latencies.append(took)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started, failures[0]


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"
