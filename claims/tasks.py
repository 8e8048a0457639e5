"""Thin Celery adapters: take an id, call the engine.

Every task here is idempotent (it recomputes flags from the data), so the app's
``acks_late`` + ``task_reject_on_worker_lost`` are safe: a task whose worker died is
delivered again and finishes the work, and the periodic scan catches anything else.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

logger = logging.getLogger(__name__)


@shared_task(name="claims.claim_check_contradictions")
def claim_check_contradictions(claim_id: int) -> None:
    """Check one claim against its candidates (runs after the claim's transaction commits)."""
    from claims import detection

    detection.claim_check(claim_id=claim_id)


@shared_task(name="claims.claims_check_contradictions")
def claims_check_contradictions(claim_ids: list[int], reexplain: bool = False) -> None:
    """Check a batch of claims at once, set-based (after a bulk write, or an edit of the
    vocabulary they use, commits); ``reexplain`` after a rename."""
    from claims import detection

    detection.claims_check(claim_ids=claim_ids, reexplain=reexplain)


@shared_task(name="claims.verdict_apply_to_contradictions")
def verdict_apply_to_contradictions(verdict_id: int) -> None:
    """Resolve, or raise an integrity alert on, the contradictions a new verdict touches."""
    from claims import detection

    detection.verdict_apply(verdict_id=verdict_id)


# The scan is one transaction in the database (or one per part); at a million claims it
# takes seconds, so the default limits (minutes) leave room. Well past them something is
# wrong: stop it.
@shared_task(name="claims.contradiction_scan", soft_time_limit=1800, time_limit=1860)
def contradiction_scan(triggered_by: str = "beat", parts: int | None = None) -> int | None:
    """Reconcile every flag with the rules (beat runs it periodically). In one statement
    here, or, with ``parts`` > 1 (default: the CONTRADICTION_SCAN_PARTS setting), split
    into that many ``contradiction_scan_part`` tasks that workers run side by side.
    Returns the ScanRun id (the split scan's parent run, still running while its parts
    are), or None when another scan was already running."""
    from django.conf import settings

    from claims import detection

    # A split scan still running when the next one is due lost some of its parts (they
    # take seconds): send the unfinished ones again rather than wait for it to be abandoned.
    unfinished = detection.split_scan_unfinished()
    if unfinished is not None:
        run_id, lost = unfinished
        logger.warning("split contradiction scan %s still running: sending parts %s again", run_id, lost)
        for part in lost:
            contradiction_scan_part.apply_async(kwargs={"run_id": run_id, "part": part})
        return None
    parts = parts or settings.CONTRADICTION_SCAN_PARTS
    if parts == 1:
        run = detection.contradiction_scan(triggered_by=triggered_by)
        return run.pk if run else None
    run = detection.contradiction_scan_split(parts=parts, triggered_by=triggered_by)
    if run is None:
        return None
    try:
        for part in range(parts):
            contradiction_scan_part.apply_async(kwargs={"run_id": run.pk, "part": part})
    except Exception as exc:  # the parts that did go out find their parent failed and stop
        detection.split_scan_failed(run_id=run.pk, error=f"Could not enqueue the parts: {exc}")
        raise
    return run.pk


@shared_task(bind=True, name="claims.contradiction_scan_part", soft_time_limit=1800, time_limit=1860, max_retries=60)
def contradiction_scan_part(self: Task[Any, Any], run_id: int, part: int) -> int | None:
    """Run one part of a split scan; the last part to finish finishes the whole. While
    another connection holds the part (a duplicate delivery, or a dead worker's connection
    not dropped yet), try again every 30 seconds, for half an hour."""
    from claims import detection

    try:
        run = detection.contradiction_scan_part(run_id=run_id, part=part)
    except detection.PartBusy as exc:
        raise self.retry(countdown=30, exc=exc) from exc
    return run.pk if run else None


@shared_task(name="claims.party_claim_counts_fold")
def party_claim_counts_fold() -> int:
    """Fold the claim-count ledger (beat runs it periodically)."""
    from claims import services

    return services.party_claim_counts_fold()
