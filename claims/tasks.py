"""Thin Celery adapters: take an id, call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="claims.claim_check_contradictions")
def claim_check_contradictions(claim_id: int) -> None:
    """Check one claim against its candidates (runs after the claim's transaction commits)."""
    from claims import detection

    detection.claim_check(claim_id=claim_id)


@shared_task(name="claims.verdict_apply_to_contradictions")
def verdict_apply_to_contradictions(verdict_id: int) -> None:
    """Resolve, or raise an integrity alert on, the contradictions a new verdict touches."""
    from claims import detection

    detection.verdict_apply(verdict_id=verdict_id)
