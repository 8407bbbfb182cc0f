"""``firstline serve``: the web server (gunicorn, WSGI, sync workers) and the background worker.

One command for a whole node process group: ``firstline serve`` starts gunicorn on
``FIRSTLINE_BIND`` with ``FIRSTLINE_WEB_WORKERS`` processes plus one ``firstline worker``, and
supervises both (see ``firstline.core.supervisor``). ``--no-worker`` runs the web server alone
(run ``firstline worker`` elsewhere). Extra gunicorn options go in ``GUNICORN_CMD_ARGS``.

Outside the relaxed modes it first collects static files (the manifest storage needs them);
in demo, development and test modes whitenoise serves them straight from the apps.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from firstline.core.supervisor import Child, Supervisor


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise ArgumentTypeError("must be at least 1")
    return number


def gunicorn_knows(setting: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(known.name == setting for known in KNOWN_SETTINGS)


def web_argv(bind: str, workers: int) -> list[str]:
    """gunicorn with sync workers: measured 4-7x faster here than ASGI (docs/decisions.md)."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "firstline.wsgi:application",
        "--worker-class=sync",
        f"--workers={workers}",
        f"--bind={bind}",
        "--access-logfile=-",
        "--graceful-timeout=25",
    ]
    if gunicorn_knows("control_socket_disable"):
        # gunicorn >= 24 opens one control socket per user (~/.gunicorn/gunicorn.ctl): two
        # nodes or instances on a machine would fight over it, and we stop gunicorn by signal.
        argv.append("--no-control-socket")
    return argv


def worker_argv() -> list[str]:
    return [sys.executable, "-m", "firstline.cli", "worker"]


def url_for(bind: str) -> str:
    """What to open in a browser for a gunicorn bind address."""
    if bind.startswith("unix:"):
        return f"the Unix socket {bind[5:]} (behind the reverse proxy)"
    host, _, port = bind.rpartition(":")
    host = host or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]"}:  # noqa: S104 (naming an address, not binding it)
        host = "127.0.0.1"
    return f"http://{host}:{port or '8000'}/"


class Command(BaseCommand):
    help = "Run the web server (gunicorn) and the background worker, supervising both."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--bind",
            default=settings.BIND,
            help="host:port or unix:/path (default: FIRSTLINE_BIND, %(default)s)",
        )
        parser.add_argument(
            "--workers",
            type=positive_int,
            default=settings.WEB_WORKERS,
            help="gunicorn worker processes (default: FIRSTLINE_WEB_WORKERS, %(default)s)",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="run only the web server; run `firstline worker` separately",
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="production mode: skip collecting static files (already done by the deploy)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.RELAXED and not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        children = [Child("web server", web_argv(options["bind"], options["workers"]))]
        if not options["no_worker"]:
            children.append(Child("background worker", worker_argv()))
        self.stdout.write(
            f"First Line ({settings.MODE} mode) is starting on {url_for(options['bind'])} "
            f"with {options['workers']} web worker(s)"
            + ("" if options["no_worker"] else " and a background worker")
            + ". Stop it with Ctrl+C."
        )
        self.stdout.flush()
        code = Supervisor(children, out=sys.stdout).run()
        if code:
            raise SystemExit(code)
