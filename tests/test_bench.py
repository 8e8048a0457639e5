"""Each benchmark in ``bench/`` runs at a tiny size, so that a missing module or a broken
benchmark fails CI. These are not timed tests: nothing here asserts on speed, only that
the benchmark ran to the end, found the API and the engine correct, and printed its figures.

Each run gets a throw-away database on the server of ``DATABASE_URL``: a copy of one
migrated here once (migrating takes longer than a tiny run), dropped afterwards.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from project.database_url import on_same_server

ROOT = Path(__file__).resolve().parent.parent


def database_url(name: str) -> str:
    return on_same_server(os.environ["DATABASE_URL"], name)


def on_server(statement: str) -> None:
    server = psycopg2.connect(database_url("postgres"))
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(statement)
    server.close()


@pytest.fixture(scope="module")
def migrated_database() -> Iterator[str]:
    """An empty database with the project's migrations applied, for the runs to copy."""
    name = f"bench_test_{uuid.uuid4().hex[:10]}"
    on_server(f'CREATE DATABASE "{name}"')
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url(name)}, check=True, timeout=300,
        )  # fmt: skip
        yield name
    finally:
        on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def bench_database(migrated_database: str) -> Iterator[str]:
    """The name of a throw-away copy of the migrated database for one benchmark run."""
    name = f"{migrated_database}_run"
    on_server(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_database}"')
    yield name
    on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # with any connection left


def run_bench(script: str, *arguments: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *arguments],
        cwd=ROOT,
        env=os.environ.copy() if env is None else env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def test_the_api_benchmark_runs_at_a_tiny_size_and_prints_its_figures(bench_database: str) -> None:
    # Without a broker setting, the checks each create enqueues go to the default broker, in
    # the benchmark's own database (dropped afterwards), not to a queue no worker reads.
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}
    output = run_bench(
        "api.py", "--database", bench_database, "--claims", "200", "--rounds", "1", "--duration", "1",
        "--warmup", "0", "--workers", "1", env=env,
    )  # fmt: skip

    for endpoint in (r"status lookup \(50 ids\)", r"claims list \(page 50\)", r"contradictions list \(page 50\)"):
        # requests per second raw and API, the ratio, both p99s, server CPU per request
        assert re.search(rf"^{endpoint}\s+\d+\s+\d+\s+\d+%\s+[\d.]+ms\s+[\d.]+ms\s+[\d.]+ \| [\d.]+", output, re.M), (
            output
        )
    # creates per second raw (two INSERTs) and through the API, the ratio, p99s, CPU, none refused
    creates = r"^claim creates \(validated, 201\)\s+\d+\s+\d+\s+\d+%\s+[\d.]+ms\s+[\d.]+ms\s+[\d.]+ \| [\d.]+"
    assert re.search(creates + r".*\(0 not created\)$", output, re.M), output
    assert "non-2xx!" not in output, output
    assert "Server errors during the run" not in output, output


@pytest.mark.worker
def test_the_contradiction_benchmark_runs_at_a_tiny_size_and_prints_its_figures(bench_database: str) -> None:
    output = run_bench(
        "contradictions.py", "--database", bench_database, "--claims", "200", "--rounds", "1",
        "--checks", "6", "--worker-checks", "3", "--parts", "2",
    )  # fmt: skip

    for figure in (
        r"^first scan: [\d.]+ s, \d+ flags opened",
        r"^periodic full scan \(no change\): median [\d.]+ s",
        r"^bare self-join, the same \d+ pairs: median [\d.]+ s",
        r"^ratio scan / bare join: [\d.]+x",
        r"^full scan split into 2 parts through a real worker .*: [\d.]+ s with 1 pool process, [\d.]+ s with 2",
        r"^incremental check, in-process .*: mean [\d.]+ ms",
        r"^incremental check through the broker and a real worker: [\d.]+ ms per claim",
        r"^worker peak RSS \(VmHWM\) .*: pool process [\d.]+ MB",
    ):
        assert re.search(figure, output, re.M), output
    summary = output.split("=== Summary ===", 1)[-1]
    assert re.search(r"^\s+200 \|\s+\d+ \|\s+[\d.]+s \|", summary, re.M), output


def test_the_ingest_benchmark_runs_at_a_tiny_size_and_prints_its_figures(bench_database: str) -> None:
    output = run_bench("ingest.py", "--database", bench_database, "--rows", "300", "--places", "20", "--parties", "5")

    for figure in (
        r"^import \(parse, .*\): [\d.]+ s, [\d,]+ claims/s, peak RSS \d+ MB; [\d,]+ opened",
        r"^COPY of the same rows into the same tables \(triggers, indexes\): [\d.]+ s, [\d,]+ claims/s",
        r"^  the claim rows alone into claims_claim, as it is: [\d.]+ s, [\d,]+ claims/s",
        r"^  the claim rows alone into claims_claim, no trigger: [\d.]+ s, [\d,]+ claims/s",
        r"^  the claim rows alone into claims_claim, no trigger, no secondary index: [\d.]+ s, [\d,]+ claims/s",
        r"^COPY of the claim rows into a bare table: [\d.]+ s, [\d,]+ claims/s",
        r"^ratio import / COPY: [\d.]+x",
        r"^peak RSS: \d+ MB at 30 rows, \d+ MB at 300 rows",
    ):
        assert re.search(figure, output, re.M), output
    # The ratio is the import's time over COPY's, as printed (to the rounding of each).
    imported = float(re.search(r"^import \(.*?\): ([\d.]+) s", output, re.M).group(1))  # type: ignore[union-attr]
    copied = float(re.search(r"^COPY of the same rows .*?: ([\d.]+) s", output, re.M).group(1))  # type: ignore[union-attr]
    ratio = float(re.search(r"^ratio import / COPY: ([\d.]+)x", output, re.M).group(1))  # type: ignore[union-attr]
    half = 0.0005  # the times are printed to the millisecond, the ratio to the hundredth
    assert (imported - half) / (copied + half) - 0.005 <= ratio <= (imported + half) / (copied - half) + 0.005, output


def test_the_reader_benchmark_runs_at_a_tiny_size_and_prints_its_figures(bench_database: str) -> None:
    output = run_bench("reader.py", "--database", bench_database, "--claims", "200", "--requests", "3", "--warmup", "1")

    for page_type in (
        r"search: home \(latest contradictions\)", r"search: a place by name", r"contradiction", r"claim as of a day",
        r"place \(timeline\)", r"party \(track record\)", r"export CSV: a place's contradictions",
    ):  # fmt: skip
        # median and p95 in milliseconds
        assert re.search(rf"^{page_type}\s+[\d.]+\s+[\d.]+", output, re.M), output
