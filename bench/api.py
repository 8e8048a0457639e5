"""Load test of the API's hot paths, next to a raw psycopg2 + orjson endpoint.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimwatch \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python bench/api.py [--claims 20000] [--duration 4] [--rounds 5] [--workers 3]

It uses its own database on the same server (``<name>_bench_api``; ``--database`` picks
another), migrates it and, the first time, fills it: synthetic claims and verdicts
(bench/generate.py), sources with excerpts, and contradictions. Then it serves the app with
gunicorn, and, in the same gunicorn processes, a raw WSGI endpoint (bench/raw.py) that reads
the same rows with psycopg2 and serves the same JSON with orjson (no framework, no
authentication). It
checks that both give the same documents, and loads each with wrk (Debian package
``wrk``; installed with apt-get if missing and running as root):

- the status lookup: 50 random claim ids per request;
- the claims list and the contradictions list: a page of 50;
- claim creates through the API (validated, written, history kept, check enqueued), next
  to a raw endpoint's two INSERTs of the same claim and appearance (the same triggers fire).

It prints requests per second, each API endpoint's throughput as a share of the raw one,
and the p99 latency. Loopback only; on a 2-core machine wrk shares the CPU with the server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import bench_database, generate  # noqa: E402 - needs ROOT on the path

PAGE = 50


def server() -> Callable[[dict[str, Any], Any], Any]:
    """gunicorn's entry point (``bench.api:server()``, called in each worker): /raw/… is the
    baseline (bench/raw.py), everything else is the project."""
    from django.core.wsgi import get_wsgi_application

    django_application = get_wsgi_application()  # sets Django up: bench.raw imports from claims
    from bench.raw import raw_application

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"].startswith("/raw/"):
            return raw_application(environ, start_response)
        return django_application(environ, start_response)

    return application


# --- Setting up the database ----------------------------------------------------------


def seed(claims: int) -> dict[str, int]:
    """Claims, with verdicts on some and sources and excerpts for every claim, from
    bench/generate.py; then contradictions between claims that disagree (as the engine flags
    them: same subject and predicate, opposite polarity)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        generate(cursor, claims=claims)
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO claims_contradiction (claim_a_id, claim_b_id, kind, relation, explanation, rule,
                                              rule_version, detected_at, state, state_reason, updated_at)
            SELECT a.id, b.id, 'negation',
                   CASE WHEN a.asserted_by_id = b.asserted_by_id THEN 'self' ELSE 'dispute' END,
                   'Claim ' || a.id || ' affirms what claim ' || b.id || ' denies, for overlapping periods.',
                   'negation', 1, now() - (a.id %% 1000) * interval '1 minute', 'open', '', now()
            FROM claims_claim a JOIN LATERAL (
                SELECT b.* FROM claims_claim b
                WHERE b.subject_id = a.subject_id AND b.predicate_id = a.predicate_id AND b.id > a.id
                  AND b.polarity <> a.polarity AND b.period && a.period
                ORDER BY b.id LIMIT 2
            ) b ON true
            ON CONFLICT DO NOTHING
            """,
            [],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT (SELECT count(*) FROM claims_claim), (SELECT count(*) FROM claims_contradiction), "
            "(SELECT count(*) FROM claims_claimsource), (SELECT count(*) FROM claims_verdict)"
        )
        n_claims, n_contradictions, n_links, n_verdicts = cursor.fetchone()
    return {"claims": n_claims, "contradictions": n_contradictions, "appearances": n_links, "verdicts": n_verdicts}


def api_keys() -> dict[str, str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.models import UserAPIKey

    keys = {}
    for role, group in (("consumer", "API consumer"), ("analyst", "Analyst")):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-{role}")
        user.groups.add(Group.objects.get(name=group))
        UserAPIKey.objects.filter(user=user).delete()
        keys[role] = str(UserAPIKey.objects.create_key(user=user, name="bench")[1])
    return keys


# --- Loading --------------------------------------------------------------------------


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        print("wrk is missing: installing the Debian package", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
        path = shutil.which("wrk")
    if not path:
        sys.exit("wrk is missing: apt-get install wrk")
    return path


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def server_cpu(server_pid: int, database: str) -> dict[int, float]:
    """CPU seconds used so far by each gunicorn worker and each PostgreSQL backend serving
    the bench database: what requests cost the machine, whatever else runs on it."""
    import psutil

    processes = psutil.Process(server_pid).children()
    processes += [p for p in psutil.process_iter(["cmdline"]) if f" {database} " in " ".join(p.info["cmdline"] or [])]
    used = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        used[process.pid] = times.user + times.system
    return used


def run_wrk(
    wrk: str, url: str, script: str, *, duration: int, connections: int, server: tuple[int, str] | None = None
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    cpu_before = server_cpu(*server) if server else {}
    result = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", handle.name, url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    cpu_after = server_cpu(*server) if server else {}
    cpu = sum(max(0.0, used - cpu_before.get(pid, 0.0)) for pid, used in cpu_after.items())
    os.unlink(handle.name)
    out = result.stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    seconds = _seconds(re.search(r"requests in ([\d.]+\w+),", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "ok_rps": (total - (int(bad.group(1)) if bad else 0)) / seconds,
        "p99": _seconds(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "non2xx": int(bad.group(1)) if bad else 0,
        "cpu_ms": cpu * 1000 / total if total else 0.0,
        "socket_errors": 1 if errors else 0,
    }


def median_run(found: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median throughput (its p99 and error counts come with it)."""
    return sorted(found, key=lambda run: run["rps"])[len(found) // 2]


def lua_get(path: str, key: str | None) -> str:
    auth = f'wrk.headers["Authorization"] = "Api-Key {key}"\n' if key else ""
    return f'{auth}wrk.method = "GET"\nwrk.path = "{path}"\n'


def lua_status(prefix: str, key: str | None, first: int, last: int) -> str:
    auth = f'wrk.headers["Authorization"] = "Api-Key {key}"\n' if key else ""
    return (
        auth
        + f"""
math.randomseed(7)
request = function()
  local ids = {{}}
  for i = 1, {PAGE} do ids[i] = math.random({first}, {last}) end
  return wrk.format("GET", "{prefix}status/?ids=" .. table.concat(ids, ","))
end
"""
    )


def lua_create(path: str, key: str | None, body: dict[str, Any], label: str) -> str:
    """POST ``body`` to ``path``, each with a statement of its own."""
    head, tail = orjson.dumps(body).decode().split("STATEMENT")
    auth = f'wrk.headers["Authorization"] = "Api-Key {key}"\n' if key else ""
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{auth}local head = [[{head}]]
local tail = [[{tail}]]
n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "{path}", nil, head .. "Bench {label} claim " .. n .. tail)
end
"""


def same_rows(api_claim: int, raw_claim: int) -> bool:
    """Whether the API and the raw endpoint wrote the same claim and appearance (but for the
    statement, the ids and the times), with their history and change-feed rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.subject_id, c.predicate_id, c.value_type, c.object_entity_id, c.quantity_best, c.text_value,
                   c.polarity, c.valid_from, c.valid_from_precision, c.valid_until, c.valid_until_precision,
                   c.asserted_by_id, c.asserted_at, c.quote, c.hedge, c.credibility, c.status, c.review_state,
                   c.period, c.retracted_at, c.retraction_reason,
                   (SELECT array_agg((cs.source_id, cs.role, cs.excerpt, cs.locator)::text ORDER BY cs.id)
                    FROM claims_claimsource cs WHERE cs.claim_id = c.id),
                   (SELECT count(*) FROM claims_claimevent e WHERE e.pgh_obj_id = c.id AND e.pgh_context_id IS NOT NULL),
                   (SELECT count(*) FROM claims_claimsourceevent e WHERE e.claim_id = c.id),
                   (SELECT count(*) FROM claims_claimchange f WHERE f.claim_id = c.id)
            FROM claims_claim c WHERE c.id = ANY(%s) ORDER BY c.id
            """,
            [[api_claim, raw_claim]],
        )
        rows = cursor.fetchall()
    connection.close()
    return len(rows) == 2 and rows[0] == rows[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str, key: str | None = None, *, post: dict[str, Any] | None = None) -> Any:
    """GET ``url`` (or POST ``post`` as JSON) and return the parsed answer; an error status
    ends the benchmark with the answer's body."""
    headers = {"Authorization": f"Api-Key {key}"} if key else {}
    if post is not None:
        headers["Content-Type"] = "application/json"
    data = None if post is None else orjson.dumps(post)
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - our own server
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
            return orjson.loads(response.read())
    except urllib.error.HTTPError as error:
        sys.exit(f"{request.get_method()} {url}: {error.code} {error.read().decode(errors='replace')[:2000]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="the benchmark's own database (default: DATABASE_URL's + _bench_api)")
    parser.add_argument("--claims", type=int, default=20000, help="claims to generate (once; default 20000)")
    parser.add_argument("--reseed", action="store_true", help="regenerate the data even if it is there")
    parser.add_argument("--duration", type=int, default=4, help="seconds per load run (default 4)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint (default 2; 0: none)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating raw/API runs per endpoint (default 5)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3)")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: any free one)")
    args = parser.parse_args()

    wrk = ensure_wrk()
    base_url = bench_database(args.database, benchmark="api")
    database = urlsplit(base_url).path.lstrip("/")
    port = args.port or free_port()
    env = {
        **os.environ,
        "DATABASE_URL": base_url,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback: there is no TLS to redirect to
        "LOG_LEVEL": "WARNING",
        **{f"API_THROTTLE_{scope}": "100000000/min" for scope in ("STATUS", "FEED", "READ", "WRITE")},
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim WHERE statement LIKE 'Bench claim %%'")
        present = cursor.fetchone()[0]
    if args.reseed or present < args.claims:
        print(f"Seeding {args.claims} claims …", flush=True)
        counts = seed(args.claims)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM claims_claim), (SELECT count(*) FROM claims_contradiction), "
                "(SELECT count(*) FROM claims_claimsource), (SELECT count(*) FROM claims_verdict)"
            )
            row = cursor.fetchone()
        counts = dict(zip(("claims", "contradictions", "appearances", "verdicts"), row, strict=True))
    keys = api_keys()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM claims_claim")
        first_claim, last_claim = cursor.fetchone()
        cursor.execute(
            "SELECT subject_id, object_entity_id, asserted_by_id FROM claims_claim "
            "WHERE predicate_id = (SELECT id FROM claims_predicate WHERE slug = 'controlled-by') LIMIT 1"
        )
        subject, value, party = cursor.fetchone()
        cursor.execute("SELECT id FROM sources_source WHERE title LIKE 'Bench source %%' LIMIT 1")
        source = cursor.fetchone()[0]
    connection.close()

    log = tempfile.NamedTemporaryFile("wb", suffix=".log", delete=False)  # noqa: SIM115 - read after the run
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "bench.api:server()", "--bind",
         f"127.0.0.1:{port}", "--workers", str(args.workers), "--worker-class", "sync",
         "--limit-request-line", "0", "--access-logfile", "/dev/null", "--error-logfile", "-"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(f"{base}/raw/status/?ids=1")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit(f"gunicorn did not start:\n{Path(log.name).read_text()}")
                time.sleep(0.3)

        ids = ",".join(str(i) for i in range(first_claim, first_claim + PAGE))
        for name, api_path, raw_path, key in (
            ("status", f"/api/v1/status/?ids={ids}", f"/raw/status/?ids={ids}", keys["consumer"]),
            ("claims", f"/api/v1/claims/?page_size={PAGE}", f"/raw/claims/?page_size={PAGE}", keys["consumer"]),
            ("contradictions", f"/api/v1/contradictions/?page_size={PAGE}", f"/raw/contradictions/?page_size={PAGE}",
             keys["consumer"]),
        ):  # fmt: skip
            api, raw = fetch(base + api_path, key), fetch(base + raw_path)
            if api["results"] != raw["results"] or not api["results"]:
                sys.exit(f"{name}: the raw endpoint does not serve the API's documents")
            if len(api["results"]) < PAGE:
                print(f"{name}: only {len(api['results'])} on a page (too little data for full pages)")
            if name != "status" and (api["next"] is None) != (raw["next"] is None):
                sys.exit(f"{name}: the raw endpoint's paging differs")
        body = {
            "subject": subject, "predicate": "controlled-by", "object_entity": value, "asserted_by": party,
            "asserted_at": "2020-10-23T12:00:00Z", "statement": "STATEMENT", "hedge": "claimed",
            "appearances": [{"source": source, "role": "report", "excerpt": "As the bench reported."}],
        }  # fmt: skip
        created = fetch(f"{base}/api/v1/claims/", keys["analyst"], post={**body, "statement": "Bench created (check)"})
        raw_created = fetch(f"{base}/raw/claims/", post={**body, "statement": "Bench raw-created (check)"})
        if not same_rows(created["id"], raw_created["id"]):
            sys.exit("claim creates: the raw endpoint does not write the rows the API writes")

        load_before = os.getloadavg()
        print(
            f"\nData: {counts['claims']} claims, {counts['contradictions']} contradictions, "
            f"{counts['appearances']} claim-source links, {counts['verdicts']} verdicts. "
            f"gunicorn: {args.workers} sync workers; wrk: 1 thread, {args.connections} connections, "
            f"median of {args.rounds} alternating {args.duration}s runs; {os.cpu_count()} CPUs.",
            flush=True,
        )
        runs: dict[str, dict[str, dict[str, float]]] = {}
        for name, api_script, raw_script in (
            ("status lookup (50 ids)", lua_status("/api/v1/", keys["consumer"], first_claim, last_claim),
             lua_status("/raw/", None, first_claim, last_claim)),
            ("claims list (page 50)", lua_get(f"/api/v1/claims/?page_size={PAGE}", keys["consumer"]),
             lua_get(f"/raw/claims/?page_size={PAGE}", None)),
            ("contradictions list (page 50)", lua_get(f"/api/v1/contradictions/?page_size={PAGE}", keys["consumer"]),
             lua_get(f"/raw/contradictions/?page_size={PAGE}", None)),
        ):  # fmt: skip
            # Warm every worker up, then alternate raw and API runs so that both see the same
            # machine (other load comes and goes); report the median run of each.
            for script in (raw_script, api_script) if args.warmup else ():
                run_wrk(wrk, base, script, duration=args.warmup, connections=args.connections)
            samples: dict[str, list[dict[str, float]]] = {"raw": [], "api": []}
            for _ in range(args.rounds):
                for side, script in (("raw", raw_script), ("api", api_script)):
                    samples[side].append(
                        run_wrk(wrk, base, script, duration=args.duration, connections=args.connections,
                                server=(server.pid, database))
                    )  # fmt: skip
            runs[name] = {side: median_run(found) for side, found in samples.items()}
        # Warm up as for the reads: each worker's first request with the analyst's key verifies
        # it. Then alternate as for the reads: the raw endpoint writes the same rows.
        create_scripts = {
            "raw": lua_create("/raw/claims/", None, body, "raw-created"),
            "api": lua_create("/api/v1/claims/", keys["analyst"], body, "created"),
        }
        for script in create_scripts.values() if args.warmup else ():
            run_wrk(wrk, base, script, duration=args.warmup, connections=args.connections)
        create_samples: dict[str, list[dict[str, float]]] = {"raw": [], "api": []}
        for _ in range(args.rounds):
            for side, script in create_scripts.items():
                create_samples[side].append(
                    run_wrk(wrk, base, script, duration=args.duration, connections=args.connections,
                            server=(server.pid, database))
                )  # fmt: skip
        creates = {side: median_run(found) for side, found in create_samples.items()}
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = [line for line in Path(log.name).read_text().splitlines() if "Error" in line or "Traceback" in line]

    print()
    print(
        f"{'endpoint':32} {'raw req/s':>10} {'API req/s':>10} {'API/raw':>8} {'raw p99':>9} {'API p99':>9}"
        f"   {'server CPU ms/req raw | API':>28}"
    )
    for name, pair in runs.items():
        raw, api = pair["raw"], pair["api"]
        flag = "" if api["non2xx"] == 0 and raw["non2xx"] == 0 else f"  ({api['non2xx']} API non-2xx!)"
        print(
            f"{name:32} {raw['rps']:10.0f} {api['rps']:10.0f} {api['rps'] / raw['rps']:8.0%} "
            f"{raw['p99'] * 1000:7.1f}ms {api['p99'] * 1000:7.1f}ms"
            f"   {raw['cpu_ms']:12.2f} | {api['cpu_ms']:.2f} ({raw['cpu_ms'] / api['cpu_ms']:.0%}){flag}"
        )
    raw, api = creates["raw"], creates["api"]
    print(
        f"{'claim creates (validated, 201)':32} {raw['ok_rps']:10.0f} {api['ok_rps']:10.0f} "
        f"{api['ok_rps'] / raw['ok_rps']:8.0%} {raw['p99'] * 1000:7.1f}ms {api['p99'] * 1000:7.1f}ms"
        f"   {raw['cpu_ms']:12.2f} | {api['cpu_ms']:.2f} ({raw['cpu_ms'] / api['cpu_ms']:.0%})"
        f"  ({api['non2xx'] + raw['non2xx']} not created)"
    )
    if errors:
        print("\nServer errors during the run:\n" + "\n".join(errors[:20]))
    print(
        f"\nRun at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average before {load_before[0]:.2f}, "
        f"after {os.getloadavg()[0]:.2f} (other work on the machine shifts both sides, the API more). "
        "Targets: status lookup and contradictions list ≥ 60% of raw; claim creates ≥ 1000/s through the API. "
        "A raw create is its two INSERTs in one transaction (history and change-feed triggers firing); an API "
        "create also authenticates, validates, resolves the body's rows, enqueues the contradiction check on "
        "the broker and answers the claim's document."
    )


if __name__ == "__main__":
    main()
