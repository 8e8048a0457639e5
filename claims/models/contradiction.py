"""Contradictions between two claims, and the runs of the full scan that finds them."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from psycopg2.extras import DateRange

from claims.models.claim import Claim
from claims.models.verdict import Verdict
from claims.models.vocabulary import Entity
from project.db import choices_check, history_tracked
from sources.models import Party

# --- Contradictions -------------------------------------------------------------------


class ContradictionQuerySet(models.QuerySet["Contradiction"]):
    def live(self) -> ContradictionQuerySet:
        """Flags that still need, or have had, a person's attention: open or confirmed."""
        return self.filter(state__in=ContradictionLifecycle.LIVE)

    def open(self) -> ContradictionQuerySet:
        return self.filter(state=Contradiction.State.OPEN)

    def integrity_alerts(self) -> ContradictionQuerySet:
        """Verdict conflicts: both claims are rated true although they cannot both be."""
        return self.filter(integrity_alert_verdict__isnull=False)

    def involving(self, claim: Claim | int) -> ContradictionQuerySet:
        pk = claim.pk if isinstance(claim, Claim) else claim
        return self.filter(Q(claim_a_id=pk) | Q(claim_b_id=pk))

    def about(self, entity: Entity | int) -> ContradictionQuerySet:
        """Contradictions about the entity or any place within it (either claim's subject)."""
        within = Entity.objects.within(entity).values("pk")
        return self.filter(Q(claim_a__subject__in=within) | Q(claim_b__subject__in=within))

    def overlapping(self, period: DateRange) -> ContradictionQuerySet:
        """Contradictions where either claim's period overlaps ``period``."""
        return self.filter(Q(claim_a__period__overlap=period) | Q(claim_b__period__overlap=period))

    def involving_side(self, party: Party | int) -> ContradictionQuerySet:
        parties = Party.objects.within(party)
        return self.filter(Q(claim_a__asserted_by__in=parties) | Q(claim_b__asserted_by__in=parties))


class ContradictionKind(models.TextChoices):
    """Why two claims cannot both be true. A verdict conflict is not a kind of its own but
    an alert on a flag of one of these kinds (see ``Contradiction``)."""

    NEGATION = "negation", "Negation"
    CONFLICTING_VALUE = "conflicting_value", "Conflicting value"
    QUANTITY_MISMATCH = "quantity_mismatch", "Quantity mismatch"


class ContradictionRelation(models.TextChoices):
    DISPUTE = "dispute", "Dispute between parties"
    SELF = "self", "Self-contradiction"


class ContradictionConfidence(models.IntegerChoices):
    """How firm a flag is, from what is recorded about its two claims and its rule
    (``claims.rules``, "Confidence"). Stored as a rank so that the review queue sorts by it:
    the higher, the firmer."""

    HIGH = 3, "high"
    MEDIUM = 2, "medium"
    LOW = 1, "low"


class ContradictionState(models.TextChoices):
    OPEN = "open", "Open"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"
    RESOLVED = "resolved", "Resolved by a verdict"
    CLOSED = "closed", "Closed: rule no longer holds"


def states_sql(states: tuple[str, ...]) -> str:
    """A SQL list of states: ``('open', 'confirmed')``."""
    return "(" + ", ".join(f"'{state}'" for state in states) + ")"


class ContradictionLifecycle:
    """How a flag moves between its states, and who moves it: the one statement of it.

    The engine (``claims.detection``) generates its SQL from ``engine_state_sql`` and these
    sets; the review services (``claims.services``) ask ``review_refusal``.

    **The engine**, each time it reconciles a pair with the rules:

    - a pair the rules no longer find: an open, confirmed or resolved flag is closed (with
      the reason); a closed or dismissed one stays as it is;
    - a dismissed flag stays dismissed, whatever the rules find: a person judged it;
    - a found pair one of whose claims is rated false is resolved (naming the verdict);
    - a found pair whose flag was closed or resolved reopens: the same row, never a new one;
    - a new pair opens a flag; an open or confirmed one stays as it is.

    Only live flags (open or confirmed) carry the verdict-conflict alert.

    **A reviewer** confirms or dismisses an open, confirmed or dismissed flag (not into the
    state it is in). A resolved or closed flag is the engine's to move: the verdicts and
    the rules decide it, so a reviewer cannot.
    """

    State = ContradictionState

    NEW: ClassVar[str] = State.OPEN
    LIVE: ClassVar[tuple[str, ...]] = (State.OPEN, State.CONFIRMED)
    CLOSED: ClassVar[str] = State.CLOSED
    RESOLVED: ClassVar[str] = State.RESOLVED
    DISMISSED: ClassVar[str] = State.DISMISSED
    CLOSED_WHEN_GONE: ClassVar[tuple[str, ...]] = (State.OPEN, State.CONFIRMED, State.RESOLVED)
    REOPENED_WHEN_FOUND: ClassVar[tuple[str, ...]] = (State.CLOSED, State.RESOLVED)
    REVIEWABLE: ClassVar[tuple[str, ...]] = (State.OPEN, State.CONFIRMED, State.DISMISSED)
    REVIEW_MOVES: ClassVar[tuple[str, ...]] = (State.CONFIRMED, State.DISMISSED)

    @classmethod
    def engine_state_sql(cls, *, gone: str, settled: str, state: str) -> str:
        """SQL for the state the engine moves a flag to. ``gone``: the rules no longer find
        the pair; ``settled``: a verdict settles it; ``state``: the flag's state now (NULL
        for a new pair). All three are SQL expressions."""
        return f"""CASE
               WHEN {gone} THEN
                   CASE WHEN {state} IN {states_sql(cls.CLOSED_WHEN_GONE)} THEN '{cls.CLOSED}' ELSE {state} END
               WHEN {state} = '{cls.DISMISSED}' THEN '{cls.DISMISSED}'
               WHEN {settled} THEN '{cls.RESOLVED}'
               WHEN {state} IN {states_sql(cls.REOPENED_WHEN_FOUND)} THEN '{cls.NEW}'
               ELSE coalesce({state}, '{cls.NEW}')
           END"""

    @classmethod
    def review_refusal(cls, *, state: str, to: str) -> str | None:
        """Why a reviewer may not move a flag from ``state`` to ``to``, or None if they may."""
        if to not in cls.REVIEW_MOVES:
            return f"A reviewer cannot move a contradiction to {ContradictionState(to).label.lower()}."
        if state not in cls.REVIEWABLE:
            return f"A {ContradictionState(state).label.lower()} contradiction cannot be reviewed."
        if state == to:
            return f"This contradiction is already {ContradictionState(state).label.lower()}."
        return None


@history_tracked()
class Contradiction(models.Model):
    """A pair of claims that cannot both be true: found by a rule, explained, reviewed.

    Written by the engine (``claims.detection``) and by reviewers (``claims.services``). The
    engine never deletes a flag: when its rule stops holding it is closed with the reason,
    and the same row reopens if the rule holds again.

    **Verdict conflict** (two contradicting claims both rated true) is an integrity alert on
    the pair's one row, in ``integrity_alert_verdict`` / ``integrity_alert_at``, not a row of
    its own. A pair is stored once (``contradiction_pair_unique``), and a verdict conflict
    is always about a pair that a structural rule already flags: a second row would repeat
    the pair and the explanation, and its kind would hide *why* the claims disagree. So
    ``kind`` keeps the structural reason, and the alert is raised (naming the verdict that
    made both claims true) while both are rated true and cleared when either is re-rated.
    A dismissed flag raises no alert: a person has judged that the claims do not conflict.
    """

    Kind = ContradictionKind

    Relation = ContradictionRelation

    State = ContradictionState

    Lifecycle = ContradictionLifecycle

    Confidence = ContradictionConfidence

    # Stored once per pair: claim_a is always the claim with the lower id.
    claim_a = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="contradictions_as_a")
    claim_b = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="contradictions_as_b")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    relation = models.CharField(max_length=10, choices=Relation.choices)
    explanation = models.TextField()
    rule = models.CharField(max_length=60)
    rule_version = models.PositiveIntegerField(default=1)
    # Computed by the engine with the flag (``claims.rules``, "Confidence"); the default only
    # stands until the next check or scan of a flag written before there were levels.
    confidence = models.PositiveSmallIntegerField(
        choices=Confidence.choices,
        default=Confidence.MEDIUM,
        db_default=Confidence.MEDIUM,
        help_text="How firm the flag is: the hedges, provenance and grades of its claims, and its rule.",
    )
    detected_at = models.DateTimeField(db_default=models.functions.Now())
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    state_reason = models.TextField(blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_by_verdict = models.ForeignKey(
        Verdict, null=True, blank=True, on_delete=models.PROTECT, related_name="resolved_contradictions"
    )
    # The verdict conflict alert: see the class docstring.
    integrity_alert_verdict = models.ForeignKey(
        Verdict,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="integrity_alerts",
        verbose_name="verdict conflict",
        help_text="Set while both claims are rated true: the verdict that made them so.",
    )
    integrity_alert_at = models.DateTimeField(null=True, blank=True, verbose_name="verdict conflict raised at")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContradictionQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        permissions = [("review_contradiction", "Can confirm or dismiss a contradiction")]
        constraints = [
            choices_check("kind", ContradictionKind, "contradiction"),
            choices_check("relation", ContradictionRelation, "contradiction"),
            choices_check("state", ContradictionState, "contradiction"),
            models.CheckConstraint(
                condition=Q(confidence__in=ContradictionConfidence.values),
                name="contradiction_confidence_valid",
                violation_error_message="confidence must be one of: 3 (high), 2 (medium), 1 (low).",
            ),
            models.CheckConstraint(
                condition=Q(claim_a__lt=F("claim_b")),
                name="contradiction_pair_ordered",
                violation_error_message="Store a pair with the lower claim id first.",
            ),
            models.UniqueConstraint(
                fields=["claim_a", "claim_b"],
                name="contradiction_pair_unique",
                violation_error_message="This pair of claims is already flagged.",
            ),
            models.CheckConstraint(
                condition=~Q(state="dismissed") | ~Q(state_reason=""),
                name="contradiction_dismissal_has_reason",
                violation_error_message="A dismissal needs a reason.",
            ),
            models.CheckConstraint(
                condition=~Q(state="resolved") | Q(resolved_by_verdict__isnull=False),
                name="contradiction_resolution_has_verdict",
                violation_error_message="A resolved contradiction names the verdict that settled it.",
            ),
            models.CheckConstraint(
                condition=Q(integrity_alert_verdict__isnull=True, integrity_alert_at__isnull=True)
                | Q(integrity_alert_verdict__isnull=False, integrity_alert_at__isnull=False),
                name="contradiction_alert_complete",
                violation_error_message="A verdict conflict names its verdict and when it was raised.",
            ),
        ]
        indexes = [
            # The triage queue: open flags, newest first.
            models.Index(fields=["-detected_at", "-id"], name="contradiction_open_queue", condition=Q(state="open")),
            # The review queue by firmness (API ?ordering=-confidence, the admin's default order).
            models.Index(
                fields=["-confidence", "-detected_at", "-id"],
                name="contradiction_confidence_queue",
                condition=Q(state="open"),
            ),
            # Contradictions of a claim (claim_a is covered by the unique constraint).
            models.Index(fields=["claim_b"], name="contradiction_claim_b"),
            # Journalists' filters: by kind and state.
            models.Index(fields=["kind", "state"], name="contradiction_kind_state"),
            # The API's contradiction list and its keyset pages, newest first, in every state.
            models.Index(fields=["-detected_at", "-id"], name="contradiction_detected_id"),
            # The reviewers' queue of verdict conflicts (``Contradiction.objects.integrity_alerts()``).
            models.Index(
                fields=["-integrity_alert_at"],
                name="contradiction_alert_queue",
                condition=Q(integrity_alert_verdict__isnull=False),
            ),
        ]
        triggers = [
            # Flags are closed with a reason, never deleted.
            pgtrigger.Protect(name="contradiction_protect_delete", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: #{self.claim_a_id} vs #{self.claim_b_id}"


class ScanRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class ScanRun(models.Model):
    """One run of the full contradiction scan. A scan split across workers is a parent run
    (``parts`` > 1), which records the whole, and one run per part (``parent``, ``part``):
    part k of n covers one range of the hash of the subjects' topmost places."""

    Status = ScanRunStatus

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="part_runs",
        help_text="The split scan this run is a part of.",
    )
    part = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Which part of its parent, from 0.")
    parts = models.PositiveSmallIntegerField(default=1, help_text="Into how many parts the scan was split.")
    started_at = models.DateTimeField(db_default=models.functions.Now())
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    triggered_by = models.CharField(max_length=100, blank=True, help_text="beat, command, or a user.")
    claims_scanned = models.PositiveIntegerField(default=0)
    flags_opened = models.PositiveIntegerField(default=0)
    flags_closed = models.PositiveIntegerField(default=0)
    flags_reopened = models.PositiveIntegerField(default=0)
    flags_resolved = models.PositiveIntegerField(default=0, help_text="Settled by a verdict during this scan.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            choices_check("status", ScanRunStatus, "scanrun"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="scanrun_finished_after_start",
            ),
            models.CheckConstraint(
                condition=(Q(parent__isnull=True) & Q(part__isnull=True))
                | (Q(parent__isnull=False) & Q(part__isnull=False) & Q(part__lt=F("parts"))),
                name="scanrun_part_of_parent",
            ),
            models.UniqueConstraint(fields=["parent", "part"], name="scanrun_one_run_per_part"),
        ]

    def __str__(self) -> str:
        part = f", part {self.part + 1} of {self.parts}" if self.part is not None else ""
        return f"Scan {self.started_at:%Y-%m-%d %H:%M}{part} ({self.get_status_display()})"

    @property
    def duration(self) -> dt.timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None
