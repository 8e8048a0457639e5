"""The Celery application.

The broker comes from ``CELERY_BROKER_URL`` (Redis or AMQP in production); by default it
is the project's own PostgreSQL through kombu's SQLAlchemy transport. Tasks are thin
adapters: they take an id, load the object and call a service. They are enqueued only
after the surrounding transaction commits (``transaction.on_commit``).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

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
    beat_scheduler="django_celery_beat.schedulers:DatabaseScheduler",
    timezone="UTC",
)
app.autodiscover_tasks()


@app.task(name="project.health", ignore_result=False, acks_late=False)
def health() -> dict[str, Any]:
    """Proves the path end to end: broker -> worker -> database -> result backend."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone() or (None,)
    return {"worker": "ok", "database": "ok" if one == 1 else "error"}
