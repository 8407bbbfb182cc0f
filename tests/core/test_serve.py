"""`firstline serve`: gunicorn and the worker as one supervised service."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from firstline.core.management.commands.serve import Command, url_for, web_argv, worker_argv

# --- argument handling -------------------------------------------------------------------------


def test_the_web_server_is_gunicorn_with_sync_workers_on_the_given_address() -> None:
    argv = web_argv("127.0.0.1:8765", 3)
    assert argv[:4] == [sys.executable, "-m", "gunicorn", "firstline.wsgi:application"]
    assert "--worker-class=sync" in argv
    assert "--workers=3" in argv
    assert "--bind=127.0.0.1:8765" in argv
    assert "--no-control-socket" in argv  # several instances on one machine must not collide


def test_the_background_worker_is_firstline_worker() -> None:
    assert worker_argv() == [sys.executable, "-m", "firstline.cli", "worker"]


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000/"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000/"),
        ("unix:/run/firstline/web.sock", "the Unix socket /run/firstline/web.sock"),
    ],
)
def test_it_prints_where_to_open_the_node(bind: str, url: str) -> None:
    assert url_for(bind).startswith(url)


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_it_rejects_a_web_worker_count_that_is_not_a_positive_number(workers: str) -> None:
    with pytest.raises(CommandError, match="--workers"):
        call_command("serve", "--workers", workers)


def test_the_defaults_come_from_firstline_bind_and_firstline_web_workers() -> None:
    parser = Command().create_parser("firstline", "serve")
    options = parser.parse_args([])
    assert options.bind == settings.BIND  # FIRSTLINE_BIND, 127.0.0.1:8000 when unset
    assert options.workers == settings.WEB_WORKERS  # FIRSTLINE_WEB_WORKERS, 2 when unset
    assert options.no_worker is False


# --- supervision, with stand-in children ------------------------------------------------------

SUPERVISED = textwrap.dedent(
    """
    import sys
    from firstline.core.supervisor import Child, Supervisor

    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    children = [Child("first", sleeper), Child("second", sleeper)]
    sys.exit(Supervisor(children, out=sys.stdout, grace_seconds=10).run())
    """
)


def start_supervisor(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "supervisor.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", SUPERVISED],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    return process, log


def child_pids(node, log: Path, count: int) -> list[int]:
    def started() -> list[int]:
        pids = [int(pid) for pid in re.findall(r"\(pid (\d+)\)", log.read_text())]
        return pids if len(pids) == count else []

    return node.wait_until(started, f"{count} children to start")


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0) until reaped; /proc tells the truth
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_every_child_and_exits_cleanly(node, tmp_path: Path, signum) -> None:
    supervisor, log = start_supervisor(tmp_path)
    pids = child_pids(node, log, 2)
    supervisor.send_signal(signum)
    assert supervisor.wait(timeout=node.WAIT_SECONDS) == 0
    assert not any(is_running(pid) for pid in pids)


def test_when_one_child_dies_the_other_is_stopped_and_it_exits_non_zero(
    node, tmp_path: Path
) -> None:
    supervisor, log = start_supervisor(tmp_path)
    first, second = child_pids(node, log, 2)
    os.kill(first, signal.SIGKILL)
    assert supervisor.wait(timeout=node.WAIT_SECONDS) == 1
    assert not is_running(second)
    assert "the first exited (code -9); stopping the second" in log.read_text()


# --- the real thing: gunicorn and the worker on a file SQLite database -----------------------


def fetch(url: str) -> tuple[int, bytes]:
    """Status and body; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http to 127.0.0.1)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def get(url: str) -> tuple[int, dict[str, object]]:
    status, body = fetch(url)
    return status, json.loads(body) if body else {}


def test_serve_answers_turns_ready_once_the_worker_beats_and_stops_on_sigterm(node) -> None:
    port = node.free_port()
    serve, log = node.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    base = f"http://127.0.0.1:{port}"

    node.wait_until(lambda: get(f"{base}/healthz")[0] == 200, "/healthz to answer")

    def ready() -> dict[str, object] | None:
        status, body = get(f"{base}/readyz")
        return body if status == 200 else None

    assert node.wait_until(ready, "/readyz to turn ready") == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }
    assert f"is starting on http://127.0.0.1:{port}/" in log.read_text()
    # development mode: whitenoise serves static files straight from the apps, no collectstatic
    status, css = fetch(f"{base}/static/firstline/site.css")
    assert status == 200
    assert css

    web, worker = child_pids(node, log, 2)
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(timeout=node.WAIT_SECONDS) == 0
    assert not is_running(web)
    assert not is_running(worker)


def test_serve_stops_the_web_server_and_fails_when_the_worker_dies(node) -> None:
    port = node.free_port()
    serve, log = node.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    web, worker = child_pids(node, log, 2)
    node.wait_until(lambda: get(f"http://127.0.0.1:{port}/healthz")[0] == 200, "/healthz")

    os.kill(worker, signal.SIGKILL)
    assert serve.wait(timeout=node.WAIT_SECONDS) != 0
    assert not is_running(web)
    assert "the background worker exited" in log.read_text()
    assert get(f"http://127.0.0.1:{port}/healthz")[0] == 0  # nobody listens any more


def test_serve_without_the_worker_runs_only_the_web_server(node) -> None:
    port = node.free_port()
    serve, log = node.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-worker")
    node.wait_until(lambda: get(f"http://127.0.0.1:{port}/healthz")[0] == 200, "/healthz")
    status, body = get(f"http://127.0.0.1:{port}/readyz")
    assert (status, body["checks"]) == (
        503,
        {"database": "ok", "migrations": "ok", "worker": "never seen"},
    )
    assert "background worker" not in log.read_text()
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(timeout=node.WAIT_SECONDS) == 0


def test_in_production_serve_collects_static_files_and_serves_them_hashed(
    node, production_secrets
) -> None:
    node.env.update(FIRSTLINE_MODE="production", **production_secrets)
    port = node.free_port()
    serve, _log = node.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    base = f"http://127.0.0.1:{port}"
    node.wait_until(lambda: get(f"{base}/healthz")[0] == 200, "/healthz", timeout=120)

    status, page = fetch(f"{base}/accounts/login/")
    assert status == 200
    hashed = re.search(rb'href="(/static/firstline/site\.[0-9a-f]{12}\.css)"', page)
    assert hashed is not None, "the manifest storage names static files by their content"
    assert fetch(base + hashed.group(1).decode())[0] == 200
    assert (node.var_dir / "static" / "staticfiles.json").exists()
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(timeout=node.WAIT_SECONDS) == 0
