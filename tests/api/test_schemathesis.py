"""Schemathesis against the app served live by gunicorn: every operation, every phase (examples, coverage,
fuzzing, stateful), authenticated as each role. Zero server errors, zero schema
violations; the settings are in tests/api/schemathesis.toml.

The default run uses a fixed seed and a modest number of examples, so CI stays fast and
repeatable; ``-m slow`` runs the long fuzz (SCHEMATHESIS_SEED picks another seed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.api.conftest import LiveAPI, World, api_key

# Committed data, seen by the gunicorn processes; the migrations' groups and vocabulary
# are restored after each test's flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
ROLES = {"analyst": "Analyst", "journalist": "Journalist", "consumer": "API consumer"}


def run_schemathesis(server: Any, key: str, tmp_path: Path, *, examples: int, max_steps: int) -> None:
    seed = os.environ.get("SCHEMATHESIS_SEED", "20201110")
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.read_text() + f"\n[phases.stateful]\nmax-steps = {max_steps}\n")
    command = [
        str(SCHEMATHESIS), "--config-file", str(config), "run", f"{server.url}/api/schema/",
        "--header", f"Authorization: Api-Key {key}",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(examples),
        "--seed", seed,
        "--workers", "1",  # 2+ threads trip a CPython 3.11 ast race inside hypothesis
        "--continue-on-failure",
        "--report", "junit", "--report-dir", str(tmp_path / "report"),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    summary = result.stdout[-12000:]
    (tmp_path / "schemathesis.out").write_text(result.stdout)
    assert "Internal Server Error" not in server.log.read_text()
    assert result.returncode == 0, f"schemathesis found problems (seed {seed}):\n{summary}\n{result.stderr[-3000:]}"


@pytest.fixture
def fuzz_user(request: Any, world: World) -> User:
    from tests import factories

    role = request.param
    return factories.UserFactory(username=f"fuzz-{role}", role=ROLES[role])


@pytest.mark.parametrize("fuzz_user", list(ROLES), indirect=True)
def test_schemathesis_finds_no_server_error_or_schema_violation(
    fuzz_user: User, gunicorn_server: LiveAPI, tmp_path: Path
) -> None:
    run_schemathesis(gunicorn_server, api_key(fuzz_user), tmp_path, examples=25, max_steps=60)


@pytest.mark.slow
@pytest.mark.parametrize("fuzz_user", list(ROLES), indirect=True)
def test_schemathesis_long_fuzz(fuzz_user: User, gunicorn_server: LiveAPI, tmp_path: Path) -> None:
    run_schemathesis(gunicorn_server, api_key(fuzz_user), tmp_path, examples=300, max_steps=500)
