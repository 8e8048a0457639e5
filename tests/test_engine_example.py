"""What the engine flags in the worked example (the Lachin corridor article)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from claims import detection
from claims.models import Claim, Contradiction, Verdict

# subject -> (kind, relation, the two parties)
EXPECTED = {
    "Azerbaijan–Iran border": (
        "negation",
        "dispute",
        {"Ilham Aliyev, President of Azerbaijan", "Ministry of Defence of Armenia"},
    ),
    "Hadrut": ("negation", "dispute", {"Ilham Aliyev, President of Azerbaijan", "Armenia"}),
    "Fuzuli": ("negation", "dispute", {"Ilham Aliyev, President of Azerbaijan", "Armenia"}),
    "Armenian defence lines in southern Nagorno-Karabakh": (
        "negation",
        "dispute",
        {"South Front", "Armenian military"},
    ),
    # South Front says the advance reached Muradxanlı; the Armenian military calls the units
    # on the video sabotage parties.
    "Muradxanlı": ("negation", "dispute", {"South Front", "Armenian military"}),
}


@pytest.fixture
def example(db: Any) -> None:
    call_command("load_example", verbosity=0)


def flagged() -> dict[str, tuple[str, str, set[str]]]:
    return {
        flag.claim_a.subject.name: (
            flag.kind,
            flag.relation,
            {flag.claim_a.asserted_by.name, flag.claim_b.asserted_by.name},
        )
        for flag in Contradiction.objects.select_related(
            "claim_a__subject", "claim_a__asserted_by", "claim_b__asserted_by"
        )
    }


def test_the_scan_flags_every_disagreement_in_the_article_and_nothing_else(example: None) -> None:
    run = detection.contradiction_scan(triggered_by="test")
    assert run is not None

    assert flagged() == EXPECTED
    assert run.flags_opened == len(EXPECTED)


def test_the_checks_a_worker_runs_after_loading_flag_the_same_as_the_scan(example: None) -> None:
    # What the worker does once load_example commits: check each claim, apply each verdict.
    for claim_id in Claim.objects.order_by("id").values_list("id", flat=True):
        detection.claim_check(claim_id=claim_id)
    for verdict_id in Verdict.objects.order_by("id").values_list("id", flat=True):
        detection.verdict_apply(verdict_id=verdict_id)

    assert flagged() == EXPECTED
    run = detection.contradiction_scan(triggered_by="test")
    assert run is not None
    assert (run.flags_opened, run.flags_closed, run.flags_reopened, run.flags_resolved) == (0, 0, 0, 0)


def test_hadrut_is_explained_and_resolved_by_the_verdict_that_rated_the_denial_false(example: None) -> None:
    detection.contradiction_scan(triggered_by="test")

    flag = Contradiction.objects.get(claim_a__subject__name="Hadrut")
    denial = Claim.objects.get(subject__name="Hadrut", polarity="denies")
    assert flag.explanation == (
        "Both claims concern Hadrut · controlled by, for overlapping periods from 9 Oct 2020 and on 23 Oct 2020: "
        "Ilham Aliyev, President of Azerbaijan says Azerbaijan; Armenia says not Azerbaijan. "
        "Confidence: low: the claim of Armenia is known only from a third party's report and graded 5 for credibility."
    )
    assert flag.state == Contradiction.State.RESOLVED
    assert flag.resolved_by_verdict == denial.current_verdict
    assert denial.status == "false"


def test_the_other_disagreements_wait_open_for_a_reviewer(example: None) -> None:
    detection.contradiction_scan(triggered_by="test")

    assert set(Contradiction.objects.open().values_list("claim_a__subject__name", flat=True)) == set(EXPECTED) - {
        "Hadrut"
    }
    assert not Contradiction.objects.integrity_alerts().exists()


def test_aghband_changing_hands_is_history_and_the_two_capture_reports_agree(example: None) -> None:
    detection.contradiction_scan(triggered_by="test")

    # Held by the Armenian side until 22 October, by Azerbaijan from the 23rd; and South
    # Front and Aliyev both report its capture.
    assert Claim.objects.filter(subject__name="Aghband").count() == 4
    assert not Contradiction.objects.filter(claim_a__subject__name="Aghband").exists()
