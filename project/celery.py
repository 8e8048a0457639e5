"""The Celery application.

The broker comes from ``CELERY_BROKER_URL`` (Redis or AMQP in production); by default it
is the project's own PostgreSQL through kombu's SQLAlchemy transport. Tasks are thin
adapters: they take an id, load the object and call a service. They are enqueued only
after the surrounding transaction commits (``transaction.on_commit``).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("claimwatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Our tasks are idempotent, so a task whose worker died is redelivered, not lost.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    # Tasks are published after a write commits. When the broker is down the write is saved
    # anyway and the periodic contradiction scan catches up, so a publish must fail at once
    # rather than hold the request for the default ~6 s of reconnecting: one quick retry,
    # and a short connect timeout (Redis; AMQP uses broker_connection_timeout).
    broker_transport_options={
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
        # Redis only: the SQL transport hands unknown options to SQLAlchemy, which refuses them.
        **({"socket_connect_timeout": 2} if os.environ.get("CELERY_BROKER_URL", "").startswith("redis") else {}),
    },
    beat_scheduler="django_celery_beat.schedulers:DatabaseScheduler",
    timezone="UTC",
)
app.autodiscover_tasks()

# A worker keeps its database connection from task to task, as a web process does from
# request to request (CONN_MAX_AGE, checked with CONN_HEALTH_CHECKS before reuse). Celery's
# default, a new connection for every task, cost several times more than a contradiction
# check itself (bench/contradictions.py: ~40 ms against ~7 ms per check end to end).
app.conf["CELERY_DB_REUSE_MAX"] = 1000  # Celery's Django fixup: close them every 1000 tasks


@signals.task_prerun.connect
def _drop_stale_database_connections(**kwargs: Any) -> None:
    """Before each task, what Django does before each request: close connections that are
    too old or broken (a restarted database), and health-check the others on first use."""
    from django.db import close_old_connections

    close_old_connections()


# Beat's periodic jobs are CELERY_BEAT_SCHEDULE in project/settings.py (read lazily, so
# importing this module does not load the settings). django-celery-beat's
# DatabaseScheduler copies them into its tables at start-up, where an admin can pause them.


@app.task(name="project.health", ignore_result=False, acks_late=False)
def health() -> dict[str, Any]:
    """Proves the path end to end: broker -> worker -> database -> result backend."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone() or (None,)
    return {"worker": "ok", "database": "ok" if one == 1 else "error"}
