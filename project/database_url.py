"""Database URLs, built in one place.

Settings read ``DATABASE_URL`` (through dj-database-url); everything else that needs a URL
builds it here: the URL of a Django ``DATABASES`` entry (to hand the test database to a
child process), the same database as a SQLAlchemy URL (kombu's and Celery's SQL
transports), and another database on the same server (the benchmarks' and tests' own
databases). A Unix-socket host is a directory: percent-encoded in a ``postgres://`` URL,
as dj-database-url reads it, and a ``?host=`` parameter in a SQLAlchemy URL.

This module imports nothing from Django, so the settings can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit


def _auth(db: Mapping[str, Any]) -> str:
    user = quote(db.get("USER") or "", safe="")
    password = db.get("PASSWORD") or ""
    return f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")


def database_url(db: Mapping[str, Any], name: str | None = None) -> str:
    """A ``postgres://`` URL for the Django database settings ``db`` (a ``DATABASES``
    entry), or for database ``name`` on the same server."""
    host = quote(db.get("HOST") or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{_auth(db)}{host}{port}/{name or db['NAME']}"


def sqlalchemy_url(db: Mapping[str, Any]) -> str:
    """The same database as a SQLAlchemy URL, for kombu's and Celery's SQL transports."""
    host = db.get("HOST") or ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    if host.startswith("/"):
        return f"postgresql+psycopg2://{_auth(db)}/{db['NAME']}?host={quote(host, safe='/')}"
    return f"postgresql+psycopg2://{_auth(db)}{host}{port}/{db['NAME']}"


def on_same_server(url: str, name: str) -> str:
    """``url`` (a ``postgres://`` URL) with database ``name`` instead of its own."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
