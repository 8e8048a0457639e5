"""Bulk import end to end, next to PostgreSQL COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimwatch \\
        .venv/bin/python bench/ingest.py [--rows 1000000] [--places 5000] [--parties 200]

It uses its own database on the same server (``<name>_bench_ingest``; ``--database`` picks
another), migrates it, and fills the vocabulary: ``--places`` places and ``--parties``
parties with names and aliases. It writes a CSV of ``--rows`` claims as an analyst's sheet
would hold them (places and parties by name, a source URL and excerpt per row; some pairs
contradict each other), then measures, each in a fresh copy of that database:

- **import**: ``manage.py import_claims FILE`` in its own process: parse, read and check
  every row, resolve the names, stage, publish with history and the change feed, and the
  set-based contradiction check. Its peak memory (RSS) is measured too, and again at a
  tenth of the rows, to show it does not grow with the file;
- **COPY, the limit**: the same rows, already resolved to ids, loaded with COPY into the
  same tables (sources, claims, appearances), with their triggers and indexes: what
  PostgreSQL alone needs to store them, with no parsing, checking or contradiction check;
- **COPY into a bare table**: the same claim rows into a table with no index or trigger.

It prints rows per second for each and the ratio of the import's time to COPY's.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import bench_database  # noqa: E402 - needs ROOT on the path
from project.database_url import on_same_server  # noqa: E402

COLUMNS = ["subject", "predicate", "object_entity", "polarity", "asserted_by", "asserted_at", "statement",
           "valid_from", "valid_until", "hedge", "credibility", "source_url", "excerpt"]  # fmt: skip


def server_execute(url: str, *statements: str) -> None:
    import psycopg2

    server = psycopg2.connect(on_same_server(url, "postgres"))
    server.autocommit = True
    with server.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    server.close()


def seed_vocabulary(url: str, *, places: int, parties: int) -> None:
    """Places (each also known by an alias), their two sides' parties, and nothing else."""
    import psycopg2

    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO claims_entity (kind, name, aliases, same_as, description, created_at, updated_at)
            SELECT 'place', 'Ingest place ' || g, ARRAY['Ingest village ' || g], '', '', now(), now()
            FROM generate_series(1, %s) g
            WHERE NOT EXISTS (SELECT 1 FROM claims_entity WHERE name = 'Ingest place ' || g)
            """,
            [places],
        )
        cursor.execute(
            """
            INSERT INTO claims_entity (kind, name, aliases, same_as, description, created_at, updated_at)
            SELECT 'organisation', side, '{}', '', '', now(), now()
            FROM unnest(ARRAY['Ingest side A forces', 'Ingest side B forces']) side
            WHERE NOT EXISTS (SELECT 1 FROM claims_entity WHERE name = side)
            """
        )
        cursor.execute(
            """
            INSERT INTO sources_party (kind, name, aliases, reliability, same_as, description, created_at, updated_at)
            SELECT 'media', 'Ingest party ' || g, ARRAY['Ingest outlet ' || g], 'F', '', '', now(), now()
            FROM generate_series(1, %s) g
            WHERE NOT EXISTS (SELECT 1 FROM sources_party WHERE name = 'Ingest party ' || g)
            """,
            [parties],
        )
    connection.close()


def write_sheet(path: Path, *, rows: int, places: int, parties: int) -> None:
    """``rows`` claims, in pairs about one place and one day: a party's claim that side A
    holds the place and, in one pair of five, another party's denial (a contradiction for
    the check to find); otherwise a second party's report of the same."""
    start = dt.date(2020, 9, 27)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n in range(rows):
            pair = n // 2
            place = pair % places + 1
            day = start + dt.timedelta(days=(pair // places) % 3000)
            denies = n % 2 == 1 and pair % 5 == 4
            writer.writerow([
                f"Ingest village {place}" if n % 2 else f"ingest place {place}",  # by alias, or folded name
                "controlled-by",
                "Ingest side A forces",
                "denies" if denies else "affirms",
                f"Ingest party {n % parties + 1}",
                f"{day.isoformat()}T{n % 24:02d}:00:00+04:00",
                f"Ingest claim {n}: place {place} is {'not ' if denies else ''}held by side A",
                day.isoformat(),
                day.isoformat(),
                "claimed",
                "3",
                f"https://ingest.example.org/report/{n // 10}",
                f"Row {n} as reported: place {place} is held",
            ])  # fmt: skip


def run_import(url: str, path: Path, *, batch_size: int) -> tuple[float, float, str]:
    """Seconds, peak RSS (MB) and output of ``manage.py import_claims`` in its own process."""
    import psutil

    env = {
        **os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "project.settings", "LOG_LEVEL": "WARNING",
        # Production settings: DEBUG keeps every query's SQL in memory.
        "DEBUG": "0", "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + "x" * 50,
    }  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_claims", str(path), "--batch-size", str(batch_size)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.05)
    output = process.communicate()[0].decode()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"import_claims failed:\n{output}")
    return seconds, peak / 1e6, output


def copy_limit(url: str, path: Path) -> tuple[float, float, dict[str, float]]:
    """Seconds to COPY the sheet's rows, resolved to ids beforehand (not timed), into the
    real tables with their triggers and indexes, and into a bare table; and where the
    claims table's share of that goes: its claim rows alone COPYed into it as it is, with
    every trigger off, and with no trigger and no secondary index (each in a transaction
    rolled back)."""
    import psycopg2

    connection = psycopg2.connect(url)
    cursor = connection.cursor()
    cursor.execute("SELECT id, name FROM claims_entity WHERE name LIKE 'Ingest %%'")
    entity = {name: pk for pk, name in cursor.fetchall()}
    cursor.execute("SELECT id, name FROM sources_party WHERE name LIKE 'Ingest party %%'")
    party = {name: pk for pk, name in cursor.fetchall()}
    cursor.execute("SELECT id FROM claims_predicate WHERE slug = 'controlled-by'")
    predicate = cursor.fetchone()[0]
    cursor.execute("SELECT last_value + 1 FROM claims_claim_id_seq")
    first_claim = cursor.fetchone()[0] + 1000
    cursor.execute("SELECT coalesce(max(id), 0) + 1000 FROM sources_source")
    first_source = cursor.fetchone()[0]
    claims, links, sources = io.StringIO(), io.StringIO(), io.StringIO()
    seen_urls: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for n, row in enumerate(csv.DictReader(handle)):
            subject = row["subject"]
            place = int(re.sub(r"\D", "", subject))
            source = seen_urls.get(row["source_url"])
            if source is None:
                source = seen_urls[row["source_url"]] = first_source + len(seen_urls)
                sources.write(f"{source}\tarticle\t{row['source_url']}\t{row['source_url']}\t\t\tday\t\t\tnow\tnow\n")
            asserted = dt.datetime.fromisoformat(row["asserted_at"]).astimezone(dt.UTC).isoformat()
            claims.write(
                f"{first_claim + n}\t{entity[f'Ingest place {place}']}\t{predicate}\tentity\t"
                f"{entity['Ingest side A forces']}\t\t{row['polarity']}\t{row['valid_from']}\tday\t{row['valid_until']}\t"
                f"day\t{party[row['asserted_by']]}\t{asserted}\t{row['statement']}\t\t{row['hedge']}\t3\tunrated\tnew\t"
                f"\tnow\tnow\n"
            )
            links.write(f"{first_claim + n}\t{source}\treport\t{row['excerpt']}\t\n")
    claim_columns = (
        "id, subject_id, predicate_id, value_type, object_entity_id, text_value, polarity, valid_from, "
        "valid_from_precision, valid_until, valid_until_precision, asserted_by_id, asserted_at, statement, quote, "
        "hedge, credibility, status, review_state, retraction_reason, created_at, updated_at"
    )
    cursor.execute(
        "SELECT string_agg(format('DROP INDEX %s', indexrelid::regclass), '; ') FROM pg_index "
        "WHERE indrelid = 'claims_claim'::regclass AND NOT indisprimary"
    )
    drop_secondary_indexes = cursor.fetchone()[0]
    breakdown = {}
    for name, setup in [
        ("as it is", "SELECT 1"),
        ("no trigger", "SET LOCAL session_replication_role = replica"),
        ("no trigger, no secondary index", f"SET LOCAL session_replication_role = replica; {drop_secondary_indexes}"),
    ]:
        claims.seek(0)
        cursor.execute(f"{setup}; SET CONSTRAINTS ALL IMMEDIATE")
        started = time.perf_counter()
        cursor.copy_expert(f"COPY claims_claim ({claim_columns}) FROM STDIN", claims)
        breakdown[name] = time.perf_counter() - started
        connection.rollback()
    for data in (claims, links, sources):
        data.seek(0)
    started = time.perf_counter()
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.copy_expert(
        "COPY sources_source (id, kind, url, title, author, language, published_precision, archive_url, "
        "content_hash, created_at, updated_at) FROM STDIN",
        sources,
    )
    cursor.copy_expert(f"COPY claims_claim ({claim_columns}) FROM STDIN", claims)
    cursor.copy_expert("COPY claims_claimsource (claim_id, source_id, role, excerpt, locator) FROM STDIN", links)
    connection.commit()
    limit = time.perf_counter() - started
    claims.seek(0)
    cursor.execute("CREATE TEMPORARY TABLE bare (LIKE claims_claim INCLUDING DEFAULTS EXCLUDING GENERATED)")
    started = time.perf_counter()
    cursor.copy_expert(f"COPY bare ({claim_columns}) FROM STDIN", claims)
    connection.commit()
    bare = time.perf_counter() - started
    connection.close()
    return limit, bare, breakdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="the benchmark's own database (default: DATABASE_URL's + _bench_ingest)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="claims in the file (default 1,000,000)")
    parser.add_argument("--places", type=int, default=5000, help="places in the vocabulary (default 5000)")
    parser.add_argument("--parties", type=int, default=200, help="parties (default 200)")
    parser.add_argument("--batch-size", type=int, default=10_000, help="the import's batch size (default 10,000)")
    parser.add_argument("--no-memory", action="store_true", help="skip the second, smaller import (memory)")
    args = parser.parse_args()

    base_url = bench_database(args.database, benchmark="ingest")
    base = urlsplit(base_url).path.lstrip("/")
    env = {**os.environ, "DATABASE_URL": base_url, "DJANGO_SETTINGS_MODULE": "project.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    places = min(args.places, max(10, args.rows // 10))
    seed_vocabulary(base_url, places=places, parties=args.parties)

    workdir = Path(tempfile.mkdtemp(prefix="cw-bench-ingest-"))
    sheet = workdir / "claims.csv"
    started = time.perf_counter()
    write_sheet(sheet, rows=args.rows, places=places, parties=args.parties)
    print(f"Sheet: {args.rows:,} rows, {sheet.stat().st_size / 1e6:,.1f} MB, written in "
          f"{time.perf_counter() - started:.1f} s; {places:,} places, {args.parties} parties; "
          f"{os.cpu_count()} CPUs.", flush=True)  # fmt: skip

    def fresh(name: str) -> str:
        server_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                       f'CREATE DATABASE "{name}" TEMPLATE "{base}"')  # fmt: skip
        return on_same_server(base_url, name)

    copies = [f"{base}_import", f"{base}_copy", f"{base}_small"]
    try:
        seconds, peak, output = run_import(fresh(copies[0]), sheet, batch_size=args.batch_size)
        flags = re.search(r"contradictions: (.*)\.", output)
        print(f"import (parse, check, resolve, stage, publish with history and change feed, contradiction check): "
              f"{seconds:.3f} s, {args.rows / seconds:,.0f} claims/s, peak RSS {peak:.0f} MB; "
              f"{flags.group(1) if flags else output.strip()}", flush=True)  # fmt: skip
        limit, bare, breakdown = copy_limit(fresh(copies[1]), sheet)
        print(f"COPY of the same rows into the same tables (triggers, indexes): {limit:.3f} s, "
              f"{args.rows / limit:,.0f} claims/s", flush=True)  # fmt: skip
        for name, part in breakdown.items():
            print(f"  the claim rows alone into claims_claim, {name}: {part:.2f} s, "
                  f"{args.rows / part:,.0f} claims/s", flush=True)  # fmt: skip
        print(f"COPY of the claim rows into a bare table: {bare:.1f} s, {args.rows / bare:,.0f} claims/s", flush=True)
        print(f"ratio import / COPY: {seconds / limit:.2f}x", flush=True)
        if not args.no_memory:
            small_rows = max(1, args.rows // 10)
            small = workdir / "small.csv"
            write_sheet(small, rows=small_rows, places=places, parties=args.parties)
            _, small_peak, _ = run_import(fresh(copies[2]), small, batch_size=args.batch_size)
            print(f"peak RSS: {small_peak:.0f} MB at {small_rows:,} rows, {peak:.0f} MB at {args.rows:,} rows "
                  f"({peak / small_peak:.2f}x for {args.rows / small_rows:.0f}x the rows)", flush=True)  # fmt: skip
    finally:
        server_execute(base_url, *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in copies))
        for file in workdir.iterdir():
            file.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
