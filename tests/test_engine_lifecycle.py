"""A flag's life: open, closed by an edit, reopened, dismissed, confirmed, resolved by a
verdict, and the verdict-conflict alert (claims.detection)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from claims import detection
from claims.models import Claim, Contradiction, Rating, Verdict
from claims.services import (
    claim_retract,
    claim_update,
    contradiction_confirm,
    contradiction_dismiss,
    verdict_record,
)
from tests import factories
from tests.engine_fixtures import D, War, check, flag_of, make_war


@pytest.fixture
def war(db: Any) -> War:
    return make_war()


@pytest.fixture
def reviewer(db: Any) -> User:
    return factories.UserFactory(username="reviewer", role="Journalist")


@pytest.fixture
def dispute(war: War) -> tuple[Claim, Claim]:
    """Azerbaijan says it holds Hadrut from 9 October; Armenia's ministry denies it on the 23rd."""
    said = war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)
    denied = war.claim(by=war.am_mod, value=war.az, denies=True)
    check(denied)
    return said, denied


def rate(claim: Claim, rating: str, reviewer: User) -> Verdict:
    """Record a verdict and apply it, as the worker does after the verdict commits."""
    verdict = verdict_record(claim=claim, rating=rating, rationale="Settled by later events.", reviewer=reviewer)
    detection.verdict_apply(verdict_id=verdict.pk)
    return verdict


# --- Edits ----------------------------------------------------------------------------


def test_an_edit_that_breaks_the_rule_closes_the_flag_with_the_reason(dispute: tuple[Claim, Claim]) -> None:
    said, denied = dispute
    flag = flag_of(said, denied)

    claim_update(claim=denied, data={"valid_from": D(2020, 10, 1), "valid_until": D(2020, 10, 5)})
    outcome = check(denied)

    flag.refresh_from_db()
    assert outcome.closed == 1
    assert flag.state == Contradiction.State.CLOSED
    assert flag.state_reason == "The negation rule no longer holds: after an edit their periods no longer overlap."
    assert flag.state_changed_at is not None


def test_a_flag_whose_rule_holds_again_reopens_as_the_same_row(dispute: tuple[Claim, Claim]) -> None:
    said, denied = dispute
    first = flag_of(said, denied)
    claim_update(claim=denied, data={"valid_from": D(2020, 10, 1), "valid_until": D(2020, 10, 5)})
    check(denied)

    claim_update(claim=denied, data={"valid_from": D(2020, 10, 23), "valid_until": D(2020, 10, 24)})
    outcome = check(denied)

    again = flag_of(said, denied)
    assert outcome.reopened == 1
    assert again.pk == first.pk
    assert Contradiction.objects.count() == 1
    assert (again.state, again.state_reason) == ("open", "The rule holds again after an edit.")
    assert "on 23 Oct 2020" not in again.explanation
    assert "from 23 Oct 2020 to 24 Oct 2020" in again.explanation


def test_an_edit_that_changes_why_the_claims_disagree_updates_the_open_flag(
    war: War, dispute: tuple[Claim, Claim]
) -> None:
    said, denied = dispute
    flag = flag_of(said, denied)

    claim_update(claim=denied, data={"polarity": "affirms", "object_entity": war.artsakh})
    check(denied)

    flag.refresh_from_db()
    assert (flag.state, flag.kind, flag.rule) == ("open", "conflicting_value", "conflicting-value")
    assert flag.explanation.endswith("Armenia's Ministry of Defence says Republic of Artsakh. Confidence: high.")


def test_moving_a_claim_to_another_place_closes_its_flags_there(war: War, dispute: tuple[Claim, Claim]) -> None:
    said, denied = dispute

    claim_update(claim=denied, data={"subject": war.fuzuli})
    check(denied)

    flag = flag_of(said, denied)
    assert flag.state == Contradiction.State.CLOSED
    assert flag.state_reason == (
        "The negation rule no longer holds: after an edit the claims no longer share a subject and a predicate, "
        "nor is one place within the other."
    )


def test_a_retraction_closes_the_flag_with_the_retraction_reason(dispute: tuple[Claim, Claim]) -> None:
    said, denied = dispute

    claim_retract(claim=said, reason="The announcement was premature")
    check(said)

    flag = flag_of(said, denied)
    assert flag.state == Contradiction.State.CLOSED
    assert flag.state_reason == (
        f"The negation rule no longer holds: claim #{said.pk} was retracted (The announcement was premature)."
    )


def test_checking_again_changes_nothing(dispute: tuple[Claim, Claim]) -> None:
    said, denied = dispute
    flag = flag_of(said, denied)
    events = flag.events.count()  # type: ignore[attr-defined]  # pghistory's reverse accessor

    outcome = check(said, denied, said)

    assert outcome == detection.Outcome()
    assert flag.events.count() == events  # type: ignore[attr-defined]  # pghistory's reverse accessor
    assert flag_of(said, denied).updated_at == flag.updated_at


# --- Review ---------------------------------------------------------------------------


def test_a_dismissed_flag_stays_dismissed_when_checked_and_scanned_again(
    dispute: tuple[Claim, Claim], reviewer: User
) -> None:
    said, denied = dispute
    flag = contradiction_dismiss(contradiction=flag_of(said, denied), user=reviewer, reason="Different villages")

    claim_update(claim=denied, data={"valid_until": D(2020, 10, 25)})
    check(denied, said)
    run = detection.contradiction_scan(triggered_by="test")
    assert run is not None

    flag.refresh_from_db()
    assert (flag.state, flag.state_reason, flag.reviewed_by) == ("dismissed", "Different villages", reviewer)
    assert (run.flags_opened, run.flags_reopened) == (0, 0)


def test_a_dismissed_flag_stays_dismissed_after_an_edit_breaks_and_restores_the_rule(
    dispute: tuple[Claim, Claim], reviewer: User
) -> None:
    said, denied = dispute
    contradiction_dismiss(contradiction=flag_of(said, denied), user=reviewer, reason="Different villages")

    claim_update(claim=denied, data={"polarity": "affirms"})
    check(denied)
    claim_update(claim=denied, data={"polarity": "denies"})
    check(denied)

    assert flag_of(said, denied).state == Contradiction.State.DISMISSED


def test_a_confirmed_flag_stays_confirmed_and_keeps_its_reviewer(dispute: tuple[Claim, Claim], reviewer: User) -> None:
    said, denied = dispute
    contradiction_confirm(contradiction=flag_of(said, denied), user=reviewer, note="Both statements verified")

    check(said, denied)
    detection.contradiction_scan(triggered_by="test")

    flag = flag_of(said, denied)
    assert (flag.state, flag.reviewed_by) == ("confirmed", reviewer)


# --- Verdicts -------------------------------------------------------------------------


def test_a_false_verdict_resolves_the_flag_and_names_the_verdict(dispute: tuple[Claim, Claim], reviewer: User) -> None:
    said, denied = dispute

    verdict = rate(denied, Rating.FALSE, reviewer)

    flag = flag_of(said, denied)
    assert flag.state == Contradiction.State.RESOLVED
    assert flag.resolved_by_verdict == verdict
    assert flag.state_reason == f"Claim #{denied.pk} is rated false (verdict #{verdict.pk})."


def test_a_confirmed_flag_is_resolved_by_a_false_verdict(dispute: tuple[Claim, Claim], reviewer: User) -> None:
    said, denied = dispute
    contradiction_confirm(contradiction=flag_of(said, denied), user=reviewer)

    verdict = rate(said, Rating.FALSE, reviewer)

    flag = flag_of(said, denied)
    assert (flag.state, flag.resolved_by_verdict) == ("resolved", verdict)


def test_a_mostly_false_verdict_leaves_the_flag_to_a_person(dispute: tuple[Claim, Claim], reviewer: User) -> None:
    said, denied = dispute

    rate(denied, Rating.MOSTLY_FALSE, reviewer)

    assert flag_of(said, denied).state == Contradiction.State.OPEN


def test_a_pair_found_after_one_claim_was_rated_false_starts_resolved(war: War, reviewer: User) -> None:
    said = war.claim(by=war.aliyev, value=war.az, valid_from=D(2020, 10, 9), valid_until=None)
    verdict = rate(said, Rating.FALSE, reviewer)
    denied = war.claim(by=war.am_mod, value=war.az, denies=True)

    outcome = check(denied)

    flag = flag_of(said, denied)
    assert (outcome.opened, outcome.resolved) == (1, 1)
    assert (flag.state, flag.resolved_by_verdict) == ("resolved", verdict)


def test_a_flag_reopens_when_the_verdict_that_resolved_it_is_superseded(
    dispute: tuple[Claim, Claim], reviewer: User
) -> None:
    said, denied = dispute
    rate(denied, Rating.FALSE, reviewer)

    rate(denied, Rating.UNPROVEN, reviewer)

    flag = flag_of(said, denied)
    assert (flag.state, flag.resolved_by_verdict) == ("open", None)
    assert flag.state_reason == "The verdict that resolved it is no longer the latest; the claims disagree again."


def test_two_contradicting_claims_both_rated_true_raise_an_integrity_alert(
    dispute: tuple[Claim, Claim], reviewer: User
) -> None:
    said, denied = dispute
    rate(said, Rating.TRUE, reviewer)
    assert flag_of(said, denied).integrity_alert_verdict is None

    second = rate(denied, Rating.TRUE, reviewer)

    flag = flag_of(said, denied)
    assert flag.integrity_alert_verdict == second
    assert flag.integrity_alert_at is not None
    assert list(Contradiction.objects.integrity_alerts()) == [flag]
    assert (flag.state, flag.kind) == ("open", "negation")  # still one row, still the rule's kind


def test_the_integrity_alert_clears_when_a_claim_is_rated_otherwise(
    dispute: tuple[Claim, Claim], reviewer: User
) -> None:
    said, denied = dispute
    rate(said, Rating.TRUE, reviewer)
    rate(denied, Rating.TRUE, reviewer)

    rate(denied, Rating.MOSTLY_FALSE, reviewer)

    flag = flag_of(said, denied)
    assert (flag.integrity_alert_verdict, flag.integrity_alert_at) == (None, None)
    assert not Contradiction.objects.integrity_alerts().exists()


def test_a_dismissed_flag_raises_no_integrity_alert(dispute: tuple[Claim, Claim], reviewer: User) -> None:
    said, denied = dispute
    contradiction_dismiss(contradiction=flag_of(said, denied), user=reviewer, reason="Different villages")

    rate(said, Rating.TRUE, reviewer)
    rate(denied, Rating.TRUE, reviewer)

    assert flag_of(said, denied).integrity_alert_verdict is None


# --- History --------------------------------------------------------------------------


def test_every_move_of_a_flag_is_kept_in_history_with_the_engine_as_actor(
    dispute: tuple[Claim, Claim], reviewer: User
) -> None:
    said, denied = dispute
    claim_update(claim=denied, data={"valid_from": D(2020, 10, 1), "valid_until": D(2020, 10, 5)})
    check(denied)
    claim_update(claim=denied, data={"valid_from": D(2020, 10, 23), "valid_until": D(2020, 10, 23)})
    check(denied)

    flag = flag_of(said, denied)
    events = list(flag.events.order_by("pgh_id").values_list("pgh_label", "state", "pgh_context__metadata"))  # type: ignore[attr-defined]  # pghistory's reverse accessor
    assert [(label, state) for label, state, _ in events] == [
        ("insert", "open"),
        ("update", "closed"),
        ("update", "open"),
    ]
    assert all(metadata["actor"] == "contradiction-engine" for _, _, metadata in events)
