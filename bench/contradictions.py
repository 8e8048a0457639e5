"""Benchmark of the contradiction engine. Prints figures; it is not a test.

    .venv/bin/python bench/contradictions.py                      # N = 100,000 and 1,000,000
    .venv/bin/python bench/contradictions.py --claims 100000      # one size
    .venv/bin/python bench/contradictions.py --claims 1000000 --reuse   # keep the generated data

It works in a database of its own (``--database``, default DATABASE_URL's database name +
``_bench_contradictions``) on the server of ``DATABASE_URL``, which it creates and migrates.
For each N it:

1. generates N synthetic claims with set-based SQL (bench/generate.py: many places, ten predicates, sides whose
   parties repeat their side's line, 15% denials, periods of a day, weeks, a month, a year
   or open-ended, places whose news bunches up in time, skewed so a few places get
   hundreds of claims), plus verdicts on 3% of them and every claim's appearances in
   sources (its party's own statement, a third also in a report), which each flag's
   confidence reads;
2. runs the first full scan (it opens every flag), then, in alternating rounds, the full
   scan against the bare SQL self-join that finds the same pairs on the same tables, and
   prints both times and their ratio;
3. times the incremental check of sampled claims in-process (database side), unchanged and
   just edited, and end to end through the broker and a real worker process;
4. prints the worker's peak memory (VmHWM) after it ran those checks and a full scan.

The machine is shared with other work, so each timing is the median of several rounds
(the best round is printed too).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import bench_database, generate  # noqa: E402 - needs ROOT on the path

FLIP = "CASE polarity WHEN 'affirms' THEN 'denies' ELSE 'affirms' END"


# The bare self-join: the pairs the rules flag, and nothing else (no states, no
# explanations, no writes). It must find exactly the pairs the scan finds. It is the
# baseline the scan is measured against, the least SQL that does the scan's work: the
# candidate join and each rule's own condition (claims.rules), nothing of the engine.
def bare_join_sql() -> str:
    from claims.rules import RULES  # after django.setup()

    return f"""
SELECT count(*)
FROM claims_claim a
JOIN claims_claim b
    ON b.subject_id = a.subject_id AND b.predicate_id = a.predicate_id
   AND b.id > a.id AND b.period && a.period
JOIN claims_predicate p ON p.id = a.predicate_id
WHERE a.retracted_at IS NULL AND b.retracted_at IS NULL
  AND ({" OR ".join(f"({rule.sql})" for rule in RULES)})
"""  # noqa: S608 - constants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, action="append", help="N (repeatable; default 100000 and 1000000)")
    parser.add_argument(
        "--database", help="the benchmark's own database (default: DATABASE_URL's + _bench_contradictions)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of scan and bare join")
    parser.add_argument("--checks", type=int, default=300, help="incremental checks timed in-process")
    parser.add_argument("--worker-checks", type=int, default=200, help="checks timed through a real worker")
    parser.add_argument(
        "--parts", type=int, default=max(2, os.cpu_count() or 2), help="parts of the split scan (default: CPUs)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the data if the database already holds N claims")
    args = parser.parse_args()
    sizes = args.claims or [100_000, 1_000_000]

    database_url = bench_database(args.database, benchmark="contradictions")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("CONN_MAX_AGE", "600")
    if os.environ.get("CELERY_BROKER_URL", "").startswith("redis") and not os.environ.get("CELERY_RESULT_BACKEND"):
        # Results come back over Redis at once; the database backend polls every 0.5 s,
        # which would swamp the end-to-end figure.
        os.environ["CELERY_RESULT_BACKEND"] = os.environ["CELERY_BROKER_URL"]
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    print(
        f"database {urlsplit(database_url).path.lstrip('/')} on {urlsplit(database_url).hostname}; broker {settings.CELERY_BROKER_URL}"
    )
    print(f"PostgreSQL work_mem for the scan: {settings.CONTRADICTION_SCAN_WORK_MEM}; {os.cpu_count()} CPUs")
    call_command("migrate", verbosity=0)

    summary = []
    for claims in sizes:
        print(f"\n=== N = {claims:,} claims ===")
        summary.append(run_size(claims=claims, args=args, database_url=database_url))

    print("\n=== Summary ===")
    header = (
        f"{'N':>10} | {'pairs':>8} | {'first scan':>10} | {'scan':>7} | {'bare join':>9} | {'ratio':>5} | "
        f"{'split, 1 worker':>15} | {'split, ' + str(args.parts) + ' workers':>15} | "
        f"{'check (db)':>10} | {'check edited':>12} | {'worker e2e':>10} | {'worker/claim':>12} | {'worker peak RSS':>15}"
    )
    print(header)
    print("-" * len(header))
    for row in summary:
        print(
            f"{row['claims']:>10,} | {row['pairs']:>8,} | {row['first_scan']:>9.1f}s | {row['scan']:>6.2f}s | "
            f"{row['bare']:>8.2f}s | {row['ratio']:>5.2f} | {row['split_1']:>14.2f}s | {row['split_n']:>14.2f}s | "
            f"{row['check_ms']:>8.2f}ms | {row['edited_ms']:>10.2f}ms | "
            f"{row['e2e_ms']:>8.1f}ms | {row['throughput_ms']:>10.1f}ms | {row['peak_rss_mb']:>12.1f} MB"
        )


def run_size(*, claims: int, args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    from django.db import connection, transaction

    from claims import detection
    from claims.models import Contradiction

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim")
        present = cursor.fetchone()[0]
    if args.reuse and present == claims:
        print(f"reusing the {claims:,} claims already generated")
    else:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            shape = generate(cursor, claims=claims)
        print(
            f"generated {shape['claims']:,} claims in {time.perf_counter() - started:.1f} s: "
            f"{shape['subjects']:,} subjects, {shape['groups']:,} (subject, predicate) groups, largest "
            f"{shape['largest_group']}, {shape['parties']} parties, {shape['denials']:.0%} denials, "
            f"{shape['open_ended']:.0%} open-ended, {shape['appearances']:,} appearances in sources"
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE claims_claim")
            cursor.execute("VACUUM ANALYZE claims_contradiction")
            # The places, parties and sources of an earlier run were deleted (a real record
            # deletes none): compacted, so that the scan, which reads every place and party,
            # does not read their dead rows' pages too. After a million-claim run they made
            # the places 20 MB instead of 0.9 MB, and the parties 7 MB instead of 8 kB: the
            # 100k scan measured 1.63-1.71x the bare join on such a database, 1.37x on a new one.
            for table in ("claims_entity", "sources_party", "sources_source"):
                cursor.execute(f"VACUUM FULL ANALYZE {table}")
            cursor.execute("ANALYZE")  # the other small tables too

    # The first scan opens every flag (this is the one-off cost, history rows included).
    # Scans are timed around the whole call: locks, ScanRun bookkeeping and all.
    started = time.perf_counter()
    run = detection.contradiction_scan(triggered_by="bench")
    first_scan = time.perf_counter() - started
    assert run is not None
    pairs = Contradiction.objects.exclude(state=Contradiction.State.CLOSED).count()
    print(
        f"first scan: {first_scan:.2f} s, {run.flags_opened:,} flags opened ({run.flags_resolved:,} of them "
        f"resolved by verdicts) over {run.claims_scanned:,} claims"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE claims_contradiction")
        cursor.execute("VACUUM ANALYZE claims_claim")

    # Steady state: the periodic scan over unchanged data, in rounds alternating with the
    # bare join, which must find exactly the pairs the scan keeps flagged.
    scans, bares, bares_default = [], [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        run = detection.contradiction_scan(triggered_by="bench")
        scans.append(time.perf_counter() - started)
        assert run is not None and run.flags_opened == run.flags_closed == 0
        seconds, found = bare_join(scan_plan=True)
        assert found == pairs, f"the bare join found {found} pairs, the scan flags {pairs}"
        bares.append(seconds)
        seconds, found = bare_join(scan_plan=False)
        assert found == pairs
        bares_default.append(seconds)
    scan, bare, bare_default = statistics.median(scans), statistics.median(bares), statistics.median(bares_default)
    best_bare = min(bare, bare_default)
    print(f"periodic full scan (no change): median {scan:.3f} s (best {min(scans):.3f} s) over {args.rounds} rounds")
    print(
        f"bare self-join, the same {pairs:,} pairs: median {bare:.3f} s (best {min(bares):.3f} s) with the scan's "
        f"plan (parallel hash join); {bare_default:.3f} s with the planner's default plan"
    )
    print(f"ratio scan / bare join: {scan / best_bare:.2f}x (target <= 1.5x)")
    # The same scan split into parts (claims.detection.contradiction_scan_split), run by a
    # real worker with one pool process, then with one per part.
    parts = args.parts
    split = {
        workers: split_scan_seconds(database_url=database_url, parts=parts, workers=workers, rounds=args.rounds)
        for workers in (1, parts)
    }
    print(
        f"full scan split into {parts} parts through a real worker (publish -> last part done), median of "
        f"{args.rounds}: {split[1]:.3f} s with 1 pool process, {split[parts]:.3f} s with {parts} "
        f"({split[1] / split[parts]:.2f}x); single statement {scan:.3f} s, bare join {best_bare:.3f} s "
        f"(ratio {split[parts] / best_bare:.2f}x)"
    )
    stale = scan_after_edits(fraction=0.01)
    print(
        f"full scan after 1% of claims were edited behind the engine's back: {stale['seconds']:.2f} s "
        f"({stale['opened']:,} opened, {stale['closed']:,} closed, {stale['reopened']:,} reopened)"
    )

    # The incremental check, in-process: database round trips included, no broker.
    ids = sample_claims(args.checks)
    timings = []
    for claim_id in ids:
        started = time.perf_counter()
        detection.claim_check(claim_id=claim_id)
        timings.append(time.perf_counter() - started)
    check_ms = statistics.mean(timings) * 1000
    edited = []
    with connection.cursor() as cursor:
        for claim_id in ids[: max(1, args.checks // 3)]:
            for _ in range(2):  # flip its polarity (its flags close or open), then flip it back
                cursor.execute(
                    f"UPDATE claims_claim SET polarity = {FLIP}, updated_at = now() WHERE id = %s", [claim_id]
                )
                started = time.perf_counter()
                detection.claim_check(claim_id=claim_id)
                edited.append(time.perf_counter() - started)
    edited_ms = statistics.mean(edited) * 1000
    print(
        f"incremental check, in-process (3 statements and the commit): mean {check_ms:.2f} ms, p95 "
        f"{_percentile(timings, 95) * 1000:.2f} ms per unchanged claim; {edited_ms:.2f} ms per claim just edited "
        f"(its flags closed or reopened)"
    )
    assert Contradiction.objects.filter(state="open").exists()

    worker = worker_figures(ids=ids[: args.worker_checks], database_url=database_url)
    print(
        f"incremental check through the broker and a real worker: {worker['e2e_ms']:.1f} ms per claim one at a time "
        f"(publish -> worker -> result, median), {worker['throughput_ms']:.1f} ms per claim when "
        f"{len(ids[: args.worker_checks])} are queued at once"
    )
    print(
        f"worker peak RSS (VmHWM) after the checks and a full scan run by the worker: pool process "
        f"{worker['child_peak_mb']:.1f} MB, main process {worker['main_peak_mb']:.1f} MB "
        f"(the scan by the worker took {worker['scan_s']:.2f} s)"
    )
    return {
        "claims": claims,
        "pairs": pairs,
        "first_scan": first_scan,
        "scan": scan,
        "bare": best_bare,
        "ratio": scan / best_bare,
        "split_1": split[1],
        "split_n": split[parts],
        "check_ms": check_ms,
        "edited_ms": edited_ms,
        "e2e_ms": worker["e2e_ms"],
        "throughput_ms": worker["throughput_ms"],
        "peak_rss_mb": worker["child_peak_mb"],
    }


def bare_join(*, scan_plan: bool) -> tuple[float, int]:
    """Time the bare join, with the scan's session settings (its memory, no JIT and the hash
    join it forces) or with the same memory and no JIT but the planner's own plan."""
    from django.conf import settings
    from django.db import connection, transaction

    from claims.detection import _scan_settings

    with transaction.atomic(), connection.cursor() as cursor:
        if scan_plan:
            _scan_settings(cursor)
        else:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.CONTRADICTION_SCAN_WORK_MEM])
            cursor.execute("SET LOCAL jit = off")
        started = time.perf_counter()
        cursor.execute(bare_join_sql())
        found = int(cursor.fetchone()[0])
        return time.perf_counter() - started, found


def scan_after_edits(*, fraction: float) -> dict[str, Any]:
    """Edit a share of the claims in SQL (no check enqueued), scan, then undo and scan."""
    from django.db import connection

    from claims import detection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_edited AS SELECT id FROM claims_claim WHERE random() < %s", [fraction])
        cursor.execute(
            f"UPDATE claims_claim SET polarity = {FLIP}, updated_at = now() WHERE id IN (SELECT id FROM bench_edited)"
        )
    started = time.perf_counter()
    run = detection.contradiction_scan(triggered_by="bench")
    assert run is not None
    figures = {
        "seconds": time.perf_counter() - started,
        "opened": run.flags_opened,
        "closed": run.flags_closed,
        "reopened": run.flags_reopened,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE claims_claim SET polarity = {FLIP}, updated_at = now() WHERE id IN (SELECT id FROM bench_edited)"
        )
        cursor.execute("DROP TABLE bench_edited")
    detection.contradiction_scan(triggered_by="bench")
    return figures


def sample_claims(count: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.7)")
        cursor.execute("SELECT id FROM claims_claim WHERE retracted_at IS NULL ORDER BY random() LIMIT %s", [count])
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def _worker(*, database_url: str, concurrency: int) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """A real worker process (prefork, ``concurrency`` pool processes) on a queue of its own;
    yields the queue, the process and its log. Tasks the worker enqueues go to its queue."""
    from project.celery import app

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_TASK_DEFAULT_QUEUE": queue, "DEBUG": "1"}
    log_path = Path(tempfile.gettempdir()) / f"{queue}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "project",
                "worker",
                "-Q",
                queue,
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--prefetch-multiplier=1",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname={queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        app.send_task("project.health", queue=queue).get(timeout=120)
        yield queue, process, log_path
    except Exception:
        print(log_path.read_text(errors="replace")[-4000:])
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def worker_figures(*, ids: list[int], database_url: str) -> dict[str, float]:
    """Time checks through a real worker, and read its peak RSS."""
    import psutil

    from claims.tasks import claim_check_contradictions, contradiction_scan
    from project.celery import app

    with _worker(database_url=database_url, concurrency=1) as (queue, process, _log):
        one_by_one = []
        for claim_id in ids:
            started = time.perf_counter()
            claim_check_contradictions.apply_async(args=(claim_id,), queue=queue, ignore_result=False).get(timeout=60)
            one_by_one.append(time.perf_counter() - started)
        started = time.perf_counter()
        for claim_id in ids:
            claim_check_contradictions.apply_async(args=(claim_id,), queue=queue)
        # One pool process, taking one message at a time, in order: this runs after them all.
        app.send_task("project.health", queue=queue).get(timeout=600)
        queued = (time.perf_counter() - started) / len(ids)
        started = time.perf_counter()
        contradiction_scan.apply_async(
            kwargs={"triggered_by": "bench-worker", "parts": 1}, queue=queue, ignore_result=False
        ).get(timeout=1800)
        scan_seconds = time.perf_counter() - started
        main = psutil.Process(process.pid)
        children = main.children(recursive=True)
        child_peak = max(_peak_rss_mb(child.pid) for child in children)
        main_peak = _peak_rss_mb(main.pid)
    return {
        "e2e_ms": statistics.median(one_by_one) * 1000,
        "throughput_ms": queued * 1000,
        "scan_s": scan_seconds,
        "child_peak_mb": child_peak,
        "main_peak_mb": main_peak,
    }


def split_scan_seconds(*, database_url: str, parts: int, workers: int, rounds: int) -> float:
    """The median wall time of the full scan split into ``parts``, run by a worker with
    ``workers`` pool processes: from the task's publication to its parent run finishing."""
    from claims.models import ScanRun
    from claims.tasks import contradiction_scan

    timings = []
    with _worker(database_url=database_url, concurrency=workers) as (queue, _process, _log):
        for _ in range(rounds):
            started = time.perf_counter()
            run_id = contradiction_scan.apply_async(
                kwargs={"triggered_by": "bench-split", "parts": parts}, queue=queue, ignore_result=False
            ).get(timeout=600)
            assert run_id is not None, "another scan was running"
            while (run := ScanRun.objects.get(pk=run_id)).status == ScanRun.Status.RUNNING:
                time.sleep(0.01)
            timings.append(time.perf_counter() - started)
            assert run.status == ScanRun.Status.FINISHED, run.error
            assert run.flags_opened == run.flags_closed == 0
    return statistics.median(timings)


def _peak_rss_mb(pid: int) -> float:
    """The process's high-water mark of resident memory (Linux: VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(len(ordered) * percent / 100))]


if __name__ == "__main__":
    main()
