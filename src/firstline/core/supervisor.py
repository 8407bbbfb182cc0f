"""Run several child processes as one service: if one dies, stop the others and fail.

``firstline serve`` runs gunicorn and the background worker through this. The rules:

- SIGTERM or SIGINT to the supervisor stops every child with SIGTERM (gunicorn finishes the
  requests in flight, the worker its current job), waits ``grace_seconds``, then SIGKILLs what
  is left, and exits 0.
- A child that exits on its own, whatever its code, is a failure: the others are stopped the
  same way and the supervisor exits non-zero, so systemd (or a shell) sees the service fail
  instead of half of it running silently.
- Children run in their own session, so a terminal's Ctrl+C reaches only the supervisor, which
  then stops each child exactly once (a second SIGINT would make the worker abandon its job).
  On Linux each child also gets SIGTERM should the supervisor itself be killed outright.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import TextIO

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    """One supervised process: a name for the messages and its command line."""

    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when the supervisor dies."""
    if not sys.platform.startswith("linux"):
        return None
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    libc = ctypes.CDLL(libc_name, use_errno=True)

    def hook() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


class Supervisor:
    """Starts the children, watches them and stops them all together."""

    def __init__(
        self,
        children: Sequence[Child],
        out: TextIO,
        grace_seconds: float = 30.0,
        poll_seconds: float = 0.2,
    ) -> None:
        self.children = list(children)
        self.out = out
        self.grace_seconds = grace_seconds
        self.poll_seconds = poll_seconds
        self.stop_signal: int | None = None

    def say(self, message: str) -> None:
        self.out.write(f"firstline serve: {message}\n")
        self.out.flush()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signal = signum

    def run(self) -> int:
        """Run until a stop signal (returns 0) or until a child exits (returns 1)."""
        previous = {signum: signal.signal(signum, self._on_signal) for signum in STOP_SIGNALS}
        try:
            return self._run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _run(self) -> int:
        hook = _die_with_parent()
        for child in self.children:
            try:
                child.process = subprocess.Popen(  # noqa: S603 (our own argv)
                    child.argv, start_new_session=True, preexec_fn=hook
                )
            except OSError as exc:
                self.say(f"cannot start the {child.name}: {exc}")
                self.stop_all()
                return 1
            self.say(f"started the {child.name} (pid {child.process.pid})")

        failed: Child | None = None
        while self.stop_signal is None and failed is None:
            failed = next((child for child in self.children if not child.alive), None)
            if failed is None:
                time.sleep(self.poll_seconds)

        if failed is not None:
            code = failed.process.returncode if failed.process else None
            others = [child.name for child in self.children if child.alive]
            self.say(
                f"the {failed.name} exited (code {code})"
                + (f"; stopping the {' and the '.join(others)}" if others else "")
            )
            self.stop_all()
            return 1
        self.say(f"received {signal.Signals(self.stop_signal).name}; stopping")  # type: ignore[arg-type]
        self.stop_all()
        return 0

    def stop_all(self) -> None:
        """SIGTERM every live child, wait up to the grace period, SIGKILL the rest."""
        for child in self.children:
            if child.alive and child.process is not None:
                child.process.terminate()
        deadline = time.monotonic() + self.grace_seconds
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"the {child.name} did not stop in {self.grace_seconds:g} s; killing it")
                child.process.kill()
                child.process.wait()
        self.say("stopped")
