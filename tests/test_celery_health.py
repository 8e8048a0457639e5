import pytest

from project.celery import app, health


@pytest.mark.worker
def test_a_real_worker_runs_the_health_task_on_the_real_broker(celery_worker_process):
    worker = celery_worker_process()

    result = health.apply_async(queue=worker.queue).get(timeout=60)

    assert result == {"worker": "ok", "database": "ok"}
    assert app.conf.broker_url.split(":")[0] in {"redis", "amqp", "sqla+postgresql+psycopg2"}
