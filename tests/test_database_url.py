"""Database URLs are built in one place (project.database_url) and read back by
dj-database-url as the same database."""

from __future__ import annotations

import dj_database_url
import pytest

from project.database_url import database_url, on_same_server, sqlalchemy_url

TCP = {"USER": "claim watch", "PASSWORD": "p@ss:word/1", "HOST": "db.example.org", "PORT": 5433, "NAME": "cw"}
SOCKET = {"USER": "postgres", "PASSWORD": "", "HOST": "/run/pg socket", "PORT": "", "NAME": "claimwatch"}


@pytest.mark.parametrize("db", [TCP, SOCKET], ids=["tcp", "unix-socket"])
def test_a_database_url_reads_back_as_the_same_database(db: dict[str, object]) -> None:
    parsed = dj_database_url.parse(database_url(db))
    assert {key: parsed[key] for key in ("USER", "HOST", "NAME")} == {k: db[k] for k in ("USER", "HOST", "NAME")}
    assert (parsed["PASSWORD"] or "") == db["PASSWORD"]
    assert str(parsed["PORT"] or "") == str(db["PORT"])


def test_another_database_on_the_same_server() -> None:
    assert database_url(TCP, "other").endswith("@db.example.org:5433/other")
    assert on_same_server("postgres://u@127.0.0.1:5432/cw?sslmode=disable", "cw_bench") == (
        "postgres://u@127.0.0.1:5432/cw_bench?sslmode=disable"
    )


def test_the_sqlalchemy_url_names_the_socket_directory_as_a_host_parameter() -> None:
    assert sqlalchemy_url(SOCKET) == "postgresql+psycopg2://postgres@/claimwatch?host=/run/pg%20socket"
    assert sqlalchemy_url(TCP) == "postgresql+psycopg2://claim%20watch:p%40ss%3Aword%2F1@db.example.org:5433/cw"
