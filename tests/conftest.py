"""Shared fixtures. Factories are exposed as fixtures; users come in each role."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests import factories


@pytest.fixture(autouse=True)
def _fresh_content_types() -> None:
    """Transactional tests flush the database, and Django re-creates content types with
    new ids; the in-process ContentType cache must not hand out the old ones (the admin's
    log entries would then break their foreign key)."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture
def party_factory() -> type[factories.PartyFactory]:
    return factories.PartyFactory


@pytest.fixture
def source_factory() -> type[factories.SourceFactory]:
    return factories.SourceFactory


@pytest.fixture
def entity_factory() -> type[factories.EntityFactory]:
    return factories.EntityFactory


@pytest.fixture
def claim_factory() -> type[factories.ClaimFactory]:
    return factories.ClaimFactory


@pytest.fixture
def user_factory() -> type[factories.UserFactory]:
    return factories.UserFactory


@pytest.fixture
def analyst(db: Any) -> User:
    return factories.UserFactory(username="analyst", role="Analyst")


@pytest.fixture
def journalist(db: Any) -> User:
    return factories.UserFactory(username="journalist", role="Journalist")


@pytest.fixture
def consumer(db: Any) -> User:
    return factories.UserFactory(username="consumer", role="API consumer", is_staff=False)


@pytest.fixture
def superuser(db: Any) -> User:
    return factories.UserFactory(username="admin", is_superuser=True)


def _reset_result_backend(app: Any) -> None:
    """Make Celery build its result backend again from ``app.conf`` on next use."""
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


class WorkerProcess:
    """A real ``celery worker`` process on the configured broker, serving a queue of its own."""

    def __init__(self, queue: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.queue = queue
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return str(self.log_path.read_text(errors="replace"))


@pytest.fixture
def celery_worker_process(transactional_db: Any, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start a real Celery worker that sees the test database, and stop it afterwards.

    The worker listens on a queue unique to this test, so parallel runs on a shared
    broker do not steal each other's tasks. Use ``request.param``-free: call
    ``start(concurrency=N)`` on the yielded starter.
    """
    import os
    import subprocess
    import sys
    import uuid

    from django.db import connection

    from project.celery import app
    from project.database_url import database_url, sqlalchemy_url

    started: list[WorkerProcess] = []
    queue = f"test-{uuid.uuid4().hex[:10]}"
    previous_queue = app.conf.task_default_queue
    previous_backend = app.conf.result_backend
    app.conf.task_default_queue = queue
    previous_broker = app.conf.broker_url
    if str(previous_broker).startswith("sqla+"):
        # Likewise the default broker: the test database's own kombu tables.
        app.conf.broker_url = "sqla+" + sqlalchemy_url(connection.settings_dict)
        app._pool = None  # type: ignore[attr-defined]  # private, not in celery-stubs
    if str(previous_backend).startswith("db+"):
        # The default result backend is the project's database; in tests, that is the test
        # database, which the worker also uses (the main one need not even exist).
        app.conf.result_backend = "db+" + sqlalchemy_url(connection.settings_dict)
        _reset_result_backend(app)

    def start(concurrency: int = 1, broker_url: str | None = None) -> WorkerProcess:
        """``broker_url`` runs this worker on another broker than the configured one;
        publish to it with ``app.connection_for_write(broker_url)``."""
        broker_url = broker_url or app.conf.broker_url
        env = {
            **os.environ,
            "DATABASE_URL": database_url(connection.settings_dict),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": str(app.conf.result_backend),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "DEBUG": "1",
        }
        log_path = tmp_path / f"worker-{len(started)}.log"
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
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=test-{len(started)}-{queue}@%h",
            ],
            env=env,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        worker = WorkerProcess(queue, process, log_path)
        started.append(worker)
        # Ready means it has run a task end to end.
        try:
            with app.connection_for_write(broker_url) as conn:
                result = app.send_task("project.health", queue=queue, connection=conn)
            result.get(timeout=90)
        except Exception:
            process.kill()
            raise AssertionError(f"the worker did not start:\n{worker.log()}") from None
        return worker

    yield start

    for worker in started:
        worker.process.terminate()
    for worker in started:
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
    app.conf.task_default_queue = previous_queue
    if app.conf.broker_url != previous_broker:
        app.conf.broker_url = previous_broker
        app._pool = None  # type: ignore[attr-defined]  # private, not in celery-stubs
    if app.conf.result_backend != previous_backend:
        app.conf.result_backend = previous_backend
        _reset_result_backend(app)


@pytest.fixture
def migration_data(transactional_db: Any) -> None:
    """The rows the data migrations install (starter predicates, the three roles).

    A transactional test's database is flushed after every such test, which removes them;
    this runs the data migration again, with its historical models, as ``migrate`` does.
    It is idempotent, so it is safe whatever ran before.
    """
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection)
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        if app_label != "claims" or "starter_vocabulary_and_roles" not in name:
            continue
        state = loader.project_state((app_label, name), at_end=False)
        with connection.schema_editor() as schema_editor:
            for operation in migration.operations:
                if isinstance(operation, RunPython):
                    operation.code(state.apps, schema_editor)
