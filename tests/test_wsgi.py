"""The WSGI entry point loads the whole app, URLconf included, and freezes it out of the
garbage collector's way (importing the URLconf alone freezes nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def frozen_after(statement: str) -> int:
    code = f"import gc; {statement}; print(gc.get_freeze_count())"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "DEBUG": "1"}, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    return int(result.stdout.strip().splitlines()[-1])


def test_the_wsgi_entry_point_freezes_the_loaded_app() -> None:
    assert frozen_after("import project.wsgi") > 10_000


def test_importing_the_urlconf_freezes_nothing() -> None:
    setup = (
        "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings'); import django; django.setup()"
    )
    assert frozen_after(f"{setup}; import project.urls") == 0
