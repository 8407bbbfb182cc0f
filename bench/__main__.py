"""Run every benchmark module and write docs/benchmarks.md.

Each module ``bench/bench_<name>.py`` defines ``run(quick: bool) -> str`` returning a Markdown
section (a ``## heading``, the dataset size, a table of figures with targets). Before the modules
run, Django is set up on a fresh SQLite database under var/bench/ (migrated); a module that
measures PostgreSQL as well uses ``bench.common.postgres_url()``.

    python -m bench            # full sizes, writes docs/benchmarks.md
    python -m bench --quick    # small sizes, for trying a benchmark out (writes var/bench/benchmarks.md)
    python -m bench audit      # only bench_audit.py; the other sections keep their figures
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys
import time
from pathlib import Path

from bench.common import machine_summary, setup_django

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small datasets; output to var/bench/")
    args = parser.parse_args()

    setup_django()
    names = [
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    ]
    chosen = [n for n in sorted(names) if not args.names or n in args.names]
    out = ROOT / ("var/bench/benchmarks.md" if args.quick else "docs/benchmarks.md")
    # Running some benchmarks replaces their sections and keeps the others' last figures.
    sections = _read_sections(out) if args.names else {}
    for name in chosen:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.bench_{name}")
        section = module.run(quick=args.quick)
        load = os.getloadavg()[0]
        sections[name] = (
            section.rstrip()
            + f"\n\n_Ran in {time.perf_counter() - started:.0f} s, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC,"
            + f" load average {load:.1f} when it finished._\n"
        )
        print(section, flush=True)

    out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Benchmarks\n\nWritten by `make bench` (`python -m bench`); do not edit by hand.\n\n"
        + machine_summary()
        + "\n"
    )
    body = "\n".join(
        f"<!-- bench:{name} -->\n{text.rstrip()}\n<!-- /bench:{name} -->\n"
        for name, text in sorted(sections.items())
    )
    out.write_text(header + body, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def _read_sections(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    found = re.findall(
        r"<!-- bench:(\w+) -->\n(.*?)<!-- /bench:\1 -->", path.read_text(encoding="utf-8"), re.S
    )
    return dict(found)


if __name__ == "__main__":
    os.environ.setdefault("FIRSTLINE_MODE", "test")
    sys.exit(main())
