"""Model building blocks shared by the apps: a CHECK per choices field, CHECKs reported
against their field, the limits on text, names and dates, and history tracking.

``sources`` and ``claims`` both build their models from these; neither imports the other's
helpers, and this module imports no app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import pghistory
import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.validators import ArrayMaxLengthValidator
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual


def choices_check(field: str, choices: type[models.TextChoices], model: str) -> models.CheckConstraint:
    """A CheckConstraint that limits ``field`` to the values of ``choices``."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}),
        name=f"{model}_{field}_valid",
        violation_error_message=f"{field} must be one of: {', '.join(choices.values)}.",
    )


# Constraint name -> the field its violation is reported against (see ``field_check``).
CHECK_FIELDS: dict[str, str] = {}


def field_check(field: str, *, condition: Any, name: str, message: str) -> models.CheckConstraint:
    """A CheckConstraint that is about one field: when a model's validation finds it broken
    (an admin form, a service's ``full_clean``), the error is reported against ``field``
    rather than the form as a whole (see ``FieldChecks``). The error code is the
    constraint's name."""
    CHECK_FIELDS[name] = field
    return models.CheckConstraint(
        condition=condition, name=name, violation_error_message=message, violation_error_code=name
    )


class FieldChecks(models.Model):
    """A model whose ``field_check`` violations are reported against their fields.

    Django reports every CheckConstraint as a non-field error. A form then shows it at the
    top, away from the field to change, and a form that also validates the model itself
    (as the claim form does, through the service) shows it twice. Against a field it shows
    once: Django skips the checks of a field that already has an error.
    """

    class Meta:
        abstract = True

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors: dict[str, list[ValidationError]] = {}
            for name, items in exc.error_dict.items():
                for error in items:
                    field = CHECK_FIELDS.get(str(error.code)) if name == NON_FIELD_ERRORS else None
                    errors.setdefault(field or name, []).append(error)
            raise ValidationError(errors) from None


# --- Limits ---------------------------------------------------------------------------
# Each limit is far above what an analyst types or pastes, and is kept by a CHECK as well
# as by validation (a 400 or a form error naming the field). Without them a megabyte of
# text reaches the full-text index (``string is too long for tsvector``: a 500), and a
# multi-megabyte one is stored and sent to every reader of the claim.

# The number of other spellings of one name: transliterations into a few scripts and
# languages come to a dozen or two.
MAX_ALIASES = 50

# Dates and times are kept to the years 1 to 9998. A claim's period widens an end known to
# the month or year to the next 1 January, and the admin's date drill-down steps to the
# next year: a later date would come back from PostgreSQL as one that Python (and so the
# admin and the API) cannot represent ("year 10000 is out of range"). Before year 1 there
# is no Python date at all.
EARLIEST_DATE = dt.date(1, 1, 1)
LATEST_DATE = dt.date(9998, 12, 31)
EARLIEST_TIME = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
LATEST_TIME = dt.datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
DATE_RANGE_MESSAGE = "Give a date from the year 1 to the year 9998."
TIME_RANGE_MESSAGE = "Give a time from the year 1 to the year 9998 (UTC)."


def date_range_validators() -> list[Any]:
    return [
        MinValueValidator(EARLIEST_DATE, message=DATE_RANGE_MESSAGE),
        MaxValueValidator(LATEST_DATE, message=DATE_RANGE_MESSAGE),
    ]


def time_range_validators() -> list[Any]:
    return [
        MinValueValidator(EARLIEST_TIME, message=TIME_RANGE_MESSAGE),
        MaxValueValidator(LATEST_TIME, message=TIME_RANGE_MESSAGE),
    ]


def in_range_check(field: str, model: str, *, nullable: bool, time: bool) -> models.CheckConstraint:
    """The CHECK behind ``date_range_validators`` / ``time_range_validators``."""
    earliest, latest = (EARLIEST_TIME, LATEST_TIME) if time else (EARLIEST_DATE, LATEST_DATE)
    condition = Q(**{f"{field}__gte": earliest, f"{field}__lte": latest})
    if nullable:
        condition = Q(**{f"{field}__isnull": True}) | condition
    return field_check(
        field,
        condition=condition,
        name=f"{model}_{field}_representable",
        message=TIME_RANGE_MESSAGE if time else DATE_RANGE_MESSAGE,
    )


def text_field(max_length: int, **kwargs: Any) -> models.TextField:  # type: ignore[type-arg]
    """A TextField that validates its ``max_length`` (Django's only passes it to forms)."""
    return models.TextField(max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs)


def max_length_check(field: str, model: str, limit: int) -> models.CheckConstraint:
    """The CHECK behind a text field's ``max_length`` (``char_length`` in PostgreSQL)."""
    return field_check(
        field,
        condition=LessThanOrEqual(Length(field), limit),
        name=f"{model}_{field}_length",
        message=f"{field} has at most {limit} characters.",
    )


def aliases_field(**kwargs: Any) -> ArrayField:  # type: ignore[type-arg]
    """Other names of an entity or party: each a name (at most 200 characters, as the
    column type keeps), and at most ``MAX_ALIASES`` of them."""
    return ArrayField(
        models.CharField(max_length=200),
        default=list,
        blank=True,
        validators=[
            ArrayMaxLengthValidator(
                MAX_ALIASES, message=f"Give at most {MAX_ALIASES} aliases (this has %(show_value)d)."
            )
        ],
        **kwargs,
    )


def aliases_check(model: str) -> models.CheckConstraint:
    return field_check(
        "aliases",
        condition=Q(aliases__len__lte=MAX_ALIASES),
        name=f"{model}_aliases_count",
        message=f"Give at most {MAX_ALIASES} aliases.",
    )


def history_tracked(*, exclude: list[str] | None = None) -> Any:
    """Track every insert, update and delete in a history table, written by triggers,
    so that bulk updates and raw SQL are recorded too. The acting user and URL come from
    ``pghistory.middleware.HistoryMiddleware`` or a ``pghistory.context()`` block.
    ``exclude``: columns kept by triggers from other tables, whose own history records
    those changes (they are not snapshotted, and a change to them alone is no event)."""
    # Statement-level triggers: one history INSERT per statement, from its transition
    # table, and the context attached once, not once per row (a bulk import of a million
    # rows otherwise upserts the same context row a million times).
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        level=pghistory.Statement,
        exclude=exclude,
    )


def subtree(table: str, parent_column: str, root: int) -> models.expressions.RawSQL:
    """The ids of row ``root`` of ``table`` and of every row under it through
    ``parent_column`` (a place within a place, a ministry under its state), however deep.
    ``table`` and ``parent_column`` are the models' own names, never input."""
    return models.expressions.RawSQL(  # noqa: S611 - fixed names, the root is a parameter
        f"""
        WITH RECURSIVE tree(id) AS (
            SELECT %s::bigint
            UNION SELECT t.id FROM {table} t JOIN tree ON t.{parent_column} = tree.id
        )
        SELECT id FROM tree
        """,  # noqa: S608 - fixed names
        [root],
    )


# --- Trees ------------------------------------------------------------------------------
# Places within places (Entity.part_of) and parties under parties (Party.parent) are trees:
# the walks up and down them (sides, places within, the split scan's topmost place) assume
# a row is never under itself, and stop after TREE_MAX_DEPTH steps. So both are refused: a
# loop, and a tree deeper than the walks go (it would be walked only in part, silently: a
# containment not flagged, a side or a scan's part worked out from a place half-way up).

# The most steps from any row up to the top of its tree (a village in a district in a
# province in a country is 3).
TREE_MAX_DEPTH = 32


def _tree_lock_key(table: str, parent_column: str) -> str:
    """The text whose hash keys the transaction lock that edits of one tree queue on."""
    return f"{table}.{parent_column}"


def _tree_loop_sql(table: str, parent_column: str, *, row: str, parent: str) -> str:
    """The SQL of whether ``parent`` is ``row`` or lies under it (SQL expressions; an unsaved
    row, NULL, has nothing under it): the walk up from ``parent`` meets ``row``."""
    return f"""EXISTS (
        WITH RECURSIVE up(id) AS (
            SELECT {parent}
            UNION SELECT t.{parent_column} FROM {table} t JOIN up ON t.id = up.id WHERE t.{parent_column} IS NOT NULL
        )
        SELECT 1 FROM up WHERE id = {row}
    )"""  # noqa: S608 - the models' own names


def _tree_depth_sql(table: str, parent_column: str, *, row: str, parent: str) -> str:
    """The SQL of the steps from the top of the tree down to the deepest row under ``row``
    once ``row`` is put under ``parent`` (SQL expressions): the steps above it through
    ``parent``, and the steps below it. Each walk stops one step past TREE_MAX_DEPTH, so a
    loop stored before loops were refused cannot make it run away."""
    return f"""(
        WITH RECURSIVE up(id, steps) AS (
            SELECT {parent}, 1
            UNION ALL
            SELECT t.{parent_column}, up.steps + 1 FROM {table} t JOIN up ON t.id = up.id
            WHERE t.{parent_column} IS NOT NULL AND up.steps <= {TREE_MAX_DEPTH}
        ), down(id, steps) AS (
            SELECT {row}, 0
            UNION ALL
            SELECT t.id, down.steps + 1 FROM {table} t JOIN down ON t.{parent_column} = down.id
            WHERE down.steps <= {TREE_MAX_DEPTH}
        )
        SELECT (SELECT max(steps) FROM up) + (SELECT max(steps) FROM down)
    )"""  # noqa: S608 - the models' own names


def tree_error(instance: models.Model, parent_field: str, *, loop: str, too_deep: str) -> ValidationError | None:
    """The error for a parent that lies under ``instance`` (A under B under A: ``loop``) or
    that would make the tree deeper than TREE_MAX_DEPTH (``too_deep``), or None. Two
    queries (the tree's lock, then the walks)."""
    parent_id = getattr(instance, f"{parent_field}_id")
    if parent_id is None or parent_id == instance.pk:
        return None  # the one-step loop is the field_check's to report
    model = type(instance)
    parent = model._meta.get_field(parent_field)
    if not isinstance(parent, models.ForeignKey):
        raise TypeError(f"{model.__name__}.{parent_field} is not a foreign key")
    table, column = model._meta.db_table, parent.column
    # The lock tree_trigger takes: inside the saving transaction (the admin's, a service's),
    # a second edit racing this one waits here until the first commits, then sees it and
    # gets this field error, not the trigger's error at its save.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_tree_lock_key(table, column)])
        # A row whose parent stays as stored changes no tree: its walks are skipped (a CASE
        # runs only the branch it takes), as the trigger skips them.
        where = {"table": table, "parent_column": column, "row": "%(row)s::bigint", "parent": "%(parent)s::bigint"}
        unchanged = f"EXISTS (SELECT 1 FROM {table} WHERE id = %(row)s AND {column} = %(parent)s)"  # noqa: S608
        cursor.execute(
            f"SELECT CASE WHEN NOT s.unchanged THEN {_tree_loop_sql(**where)} END, "  # noqa: S608 - the models' own names
            f"CASE WHEN NOT s.unchanged THEN {_tree_depth_sql(**where)} END FROM (SELECT {unchanged} AS unchanged) s",
            {"parent": parent_id, "row": instance.pk},
        )
        looped, depth = cursor.fetchone()
    if depth is None:
        return None
    if looped:
        return ValidationError({parent_field: ValidationError(loop, code=f"{model._meta.model_name}_tree_loop")})
    if depth > TREE_MAX_DEPTH:
        return ValidationError({parent_field: ValidationError(too_deep, code=f"{model._meta.model_name}_tree_depth")})
    return None


def tree_trigger(
    table: str, parent_column: str, *, name: str, loop: str, loop_name: str, too_deep: str, too_deep_name: str
) -> pgtrigger.Trigger:
    """A trigger refusing what ``tree_error`` reports (a parent under the row, a tree deeper
    than TREE_MAX_DEPTH), for writes that bypass validation and for two writes racing (each
    would pass alone: they queue on a lock, and the second sees the first). It raises a
    CHECK violation named ``loop_name`` or ``too_deep_name``."""
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.Before,
        operation=pgtrigger.Insert | pgtrigger.UpdateOf(parent_column),  # type: ignore[no-untyped-call]
        condition=pgtrigger.Condition(f"NEW.{parent_column} IS NOT NULL"),
        func=f"""
            -- A save that leaves the parent as it was changes no tree (Django's UPDATE lists
            -- every column): no lock, and no walk down the row's subtree.
            IF TG_OP = 'UPDATE' AND NEW.{parent_column} IS NOT DISTINCT FROM OLD.{parent_column} THEN
                RETURN NEW;
            END IF;
            PERFORM pg_advisory_xact_lock(hashtext('{_tree_lock_key(table, parent_column)}'));
            IF {_tree_loop_sql(table, parent_column, row="NEW.id", parent=f"NEW.{parent_column}")} THEN
                RAISE EXCEPTION '{loop}' USING ERRCODE = 'check_violation', CONSTRAINT = '{loop_name}';
            END IF;
            IF {_tree_depth_sql(table, parent_column, row="NEW.id", parent=f"NEW.{parent_column}")} > {TREE_MAX_DEPTH} THEN
                RAISE EXCEPTION '{too_deep}' USING ERRCODE = 'check_violation', CONSTRAINT = '{too_deep_name}';
            END IF;
            RETURN NEW;
        """,  # noqa: S608 - the models' own names and messages, never input
    )
