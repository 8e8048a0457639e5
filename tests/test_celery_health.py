import os
from collections.abc import Callable

import pytest

from project.celery import app, health
from tests.conftest import WorkerProcess


@pytest.mark.worker
def test_a_real_worker_runs_the_health_task_on_the_real_broker(
    celery_worker_process: Callable[..., WorkerProcess],
) -> None:
    worker = celery_worker_process()

    result = health.apply_async(queue=worker.queue).get(timeout=60)

    assert result == {"worker": "ok", "database": "ok"}
    assert app.conf.broker_url.split(":")[0] in {"redis", "amqp", "sqla+postgresql+psycopg2"}


@pytest.mark.worker
@pytest.mark.skipif(not os.environ.get("RABBITMQ_URL"), reason="RABBITMQ_URL is not set (.ci/run sets it)")
def test_a_real_worker_runs_the_health_task_over_rabbitmq(celery_worker_process: Callable[..., WorkerProcess]) -> None:
    """The production layout may use RabbitMQ instead of Redis: the same path over AMQP."""
    broker_url = os.environ["RABBITMQ_URL"]
    worker = celery_worker_process(broker_url=broker_url)

    with app.connection_for_write(broker_url) as conn:
        result = health.apply_async(queue=worker.queue, connection=conn)  # type: ignore[call-arg]  # an option celery-stubs omit
    assert result.get(timeout=60) == {"worker": "ok", "database": "ok"}
    assert "amqp" in worker.log() or broker_url.startswith("amqp")
