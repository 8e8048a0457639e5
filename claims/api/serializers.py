"""What goes in and out of the claims API.

Read documents are built by ``claims.api.documents`` from ``.values()`` rows; the
``*Document`` serializers below describe them exactly for the OpenAPI schema. Write
serializers parse and check input, then hand it to ``claims.services``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.api.natural_keys import EntityKeyField, PartyKeyField, appearance_sources_resolve, rows_loaded_together
from claims.models import (
    EXCERPT_MAX_LENGTH,
    QUOTE_MAX_LENGTH,
    RATIONALE_MAX_LENGTH,
    STATEMENT_MAX_LENGTH,
    TEXT_VALUE_MAX_LENGTH,
    Claim,
    ClaimChange,
    ClaimSource,
    Contradiction,
    Entity,
    PeriodPrecision,
    Predicate,
    Rating,
    Status,
)
from claims.services import Appearance
from project.api.fields import (
    IdListField,
    QuantityField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictDateTimeField,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    StrictSlugRelatedField,
)
from project.api.serializers import InputSerializer
from sources.api.inputs import SourceURLField
from sources.models import Source

MAX_ID = 2**63 - 1
MAX_STATUS_IDS = 1000


def decimal_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


# --- Small references -----------------------------------------------------------------


class RefDocument(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PartyRefDocument(RefDocument):
    side = RefDocument(allow_null=True, help_text="The party's top-most ancestor (itself if it has no parent).")


class PredicateRefDocument(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    label = serializers.CharField()  # type: ignore[assignment]


class QuantityDocument(serializers.Serializer[Any]):
    low = decimal_field()
    best = decimal_field()
    high = decimal_field()


class SourceRefDocument(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.URLField(allow_null=True)
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Source.Kind.choices)


class AppearanceDocument(serializers.Serializer[Any]):
    source = SourceRefDocument()  # type: ignore[assignment]
    role = serializers.ChoiceField(choices=ClaimSource.Role.choices)
    excerpt = serializers.CharField(allow_blank=True)
    locator = serializers.CharField(allow_blank=True)


# --- Claims ---------------------------------------------------------------------------


class ClaimSummaryDocument(serializers.Serializer[Any]):
    """A claim in a list: its proposition, period, party, and verification status."""

    id = serializers.IntegerField()
    statement = serializers.CharField()
    quote = serializers.CharField(allow_blank=True)
    subject = RefDocument()
    predicate = PredicateRefDocument()
    object_entity = RefDocument(allow_null=True, help_text="The value, for predicates that take an entity.")
    quantity = QuantityDocument(allow_null=True, help_text="The value, for predicates that take a quantity.")
    text_value = serializers.CharField(allow_blank=True, help_text="The value, for predicates that take text.")
    polarity = serializers.ChoiceField(choices=Claim.Polarity.choices)
    valid_from = serializers.DateField(help_text="Start of the period the claim is about.")
    valid_from_precision = serializers.ChoiceField(choices=PeriodPrecision.choices)
    valid_until = serializers.DateField(allow_null=True, help_text="End of the period; null is open-ended.")
    valid_until_precision = serializers.ChoiceField(choices=PeriodPrecision.choices)
    asserted_by = PartyRefDocument()
    asserted_at = serializers.DateTimeField()
    hedge = serializers.ChoiceField(choices=Claim.Hedge.choices)
    credibility = serializers.ChoiceField(choices=Claim.Credibility.choices)
    status = serializers.ChoiceField(choices=Status.choices, help_text="The latest verdict's rating, or unrated.")
    review_state = serializers.ChoiceField(choices=Claim.ReviewState.choices)
    retracted_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


RECORDED_AT_HELP = "When the verdict was recorded; as_of answers from the verdicts recorded by then."
HOLDS_FROM_HELP = "The day from which the rating holds, if the reviewer stated it; it may be before recorded_at."
AS_OF_HELP = (
    "Answer as Claimwatch would have at this moment: from the verdicts recorded by then (recorded_at), "
    "not from the days their ratings hold from. With its time zone, e.g. 2020-11-01T00:00:00Z."
)


class VerdictInClaimDocument(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    rating = serializers.ChoiceField(choices=Rating.choices)
    rationale = serializers.CharField()
    reviewer = serializers.CharField(help_text="The reviewer's username.")
    recorded_at = serializers.DateTimeField(help_text=RECORDED_AT_HELP)
    holds_from = serializers.DateField(allow_null=True, help_text=HOLDS_FROM_HELP)
    published_at = serializers.DateTimeField(allow_null=True)
    evidence = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the sources cited.")


class OtherClaimDocument(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    statement = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    asserted_by = RefDocument()


def ConfidenceField() -> serializers.ChoiceField:  # noqa: N802 - reads as a field class
    """A flag's confidence: its rank, 3 (high), 2 (medium) or 1 (low); the explanation says why."""
    return serializers.ChoiceField(
        choices=Contradiction.Confidence.choices,
        help_text="How firm the flag is: 3 high, 2 medium, 1 low (the explanation says why).",
    )


class ContradictionInClaimDocument(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Contradiction.Kind.choices)
    relation = serializers.ChoiceField(choices=Contradiction.Relation.choices)
    state = serializers.ChoiceField(choices=Contradiction.State.choices)
    confidence = ConfidenceField()
    explanation = serializers.CharField()
    detected_at = serializers.DateTimeField()
    other_claim = OtherClaimDocument()


class CorroborationDocument(serializers.Serializer[Any]):
    """Who else says what the claim says, by independent origin (``claims.selectors.Corroboration``)."""

    summary = serializers.CharField(help_text='e.g. "4 reports, 1 origin, 1 side".')
    reports = serializers.IntegerField(help_text="Appearances of the claim and of the claims agreeing with it.")
    origins = serializers.IntegerField(
        help_text="Distinct origins among them: root sources after republication, by publisher."
    )
    sides = serializers.IntegerField(help_text="Distinct sides asserting the claim or agreeing with it.")
    agreeing_claims = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Claims of the same proposition and polarity for overlapping periods.",
    )
    confirming_claims = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Agreeing claims of another side, through an origin the claim's own sources do not share.",
    )
    suggested_credibility = serializers.IntegerField(
        allow_null=True, help_text="1 (confirmed by other sources) when independent origins confirm it; else null."
    )


class ClaimDetailDocument(ClaimSummaryDocument):
    """A claim with its sources and excerpts, verdict history (newest first) and its open
    or confirmed contradictions."""

    retraction_reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    appearances = AppearanceDocument(many=True)
    verdicts = VerdictInClaimDocument(many=True)
    contradictions = ContradictionInClaimDocument(many=True)
    corroboration = CorroborationDocument(
        required=False,
        help_text="Only when asked for (GET with corroboration=true). Not part of the ETag: it is about other claims.",
    )


class AppearanceListInput(serializers.ListSerializer[Any]):
    """The appearances of a claim, their sources found in one query (see
    ``claims.api.natural_keys.appearance_sources_resolve``)."""

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        return appearance_sources_resolve(super().to_internal_value(data))


@extend_schema_field(
    {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "The source's id.", "example": 1}
)
class SourceIdField(StrictIntegerField):
    """A source's id, checked for shape here and for existence with the other appearances'."""

    default_error_messages = {"invalid": "Incorrect type. Expected pk value, received {data_type}."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid", data_type=type(data).__name__)
        if not 1 <= data <= MAX_ID:
            raise serializers.ValidationError(f'Invalid pk "{data}" - object does not exist.', code="does_not_exist")
        return data


class AppearanceInput(InputSerializer):
    """A source the claim appears in, given by its id (source) or by its URL (url). A URL
    of no known source creates the source with the claim, of the kind and title given
    (else of kind "other", titled by its URL); kind and title are used only then."""

    source = SourceIdField(required=False)  # type: ignore[assignment]
    url = SourceURLField(
        required=False,
        help_text="The source's URL, instead of its id; normalised as sources are stored. "
        "A URL of no known source creates the source.",
    )
    kind = StrictChoiceField(
        choices=Source.Kind.choices, required=False, help_text='For a source created from url. Default: "other".'
    )
    title = StrictCharField(
        max_length=500, required=False, help_text="For a source created from url. Default: the URL."
    )
    role = StrictChoiceField(choices=ClaimSource.Role.choices, default=ClaimSource.Role.REPORT)
    excerpt = StrictCharField(
        allow_blank=True, default="", max_length=EXCERPT_MAX_LENGTH, help_text="Verbatim, as in the source."
    )
    locator = StrictCharField(allow_blank=True, default="", max_length=100)

    class Meta:
        list_serializer_class = AppearanceListInput

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("source" in attrs) == ("url" in attrs):
            raise serializers.ValidationError(
                {"source": ["Give the source's id (source) or its url, one of the two."]}, code="required"
            )
        if "source" in attrs:
            extra: dict[str, Any] = {
                name: ["Only for a source given by url."] for name in ("kind", "title") if name in attrs
            }
            if extra:
                raise serializers.ValidationError(extra, code="invalid")
        return attrs


class ClaimFieldsInput(InputSerializer):
    """The editable fields of a claim. The value fields must fit the predicate's value type."""

    subject = EntityKeyField(help_text="The entity the claim is about: its id, or its name or an alias.")
    predicate = StrictSlugRelatedField(slug_field="slug", queryset=Predicate.objects.all())
    object_entity = EntityKeyField(
        allow_null=True, required=False, help_text="The value, for predicates that take an entity: its id or name."
    )
    quantity_low = QuantityField(allow_null=True, required=False)
    quantity_best = QuantityField(allow_null=True, required=False)
    quantity_high = QuantityField(allow_null=True, required=False)
    text_value = StrictCharField(allow_blank=True, required=False, max_length=TEXT_VALUE_MAX_LENGTH)
    polarity = StrictChoiceField(choices=Claim.Polarity.choices, required=False)
    valid_from = StrictDateField(
        allow_null=True, required=False, help_text="Defaults to the day of asserted_at (as does valid_until)."
    )
    valid_from_precision = StrictChoiceField(choices=PeriodPrecision.choices, required=False)
    valid_until = StrictDateField(allow_null=True, required=False, help_text="Null is open-ended.")
    valid_until_precision = StrictChoiceField(choices=PeriodPrecision.choices, required=False)
    asserted_by = PartyKeyField(help_text="The party that asserts the claim: its id, or its name or an alias.")
    asserted_at = StrictDateTimeField()
    statement = StrictCharField(
        max_length=STATEMENT_MAX_LENGTH, help_text='As an analyst would write it: "Azerbaijan controls Aghband".'
    )
    quote = StrictCharField(allow_blank=True, required=False, max_length=QUOTE_MAX_LENGTH)
    hedge = StrictChoiceField(choices=Claim.Hedge.choices, required=False)
    credibility = StrictChoiceField(choices=Claim.Credibility.choices, required=False)

    def to_internal_value(self, data: Any) -> Any:
        # The subject and the value, both entities, given by id: one query for the two.
        given = (data.get("subject"), data.get("object_entity")) if isinstance(data, Mapping) else ()
        with rows_loaded_together(Entity, given):
            return super().to_internal_value(data)

    def check_period_and_quantity(self, attrs: dict[str, Any], current: Claim | None = None) -> None:
        """Field-named errors for the rules the database also keeps (so a client learns
        which field is wrong, not just which constraint broke)."""

        def value(name: str) -> Any:
            if name in attrs:
                return attrs[name]
            return getattr(current, name) if current is not None else None

        errors: dict[str, list[str]] = {}
        start, end = value("valid_from"), value("valid_until")
        if start is not None and end is not None and end < start:
            errors["valid_until"] = ["The period's end is before its start."]
        low, best, high = value("quantity_low"), value("quantity_best"), value("quantity_high")
        if best is not None and low is not None and low > best:
            errors["quantity_low"] = ["The low estimate is above the best estimate."]
        if best is not None and high is not None and high < best:
            errors["quantity_high"] = ["The high estimate is below the best estimate."]
        if errors:
            raise serializers.ValidationError(errors)


class ClaimCreateInput(ClaimFieldsInput):
    appearances = AppearanceInput(many=True, required=False, help_text="The sources the claim appears in.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        self.check_period_and_quantity(attrs)
        return attrs

    @staticmethod
    def service_kwargs(validated: dict[str, Any], *, created_by: AbstractBaseUser) -> dict[str, Any]:
        """``claims.services.claim_create``'s arguments from this body's validated data."""
        data = dict(validated)
        appearances = [Appearance(**item) for item in data.pop("appearances", [])]
        kwargs = {name: value for name, value in data.items() if value is not None or name == "object_entity"}
        return {**kwargs, "appearances": appearances, "created_by": created_by}


class ClaimUpdateInput(ClaimFieldsInput):
    review_state = StrictChoiceField(choices=Claim.ReviewState.choices, required=False)


class RetractInput(InputSerializer):
    reason = StrictCharField(help_text="Why the claim is withdrawn.")


# --- Verification status --------------------------------------------------------------


class ClaimStatusDocument(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The claim.")
    status = serializers.ChoiceField(choices=Status.choices)
    verdict_id = serializers.IntegerField(allow_null=True, help_text="The verdict that set the status.")
    rated_at = serializers.DateTimeField(allow_null=True, help_text="When that verdict was recorded (its recorded_at).")
    retracted = serializers.BooleanField()
    corroboration = CorroborationDocument(required=False, help_text="Only when asked for (corroboration=true).")


class NotFoundDocument(serializers.Serializer[Any]):
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="Asked-for claim ids that do not exist.")
    urls = serializers.ListField(child=serializers.CharField(), help_text="Normalised URLs of no known source.")


class StatusLookupDocument(serializers.Serializer[Any]):
    as_of = serializers.DateTimeField(allow_null=True, help_text="The moment the statuses are for; null is now.")
    results = ClaimStatusDocument(many=True)
    not_found = NotFoundDocument()


@extend_schema_field(
    {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "maxItems": MAX_STATUS_IDS}
)
class StatusIdsField(IdListField):
    pass


class StatusLookupInput(InputSerializer):
    ids = StatusIdsField(max_length=MAX_STATUS_IDS, required=False, help_text=f"Up to {MAX_STATUS_IDS} claim ids.")
    url = SourceURLField(required=False, help_text="A source URL; normalised as sources are stored.")
    as_of = StrictDateTimeField(required=False, help_text=AS_OF_HELP)
    corroboration = StrictBooleanField(
        default=False, help_text="Also count each claim's agreeing claims by independent origin (one more query)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("ids") and not attrs.get("url"):
            raise serializers.ValidationError({"ids": ["Give claim ids, a source url, or both."]}, code="required")
        return attrs


class CorroborationInput(InputSerializer):
    corroboration = StrictBooleanField(
        default=False, help_text="Also count the agreeing claims by independent origin (one more query)."
    )


class AsOfInput(serializers.Serializer[Any]):
    as_of = StrictDateTimeField(required=False, help_text=AS_OF_HELP)


# --- Change feed ----------------------------------------------------------------------


class ChangeDocument(serializers.Serializer[Any]):
    cursor = serializers.CharField(help_text="This change's position in the feed.")
    claim = serializers.IntegerField()
    changes = serializers.ListField(child=serializers.ChoiceField(choices=ClaimChange.Kind.choices))
    status = serializers.ChoiceField(choices=Status.choices, help_text="The claim's status after the change.")
    retracted = serializers.BooleanField()
    changed_at = serializers.DateTimeField(help_text="When the writing transaction started.")


class ChangeFeedDocument(serializers.Serializer[Any]):
    results = ChangeDocument(many=True)
    cursor = serializers.CharField(help_text="Pass as ?cursor= on the next poll (unchanged when nothing was new).")
    has_more = serializers.BooleanField(help_text="True when more changes are ready now: poll again at once.")
    next = serializers.URLField(help_text="The URL of the next poll.")


CURSOR_PATTERN = r"^[0-9]{1,19}\.[0-9]{1,19}$"


class ChangeFeedInput(serializers.Serializer[Any]):
    cursor = serializers.RegexField(
        CURSOR_PATTERN,
        max_length=39,
        required=False,
        help_text="The cursor of your last poll; leave out to start from the beginning.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)

    def validate_cursor(self, value: str) -> tuple[int, int]:
        xid, claim = (int(part) for part in value.split("."))
        if xid > MAX_ID or claim > MAX_ID:
            raise serializers.ValidationError("The cursor is not one this API gave out.")
        return xid, claim


# --- Verdicts -------------------------------------------------------------------------


class VerdictDocument(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    claim = serializers.IntegerField()
    rating = serializers.ChoiceField(choices=Rating.choices)
    rationale = serializers.CharField()
    reviewer = serializers.CharField(help_text="The reviewer's username.")
    recorded_at = serializers.DateTimeField(help_text=RECORDED_AT_HELP)
    holds_from = serializers.DateField(allow_null=True, help_text=HOLDS_FROM_HELP)
    published_at = serializers.DateTimeField(allow_null=True)
    evidence = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the sources cited.")


class VerdictInput(InputSerializer):
    claim = StrictPrimaryKeyRelatedField(queryset=Claim.objects.all())
    rating = StrictChoiceField(choices=Rating.choices)
    rationale = StrictCharField(max_length=RATIONALE_MAX_LENGTH)
    evidence = StrictPrimaryKeyRelatedField(queryset=Source.objects.all(), many=True, required=False)
    holds_from = StrictDateField(allow_null=True, required=False, help_text=HOLDS_FROM_HELP)
    publish = StrictBooleanField(default=False, help_text="Publish at once (for ClaimReview).")


# --- Contradictions -------------------------------------------------------------------


class ContradictionClaimDocument(ClaimSummaryDocument):
    appearances = AppearanceDocument(many=True)


class ContradictionDocument(serializers.Serializer[Any]):
    """A pair of claims that cannot both be true, side by side, with the explanation."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Contradiction.Kind.choices)
    relation = serializers.ChoiceField(choices=Contradiction.Relation.choices)
    state = serializers.ChoiceField(choices=Contradiction.State.choices)
    state_reason = serializers.CharField(allow_blank=True)
    explanation = serializers.CharField()
    rule = serializers.CharField()
    rule_version = serializers.IntegerField()
    confidence = ConfidenceField()
    detected_at = serializers.DateTimeField()
    state_changed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    claim_a = ContradictionClaimDocument()
    claim_b = ContradictionClaimDocument()


class ConfirmInput(InputSerializer):
    note = StrictCharField(allow_blank=True, default="", help_text="Optional: why it is a real conflict.")


class DismissInput(InputSerializer):
    reason = StrictCharField(help_text="Why the flag is wrong.")


# --- Entities, predicates, parties' records ---------------------------------------------


class EntitySerializer(serializers.ModelSerializer[Entity]):
    same_as = serializers.CharField(allow_blank=True, help_text="An authority link (a URL, e.g. Wikidata), or empty.")

    class Meta:
        model = Entity
        fields = [
            "id", "name", "kind", "aliases", "part_of", "latitude", "longitude", "coordinate_precision_km",
            "same_as", "description", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class PredicateSerializer(serializers.ModelSerializer[Predicate]):
    class Meta:
        model = Predicate
        fields = ["id", "slug", "label", "value_type", "single_valued", "unit", "description"]
        read_only_fields = fields


class StatusCountsDocument(serializers.Serializer[Any]):
    """Claims by current status."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {value: serializers.IntegerField() for value in Status.values}


class PartyRecordDocument(serializers.Serializer[Any]):
    party = RefDocument()
    include_side = serializers.BooleanField(help_text="Whether the parties under this one are counted.")
    claims = serializers.IntegerField(help_text="Claims asserted.")
    retracted = serializers.IntegerField(help_text="Of those, retracted.")
    by_status = StatusCountsDocument()
    rated_false = serializers.IntegerField(help_text="Claims whose current verdict is false or mostly false.")
    later_rated_false = serializers.IntegerField(
        help_text="Claims that some verdict, recorded after the claim was made, rated false or mostly false "
        "(whatever their status now)."
    )
