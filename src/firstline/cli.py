"""The ``firstline`` console command: Django's management commands with our settings.

``firstline serve``, ``firstline demo``, ``firstline createuser``,
``firstline directory import FILE.csv [--dry-run]``, ``firstline directory export`` and every
Django command (``firstline migrate``...).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
    from firstline.core.env import MissingSetting

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["firstline", *(sys.argv[1:] if argv is None else argv)])
    except MissingSetting as exc:
        sys.stderr.write(f"firstline: cannot start: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
