"""Writes and domain logic for claims, verdicts and contradictions.

Every write is one ``transaction.atomic`` unit. Work for the Celery workers is enqueued
with ``transaction.on_commit`` so that a rolled-back write never triggers a job, and a
broker outage never loses a write (the periodic scan catches up).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import CheckConstraint, ForeignKey, Model, Q
from django.utils import timezone

from claims import sql as claims_sql
from claims.models import (
    Claim,
    ClaimSource,
    Contradiction,
    Entity,
    PeriodPrecision,
    Predicate,
    Verdict,
    VerdictEvidence,
)
from project.db import CHECK_FIELDS
from sources.models import Party, Source
from sources.services import source_get_or_create

logger = logging.getLogger(__name__)

# The fields an analyst edits, in the order a form shows them.
EDITABLE_FIELD_ORDER = (
    "subject",
    "predicate",
    "polarity",
    "object_entity",
    "quantity_low",
    "quantity_best",
    "quantity_high",
    "text_value",
    "valid_from",
    "valid_from_precision",
    "valid_until",
    "valid_until_precision",
    "asserted_by",
    "asserted_at",
    "statement",
    "quote",
    "hedge",
    "credibility",
    "review_state",
)
EDITABLE_FIELDS = frozenset(EDITABLE_FIELD_ORDER)
# Fields whose change can make or break a contradiction: a change to any of them
# re-checks the claim.
PROPOSITION_FIELDS = EDITABLE_FIELDS - {"asserted_at", "statement", "quote", "hedge", "credibility", "review_state"}


@dataclass(frozen=True)
class Appearance:
    """Where a claim appears: a source, the role it plays, and the verbatim excerpt.

    ``source`` may be unsaved (no pk, a URL): it is then the source of that URL, created
    with the claim if no source has the URL yet."""

    source: Source
    role: str = ClaimSource.Role.REPORT
    excerpt: str = ""
    locator: str = ""


def _enqueue_claim_check(claim_id: int) -> None:
    """After commit, ask a worker to check the claim against its candidates."""

    def publish() -> None:
        from claims.tasks import claim_check_contradictions

        try:
            claim_check_contradictions.apply_async(args=(claim_id,), retry=False)
        except Exception:  # the broker is down: the claim is saved, the next scan finds it
            logger.warning("could not enqueue the contradiction check of claim %s", claim_id, exc_info=True)

    transaction.on_commit(publish)


def _enqueue_verdict_effects(verdict_id: int) -> None:
    def publish() -> None:
        from claims.tasks import verdict_apply_to_contradictions

        try:
            verdict_apply_to_contradictions.apply_async(args=(verdict_id,), retry=False)
        except Exception:  # the broker is down: the verdict is saved, the next scan applies it
            logger.warning("could not enqueue the effects of verdict %s", verdict_id, exc_info=True)

    transaction.on_commit(publish)


def claim_fill_defaults(claim: Claim) -> None:
    """Fill what the analyst may leave out: a single quantity is its own range, and a
    claim with no period is about the moment it was asserted."""
    if claim.quantity_best is not None:
        claim.quantity_low = claim.quantity_best if claim.quantity_low is None else claim.quantity_low
        claim.quantity_high = claim.quantity_best if claim.quantity_high is None else claim.quantity_high
    if claim.valid_from is None and claim.asserted_at is not None:
        claim.valid_from = claim.asserted_at.date()
        claim.valid_from_precision = PeriodPrecision.DAY
        if claim.valid_until is None:
            claim.valid_until = claim.valid_from
            claim.valid_until_precision = PeriodPrecision.DAY


def claim_validate(claim: Claim, *, constraints: bool = True) -> None:
    """Raise ``ValidationError`` (keyed by field) if the claim's value does not fit its
    predicate, or any field or constraint is violated. Nothing is written.

    ``constraints=False`` is for a caller that saves the claim next, with ``_save_checked``:
    the database then checks the CHECK constraints as it writes (instead of one query and
    two savepoints each here), and a violation is the same error. A relation given as a row
    loaded from the database (an entity, a party, the predicate, the user) is not looked up
    again either; its foreign key holds it at commit."""
    errors: dict[str, list[str]] = {}
    predicate = claim.predicate if claim.predicate_id else None
    if predicate is not None:
        claim.value_type = predicate.value_type
        given: dict[str, bool] = {
            Predicate.ValueType.ENTITY: claim.object_entity_id is not None,
            Predicate.ValueType.QUANTITY: any(
                v is not None for v in (claim.quantity_low, claim.quantity_best, claim.quantity_high)
            ),
            Predicate.ValueType.TEXT: bool(claim.text_value),
        }
        field_of: dict[str, str] = {
            Predicate.ValueType.ENTITY: "object_entity",
            Predicate.ValueType.QUANTITY: "quantity_best",
            Predicate.ValueType.TEXT: "text_value",
        }
        expected: str = predicate.value_type
        label = {"entity": "an entity", "quantity": "a quantity", "text": "a text value", "none": "no value"}
        for value_type, present in given.items():
            if present and value_type != expected:
                errors.setdefault(field_of[value_type], []).append(
                    f'"{predicate}" takes {label[expected]}, not {label[value_type]}.'
                )
        if expected in field_of and not given[expected]:
            errors.setdefault(field_of[expected], []).append(f'"{predicate}" needs {label[expected]}.')
        if expected == Predicate.ValueType.QUANTITY and claim.quantity_best is None and given[expected]:
            errors.setdefault("quantity_best", []).append("Give the best estimate as well as the range.")
    if errors:
        raise ValidationError(errors)
    exclude = ["value_type", "period", "search_vector"]
    if constraints:
        claim.full_clean(exclude=exclude)
        return
    claim.full_clean(exclude=[*exclude, *_loaded_relations(claim)], validate_constraints=False)
    if claim.valid_until is not None and claim.valid_until < claim.valid_from:
        # The database would refuse it while computing ``period``, before its CHECK names it.
        error = _check_error(Claim, "claim_period_ordered")
        raise error if error is not None else RuntimeError("Claim has lost its CHECK claim_period_ordered")


def _loaded_relations(instance: Model) -> list[str]:
    """The foreign keys of ``instance`` that hold a row read from the database (so field
    validation need not query for it again)."""
    loaded = []
    for field in instance._meta.concrete_fields:
        if isinstance(field, ForeignKey) and field.is_cached(instance):
            related = field.get_cached_value(instance)
            if related is not None and not related._state.adding and related.pk == getattr(instance, field.attname):
                loaded.append(field.name)
    return loaded


def _save_checked(instance: Model) -> None:
    """Save ``instance``, reporting a CHECK constraint the database refuses as model
    validation does (``project.db.FieldChecks``): a ``ValidationError`` keyed by the field
    the constraint is about, with its message and code. Call inside the write's
    transaction, which the error then rolls back."""
    try:
        instance.save()
    except IntegrityError as exc:
        name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        error = _check_error(type(instance), name) if name else None
        if error is None:
            raise
        raise error from exc


def _check_error(model: type[Model], name: str) -> ValidationError | None:
    """The error model validation reports for the CHECK constraint ``name`` of ``model``."""
    for constraint in model._meta.constraints:
        if isinstance(constraint, CheckConstraint) and constraint.name == name:
            error = ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)
            return ValidationError({CHECK_FIELDS.get(name, NON_FIELD_ERRORS): [error]})
    return None


@transaction.atomic
def claim_create(
    *,
    subject: Entity,
    predicate: Predicate,
    asserted_by: Party,
    asserted_at: dt.datetime,
    statement: str,
    object_entity: Entity | None = None,
    quantity_low: Decimal | None = None,
    quantity_best: Decimal | None = None,
    quantity_high: Decimal | None = None,
    text_value: str = "",
    polarity: str = Claim.Polarity.AFFIRMS,
    valid_from: dt.date | None = None,
    valid_from_precision: str = PeriodPrecision.DAY,
    valid_until: dt.date | None = None,
    valid_until_precision: str = PeriodPrecision.DAY,
    quote: str = "",
    hedge: str = Claim.Hedge.STATED,
    credibility: int = Claim.Credibility.CANNOT_BE_JUDGED,
    appearances: Sequence[Appearance] = (),
    created_by: User | None = None,
) -> Claim:
    """Log one claim with the sources it appears in. Raises ``ValidationError``."""
    claim = Claim(  # type: ignore[misc]  # valid_from may be None until claim_fill_defaults
        subject=subject,
        predicate=predicate,
        asserted_by=asserted_by,
        asserted_at=asserted_at,
        statement=statement,
        object_entity=object_entity,
        quantity_low=quantity_low,
        quantity_best=quantity_best,
        quantity_high=quantity_high,
        text_value=text_value,
        polarity=polarity,
        valid_from=valid_from,
        valid_from_precision=valid_from_precision,
        valid_until=valid_until,
        valid_until_precision=valid_until_precision,
        quote=quote,
        hedge=hedge,
        credibility=credibility,
        created_by=created_by,
    )
    claim_fill_defaults(claim)
    claim_validate(claim, constraints=False)
    _save_checked(claim)
    claim_appearances_add(claim=claim, appearances=appearances)
    _enqueue_claim_check(claim.pk)
    return claim


def claim_appearances_add(*, claim: Claim, appearances: Iterable[Appearance]) -> list[ClaimSource]:
    """Link a new claim to the sources it appears in, in one INSERT however many there are
    (the links' fields are checked here, their constraints by the database). Call inside
    the claim's transaction: a source created for an unknown URL goes with it."""
    links = []
    seen: set[tuple[int, str]] = set()
    created: dict[str, Source] = {}
    for appearance in appearances:
        source = appearance.source
        if source.pk is None:  # by a URL no source had when the request was read
            url = str(source.url)
            if url not in created:
                created[url] = _source_of_url(source)
            source = created[url]
        if (source.pk, appearance.role) in seen:
            raise ValidationError({"appearances": ["This source is already linked to the claim in this role."]})
        seen.add((source.pk, appearance.role))
        link = ClaimSource(
            claim=claim,
            source=source,
            role=appearance.role,
            excerpt=appearance.excerpt,
            locator=appearance.locator,
        )
        link.clean_fields(exclude=["claim", "source"])
        links.append(link)
    return ClaimSource.objects.bulk_create(links)


def _source_of_url(unsaved: Source) -> Source:
    """The source of ``unsaved.url``, created from ``unsaved`` if there is none. Another
    write creating the same URL at the same moment wins, and its source is used."""
    lookup = {"url": unsaved.url}
    try:
        with transaction.atomic():  # a savepoint: losing the race to the URL's unique index
            source, _ = source_get_or_create(lookup=lookup, defaults={"kind": unsaved.kind, "title": unsaved.title})
            return source
    except (IntegrityError, ValidationError):
        existing = Source.objects.filter(**lookup).first()
        if existing is None:
            raise
        return existing


@transaction.atomic
def claim_update(*, claim: Claim, data: dict[str, Any]) -> Claim:
    """Change a claim's fields. A change to its proposition, period or party re-checks
    it for contradictions after commit. Raises ``ValidationError``."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    # Checked on the locked row: the caller's copy may predate another analyst's retraction.
    if locked.retracted_at is not None:
        raise ValidationError("A retracted claim cannot be changed; log a new claim instead.")
    data = dict(data)
    if "quantity_best" in data:
        # A single figure is stored as its own range; correcting the figure moves the range.
        for bound in ("quantity_low", "quantity_high"):
            if bound not in data and getattr(locked, bound) == locked.quantity_best:
                data[bound] = None
    changed = {name for name, value in data.items() if getattr(locked, name) != value}
    for name, value in data.items():
        setattr(locked, name, value)
    if {"quantity_best", "quantity_low", "quantity_high"} & changed:
        claim_fill_defaults(locked)
    claim_validate(locked)
    locked.save()
    if changed & PROPOSITION_FIELDS:
        _enqueue_claim_check(locked.pk)
    return locked


@transaction.atomic
def claim_retract(*, claim: Claim, reason: str) -> Claim:
    """Withdraw a claim: it stays on record, leaves contradiction checks, and its open
    flags are closed by the check that follows."""
    if not reason.strip():
        raise ValidationError({"retraction_reason": ["Say why the claim is retracted."]})
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    if locked.retracted_at is not None:
        raise ValidationError("This claim is already retracted.")
    locked.retracted_at = timezone.now()
    locked.retraction_reason = reason.strip()
    locked.save(update_fields=["retracted_at", "retraction_reason", "updated_at"])
    _enqueue_claim_check(locked.pk)
    return locked


@transaction.atomic
def verdict_record(
    *,
    claim: Claim,
    rating: str,
    rationale: str,
    reviewer: User,
    evidence: Iterable[Source] = (),
    publish: bool = False,
    holds_from: dt.date | None = None,
) -> Verdict:
    """Append a verdict. It becomes the claim's status (the database keeps the claim's
    ``status`` equal to its latest verdict). Earlier verdicts are kept. ``holds_from``: the
    day from which the rating holds, if known (``recorded_at`` is now)."""
    verdict = Verdict(
        claim=claim,
        rating=rating,
        rationale=rationale.strip(),
        reviewer=reviewer,
        holds_from=holds_from,
        published_at=timezone.now() if publish else None,
    )
    verdict.full_clean(exclude=["recorded_at"])
    verdict.save()
    for source in evidence:
        VerdictEvidence.objects.create(verdict=verdict, source=source)
    _enqueue_verdict_effects(verdict.pk)
    return verdict


@transaction.atomic
def verdict_publish(*, verdict: Verdict) -> Verdict:
    """Publish a verdict (for ClaimReview). Publication happens once."""
    locked = Verdict.objects.select_for_update().get(pk=verdict.pk)
    if locked.published_at is not None:
        raise ValidationError("This verdict is already published.")
    locked.published_at = timezone.now()
    locked.save(update_fields=["published_at"])
    return locked


def _contradiction_review(*, contradiction: Contradiction, state: str, user: User, reason: str) -> Contradiction:
    locked = Contradiction.objects.select_for_update().get(pk=contradiction.pk)
    refusal = Contradiction.Lifecycle.review_refusal(state=locked.state, to=state)
    if refusal is not None:
        raise ValidationError(refusal)
    locked.state = state
    locked.state_reason = reason
    locked.state_changed_at = timezone.now()
    locked.reviewed_by = user
    locked.save()
    return locked


@transaction.atomic
def contradiction_confirm(*, contradiction: Contradiction, user: User, note: str = "") -> Contradiction:
    """A person agrees that the two claims cannot both be true."""
    return _contradiction_review(
        contradiction=contradiction, state=Contradiction.State.CONFIRMED, user=user, reason=note.strip()
    )


@transaction.atomic
def contradiction_dismiss(*, contradiction: Contradiction, user: User, reason: str) -> Contradiction:
    """A person judges the flag wrong. It stays dismissed when scans run again."""
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the flag is dismissed."]})
    return _contradiction_review(
        contradiction=contradiction, state=Contradiction.State.DISMISSED, user=user, reason=reason.strip()
    )


@transaction.atomic
def entity_save(*, entity: Entity) -> Entity:
    """Create ``entity`` or save its changes, after validating it (a ValidationError names
    the field at fault: a ``part_of`` that is the entity itself, coordinates out of range or
    only one of the pair; a name and kind another entity has in the same place). Moving
    it (``part_of``) or renaming it re-checks the claims it touches after commit."""
    if (entity.latitude is None) != (entity.longitude is None):
        # The CHECK entity_coordinates_valid lets this through: with one side NULL its
        # condition is NULL, which a CHECK accepts.
        missing = "longitude" if entity.longitude is None else "latitude"
        raise ValidationError({missing: ["Give both latitude and longitude, or neither."]})
    entity.full_clean()
    before = Entity.objects.filter(pk=entity.pk).values_list("name", "part_of_id").first() if entity.pk else None
    entity.save()
    if before is not None:
        entity_rechecks(entity=entity, old_name=before[0], old_part_of_id=before[1])
    return entity


@transaction.atomic
def predicate_save(*, predicate: Predicate) -> Predicate:
    """Create ``predicate`` or save its changes, after validating it. Making it single-
    valued or not, or spreading to the parts or not, re-checks every claim that uses it
    after commit; relabelling it re-explains its flags."""
    predicate.full_clean()
    before = (
        Predicate.objects.filter(pk=predicate.pk).values_list("single_valued", "spreads_to_parts", "label").first()
        if predicate.pk
        else None
    )
    predicate.save()
    if before is not None:
        single_valued, spreads_to_parts, label = before
        uses = Claim.objects.filter(predicate=predicate)
        if (single_valued, spreads_to_parts) != (predicate.single_valued, predicate.spreads_to_parts):
            _enqueue_claims_check(uses.values_list("pk", flat=True), reexplain=label != predicate.label)
        elif label != predicate.label:
            _enqueue_claims_check(_flagged_claim_ids(uses.values("pk")), reexplain=True)
    return predicate


# --- Vocabulary edits re-check ----------------------------------------------------------
# An edit of the vocabulary can change which claims conflict (a predicate becomes single-
# valued or spreads to the parts; a place moves into another) or how a flag reads (a place
# or a predicate renamed). The service that saves it enqueues, after commit, the batch
# check of the claims it touches, in chunks a task message carries comfortably.

RECHECK_CHUNK = 10_000


def _enqueue_claims_check(claim_ids: Iterable[int], *, reexplain: bool = False) -> None:
    ids = sorted(set(claim_ids))
    if not ids:
        return

    def publish() -> None:
        from claims.tasks import claims_check_contradictions

        for start in range(0, len(ids), RECHECK_CHUNK):
            chunk = ids[start : start + RECHECK_CHUNK]
            try:
                claims_check_contradictions.apply_async(args=(chunk,), kwargs={"reexplain": reexplain}, retry=False)
            except Exception:  # the broker is down: the next scan catches the changes up (not a rename)
                logger.warning("could not enqueue the re-check of %s claims", len(chunk), exc_info=True)

    transaction.on_commit(publish)


def _flagged_claim_ids(claims: Any) -> set[int]:
    """The claims among ``claims`` (a queryset) and the claims they are flagged with."""
    flags = Contradiction.objects.filter(Q(claim_a__in=claims) | Q(claim_b__in=claims))
    return {pk for pair in flags.values_list("claim_a_id", "claim_b_id") for pk in pair}


def entity_rechecks(*, entity: Entity, old_name: str, old_part_of_id: int | None) -> None:
    """Enqueue the re-checks an entity's edit calls for: the claims about it or any place
    within it under a spreading predicate when it moved (``part_of``); the flags that name
    it, re-explained, when it was renamed. Call in the transaction that saved it."""
    if entity.part_of_id != old_part_of_id:
        within = Entity.objects.within(entity).values("pk")
        _enqueue_claims_check(
            Claim.objects.filter(subject__in=within, predicate__spreads_to_parts=True).values_list("pk", flat=True)
        )
    if entity.name != old_name:
        naming = Claim.objects.filter(Q(subject=entity) | Q(object_entity=entity)).values("pk")
        _enqueue_claims_check(_flagged_claim_ids(naming), reexplain=True)


def party_rechecks(*, party: Party, old_name: str, old_parent_id: int | None, old_reliability: str) -> None:
    """Enqueue the re-checks a party's edit calls for: the flags of its claims (and, when it
    moved to another side, of the claims of every party under it), whose relation (dispute
    or self) and confidence follow the party's side and grade, re-explained when it was
    renamed. Called by ``sources.services.party_save`` (registered in ``claims.apps``), in
    the transaction that saved it."""
    moved = party.parent_id != old_parent_id
    if not (moved or party.reliability != old_reliability or party.name != old_name):
        return
    parties = Party.objects.within(party).values("pk") if moved else Party.objects.filter(pk=party.pk).values("pk")
    claims = Claim.objects.filter(asserted_by__in=parties).values("pk")
    _enqueue_claims_check(_flagged_claim_ids(claims), reexplain=party.name != old_name)


# --- Claim counts by party (claims.models.PartyClaimCount) --------------------------------

# Held while the ledger is folded, so that two folds do not do the same work.
COUNTS_FOLD_LOCK = 0x6377_636F_756E_7473


def party_claim_counts_fold() -> int:
    """Fold the claim-count ledger into one row per (party, status); return the rows it
    holds after. Safe beside claim writes (what they append meanwhile stays as it is) and
    beside another fold (which then does nothing)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COUNTS_FOLD_LOCK])
        if cursor.fetchone()[0]:  # type: ignore[index]
            cursor.execute(claims_sql.PARTY_CLAIM_COUNTS_FOLD)
        cursor.execute("SELECT count(*) FROM claims_partyclaimcount")
        return int(cursor.fetchone()[0])  # type: ignore[index]


def party_claim_counts_rebuild() -> None:
    """Make the ledger again from the claims: after writes that bypassed the triggers (a
    load with ``session_replication_role = replica``). Claim writes wait meanwhile."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(claims_sql.PARTY_CLAIM_COUNTS_REBUILD)
