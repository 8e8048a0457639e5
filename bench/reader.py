"""Benchmark of the journalists' reader: the server time of each page type. Prints figures;
it is not a test.

    .venv/bin/python bench/reader.py                    # N = 1,000,000 claims
    .venv/bin/python bench/reader.py --claims 100000    # another size
    .venv/bin/python bench/reader.py --claims 200 --requests 5   # a smoke run (tests/test_bench.py)

It works in a database of its own (``--database``, default DATABASE_URL's database name +
``_bench_reader``) on the server of ``DATABASE_URL``, which it creates and migrates, and
fills once (kept for a rerun at the same size; ``--reseed`` to redo it):

1. the claims, verdicts, sources, excerpts and contradictions of bench/api.py's ``seed``
   (bench/generate.py's synthetic claims), and districts grouping the places (so that
   "places within" has work);
2. for each page type, ``--requests`` requests for different objects (random claims,
   contradictions, places, districts, parties; the search with the facets a journalist
   uses), each timed from request to the last byte of the response, in-process through
   Django's full middleware stack with DEBUG off, signed in as a journalist;
3. prints the median and p95 of each, against the issue's target (p95 under 50 ms for the
   search and the detail pages).

Server time here is Django's and PostgreSQL's work for one request, without the network
or a web server in front; the machine is shared, so the figures are noisy.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import bench_database  # noqa: E402 - needs ROOT on the path

TARGET_MS = 50.0
PLACES_PER_DISTRICT = 40


def add_districts() -> int:
    """Group the bench places into districts (``part_of``), a district per 40 places."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SELECT min(id), max(id) FROM claims_entity WHERE name LIKE 'Bench place %%'")
        first, last = cursor.fetchone()
        districts = max(1, (last - first + 1) // PLACES_PER_DISTRICT)
        cursor.execute(
            """
            INSERT INTO claims_entity (name, kind, aliases, same_as, description, created_at, updated_at)
            SELECT 'Bench district ' || g, 'place', ARRAY['Bench rayon ' || g], '', '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [districts],
        )
        cursor.execute("SELECT min(id) FROM claims_entity WHERE name LIKE 'Bench district %%'")
        first_district = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE claims_entity SET part_of_id = %s + ((id - %s) / %s) %% %s WHERE name LIKE 'Bench place %%'",
            [first_district, first, PLACES_PER_DISTRICT, districts],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE claims_entity")
    return int(districts)


def sample(sql: str, n: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY random() LIMIT %s", [n])
        return [row[0] for row in cursor.fetchall()]


def page_urls(n: int) -> dict[str, list[str]]:
    """``n`` URLs of each page type, for different objects."""
    from reader.cursors import cursor_issue
    from reader.forms import CLAIMS

    claims = sample("SELECT id FROM claims_claim", n)
    flags = sample("SELECT id FROM claims_contradiction", n)
    # Places with claims, districts, and the parties that speak (sides and members).
    places = sample("SELECT subject_id FROM (SELECT DISTINCT subject_id FROM claims_claim) s", n)
    districts = sample("SELECT id FROM claims_entity WHERE name LIKE 'Bench district %%'", n)
    parties = sample("SELECT id FROM sources_party WHERE name LIKE 'Bench %%'", n)
    sides = sample("SELECT id FROM sources_party WHERE name LIKE 'Bench %%' AND parent_id IS NULL", n)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM claims_entity WHERE id = ANY(%s)", [places])
        names = [row[0] for row in cursor.fetchall()]
        # A page some 20 pages down the claim list (or half-way down a tiny one).
        cursor.execute(
            "SELECT asserted_at, id FROM claims_claim ORDER BY asserted_at DESC, id DESC "
            "OFFSET least(500, (SELECT count(*) / 2 FROM claims_claim)) LIMIT 1"
        )
        moment, pk = cursor.fetchone()

    def cycle(values: list[int] | list[str], make: Callable[..., str]) -> list[str]:
        return [make(values[i % len(values)]) for i in range(n)] if values else []

    deep = cursor_issue(listing=CLAIMS, moment=moment, pk=pk)
    return {
        "search: home (latest contradictions)": ["/"] * n,
        "search: a place by name": cycle(names, lambda name: f"/?q={quote(name.lower())}"),
        "search: open disputes within a district": cycle(districts, lambda d: f"/?place={d}&review=open"),
        "search: a side's claims rated false in a month": cycle(
            sides, lambda s: f"/?show=claims&side={s}&status=false&period_from=2020-10-01&period_to=2020-10-31"
        ),
        "search: claims, a deep page (cursor)": [f"/?show=claims&cursor={deep}"] * n,
        "contradiction": cycle(flags, lambda pk: f"/contradictions/{pk}/"),
        "claim": cycle(claims, lambda pk: f"/claims/{pk}/"),
        "claim as of a day": cycle(claims, lambda pk: f"/claims/{pk}/?as_of=2021-06-01"),
        "place (timeline)": cycle(places, lambda pk: f"/places/{pk}/"),
        "district (timeline of places within)": cycle(districts, lambda pk: f"/places/{pk}/"),
        "party (track record)": cycle(parties, lambda pk: f"/parties/{pk}/"),
        "claim card": cycle(claims, lambda pk: f"/claims/{pk}/card/"),
        "export CSV: a place's contradictions": cycle(places, lambda pk: f"/export.csv?place={pk}"),
    }


def timed(client: object, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)  # type: ignore[attr-defined]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {body[:500]!r}")
    return elapsed * 1000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=1_000_000, help="claims to generate (default 1,000,000)")
    parser.add_argument("--database", help="the benchmark's own database (default: DATABASE_URL's + _bench_reader)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page type (default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page type first (default 5)")
    parser.add_argument("--reseed", action="store_true", help="regenerate the data even if it is there")
    args = parser.parse_args()

    database_url = bench_database(args.database, benchmark="reader")
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DEBUG": "0",  # DEBUG keeps every query: not what a server does
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + "x" * 50,
            "ALLOWED_HOSTS": "localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("CELERY_BROKER_URL", None)  # nothing is enqueued: the reader only reads
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from bench.api import seed

    print(f"database {urlsplit(database_url).path.lstrip('/')}; {os.cpu_count()} CPUs")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim WHERE statement LIKE 'Bench claim %%'")
        present = cursor.fetchone()[0]
    if args.reseed or present != args.claims:
        started = time.perf_counter()
        counts = seed(args.claims)
        districts = add_districts()
        print(
            f"generated {counts['claims']:,} claims, {counts['contradictions']:,} contradictions, "
            f"{counts['appearances']:,} appearances, {counts['verdicts']:,} verdicts, {districts:,} districts "
            f"in {time.perf_counter() - started:.1f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        print(f"reusing the {present:,} claims already generated")

    user, _ = User.objects.get_or_create(username="bench-journalist")
    user.groups.add(Group.objects.get(name="Journalist"))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    random.seed(42)
    urls = page_urls(max(args.requests, args.warmup, 1))

    # Static files as in development: no collected manifest is needed to render a page.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    print(f"\n{'page type':<48} {'median':>8} {'p95':>8}  (ms, {args.requests} requests each; target p95 < 50)")
    with override_settings(STORAGES=storages):
        for name, targets in urls.items():
            if not targets:
                print(f"{name:<48} {'(no objects)':>17}")
                continue
            for url in targets[: args.warmup]:
                timed(client, url)
            times = [timed(client, url) for url in targets[: args.requests]]
            median, high = statistics.median(times), p95(times)
            verdict = "" if name.startswith("export") else ("ok" if high < TARGET_MS else "OVER TARGET")
            print(f"{name:<48} {median:>8.1f} {high:>8.1f}  {verdict}")


if __name__ == "__main__":
    main()
