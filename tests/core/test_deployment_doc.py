"""docs/deployment.md lists every FIRSTLINE_* setting that settings.py reads."""

from __future__ import annotations

import re
from pathlib import Path

import firstline.settings

ROOT = Path(__file__).resolve().parents[2]
READER = re.compile(r'env_(?:str|int|bool|list|required)\(\s*"([A-Z0-9_]+)"')


def test_every_setting_read_by_settings_py_is_in_the_deployment_table() -> None:
    source = Path(firstline.settings.__file__).read_text(encoding="utf-8")
    names = set(READER.findall(source))
    assert {"SECRET_KEY", "DATABASE_URL", "BIND", "WEB_WORKERS"} <= names  # the scan works
    table = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"| `FIRSTLINE_{name}` |" not in table)
    assert not missing, f"add to the settings table of docs/deployment.md: {missing}"
