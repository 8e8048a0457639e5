"""The contradiction engine. (Being written: see the engine issue.)"""

from __future__ import annotations


def claim_check(*, claim_id: int) -> None:
    raise NotImplementedError("the contradiction engine is not written yet")


def verdict_apply(*, verdict_id: int) -> None:
    raise NotImplementedError("the contradiction engine is not written yet")
