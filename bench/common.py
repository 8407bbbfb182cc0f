"""What every benchmark needs: Django on a fresh database, the machine's description, timing."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"


def setup_django() -> None:
    """Django on a fresh, migrated SQLite database under var/bench/ (never the demo database)."""
    os.environ.setdefault("FIRSTLINE_MODE", "test")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    db = BENCH_DIR / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    os.environ.setdefault("FIRSTLINE_SQLITE_PATH", str(db))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def postgres_url(name: str = "firstline_bench") -> str:
    """A PostgreSQL URL for benchmarks that measure it too (database created if missing)."""
    base = os.environ.get("FIRSTLINE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    subprocess.run(
        ["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {name}"],
        capture_output=True,
        check=False,
    )
    return f"{base}/{name}"


def machine_summary() -> str:
    cores = os.cpu_count() or 0
    mem_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"Machine: {cores} cores ({cpu or platform.machine()}), {mem_gib:.1f} GiB memory, "
        f"{platform.system()} {platform.release()}, Python {sys.version.split()[0]}.\n"
    )


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def time_calls(fn: Callable[[], object], repeat: int) -> list[float]:
    """Seconds per call for ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def summary_ms(samples: list[float]) -> str:
    return (
        f"p50 {ms(statistics.median(samples))}, p95 {ms(percentile(samples, 95))}, "
        f"p99 {ms(percentile(samples, 99))}"
    )
