"""One row of a bulk import, read and checked in Python, without a query.

A row is a mapping of field to value, from JSON (typed values) or from a sheet (CSV or
XLSX: text cells, where an empty cell is an absent field and a cell of digits names an
id). The fields are those of ``POST /api/v1/claims/``; a sheet gives one appearance per
row in the flat columns ``source`` (an id) or ``source_url`` (with ``source_kind`` and
``source_title`` for a source the URL creates), ``role``, ``excerpt`` and ``locator``.

``read_row`` checks everything that needs no database (types, choices, lengths, dates,
the period's order, the quantity's order) and fills the defaults as a single claim's are
filled (a single figure is its own range; no period means the day of the assertion). What
needs the database (names, the predicate's value type, sources by URL) is resolved for a
whole batch at once by ``claims.ingest.resolve``. Each problem is a ``RowError`` naming
the row and the field.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from claims.models import (
    EXCERPT_MAX_LENGTH,
    QUOTE_MAX_LENGTH,
    STATEMENT_MAX_LENGTH,
    TEXT_VALUE_MAX_LENGTH,
    Claim,
    ClaimSource,
    PeriodPrecision,
)
from project.db import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE, TIME_RANGE_MESSAGE
from sources.models import Source
from sources.urlnorm import InvalidURL, normalize_url

NAME_MAX_LENGTH = 200  # as Entity.name, Party.name and each alias
LOCATOR_MAX_LENGTH = 100
TITLE_MAX_LENGTH = 500
URL_MAX_LENGTH = 2000
MAX_APPEARANCES = 50
QUANTITY_INTEGER_DIGITS = 12  # numeric(14, 2)
ID_MAX = 2**63 - 1
CENT = Decimal("0.01")

CLAIM_FIELDS = (
    "subject", "predicate", "object_entity", "quantity_low", "quantity_best", "quantity_high", "text_value",
    "polarity", "valid_from", "valid_from_precision", "valid_until", "valid_until_precision", "asserted_by",
    "asserted_at", "statement", "quote", "hedge", "credibility",
)  # fmt: skip
APPEARANCE_FIELDS = ("source", "url", "kind", "title", "role", "excerpt", "locator")
# A sheet's one appearance, and the appearance field each column fills.
FLAT_APPEARANCE = {
    "source": "source", "source_url": "url", "source_kind": "kind", "source_title": "title",
    "role": "role", "excerpt": "excerpt", "locator": "locator",
}  # fmt: skip
ROW_FIELDS = frozenset((*CLAIM_FIELDS, "appearances", *FLAT_APPEARANCE))
REQUIRED = ("subject", "predicate", "asserted_by", "asserted_at", "statement")

POLARITIES = frozenset(Claim.Polarity.values)
HEDGES = frozenset(Claim.Hedge.values)
PRECISIONS = frozenset(PeriodPrecision.values)
ROLES = frozenset(ClaimSource.Role.values)
SOURCE_KINDS = frozenset(Source.Kind.values)
CREDIBILITIES = frozenset(Claim.Credibility.values)


@dataclass(frozen=True)
class RowError:
    """What is wrong with one field of one row. ``row`` counts from 1: the line of an
    NDJSON file, the record of a CSV (after its header), the item of a JSON array."""

    row: int
    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


class Key:
    """A name or an id, as given for an entity or a party (resolved later, by batch)."""

    __slots__ = ("id", "name")

    def __init__(self, *, id: int | None = None, name: str | None = None) -> None:  # noqa: A002 - the key's id
        self.id = id
        self.name = name


@dataclass
class AppearanceRow:
    label: str  # how errors name its source: "appearances.0.source", or a sheet's "source"
    source_id: int | None
    url: str | None
    kind: str
    title: str
    role: str
    excerpt: str
    locator: str


@dataclass
class ClaimRow:
    """A row that read cleanly: its values, with entities and parties still as ``Key``s."""

    number: int
    subject: Key
    predicate: str
    object_entity: Key | None
    quantity_low: Decimal | None
    quantity_best: Decimal | None
    quantity_high: Decimal | None
    text_value: str
    polarity: str
    valid_from: dt.date
    valid_from_precision: str
    valid_until: dt.date | None
    valid_until_precision: str
    asserted_by: Key
    asserted_at: dt.datetime
    statement: str
    quote: str
    hedge: str
    credibility: int
    appearances: list[AppearanceRow] = field(default_factory=list)
    # Set by ``claims.ingest.resolve.Resolver.resolve`` from the predicate's slug.
    predicate_id: int = 0
    value_type: str = ""


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def _text(value: Any, *, max_length: int, blank: bool) -> str:
    if not isinstance(value, str):
        raise _Refused("invalid", f"Give text, not {_type_name(value)}.")
    if "\x00" in value:
        raise _Refused("null_characters", "Text cannot contain NUL characters.")
    if len(value) > max_length:
        raise _Refused("max_length", f"At most {max_length:,} characters; this has {len(value):,}.")
    if not blank and not value.strip():
        raise _Refused("blank", "This field cannot be blank.")
    return value


def _type_name(value: Any) -> str:
    return {bool: "true or false", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _choice(value: Any, choices: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(sorted(choices))
        raise _Refused("invalid_choice", f'"{value}" is not one of: {listed}.')
    return value


def _key(value: Any, *, sheet: bool) -> Key:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= ID_MAX:
            raise _Refused("does_not_exist", f'Invalid pk "{value}" - object does not exist.')
        return Key(id=value)
    if not isinstance(value, str):
        raise _Refused("incorrect_type", f"Give an id (a whole number) or a name (a string), not {_type_name(value)}.")
    text = value.strip()
    if sheet and text.isascii() and text.isdigit():  # a cell of digits is an id
        return _key(int(text), sheet=False)
    if not text:
        raise _Refused("blank", "Give an id or a name; this name is empty.")
    if "\x00" in text:
        raise _Refused("null_characters", "A name cannot contain NUL characters.")
    if len(text) > NAME_MAX_LENGTH:
        raise _Refused("max_length", f"A name has at most {NAME_MAX_LENGTH} characters.")
    return Key(name=text)


def _id(value: Any, *, sheet: bool) -> int:
    if sheet and isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refused("invalid", f"Give the source's id (a whole number), not {_type_name(value)}.")
    if not 1 <= value <= ID_MAX:
        raise _Refused("does_not_exist", f'Invalid pk "{value}" - object does not exist.')
    return value


def _quantity(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _Refused("invalid", f"Give a number, not {_type_name(value)}.")
    try:
        number = Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise _Refused("invalid", f'"{value}" is not a number.') from None
    if not number.is_finite():
        raise _Refused("invalid", "Give a finite number.")
    if abs(number) >= Decimal(10) ** QUANTITY_INTEGER_DIGITS:
        raise _Refused("max_whole_digits", f"At most {QUANTITY_INTEGER_DIGITS} digits before the decimal point.")
    stored = number.quantize(CENT)
    if stored != number:
        raise _Refused("max_decimal_places", "At most 2 decimal places.")
    return stored


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):  # a spreadsheet's date cell
        value = value.date()
    if isinstance(value, dt.date):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            if len(text) != 10:
                raise ValueError
            parsed = dt.date.fromisoformat(text)
        except ValueError:
            raise _Refused("invalid", f'"{value}" is not a date: use YYYY-MM-DD.') from None
    else:
        raise _Refused("invalid", f"Give a date as YYYY-MM-DD, not {_type_name(value)}.")
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise _Refused("invalid", DATE_RANGE_MESSAGE)
    return parsed


def _moment(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise _Refused("invalid", "Give a date and time with its time zone, e.g. 2020-10-23T12:00:00Z, as text.")
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _Refused("invalid", f'"{value}" is not a date and time: use e.g. 2020-10-23T12:00:00Z.') from None
    if parsed.tzinfo is None:
        raise _Refused("naive_datetime", "Give the time zone too, e.g. 2020-10-23T12:00:00Z or +04:00.")
    try:
        utc = parsed.astimezone(dt.UTC)
    except OverflowError:
        raise _Refused("invalid", TIME_RANGE_MESSAGE) from None
    if not EARLIEST_DATE <= utc.date() <= LATEST_DATE:
        raise _Refused("invalid", TIME_RANGE_MESSAGE)
    return utc


def _credibility(value: Any, *, sheet: bool) -> int:
    if sheet and isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value not in CREDIBILITIES:
        raise _Refused("invalid_choice", f'"{value}" is not one of: 1, 2, 3, 4, 5, 6 (the Admiralty scale).')
    return value


@functools.lru_cache(maxsize=65536)  # a sheet cites the same few sources on many rows
def _normalized(url: str) -> str:
    return normalize_url(url)


def _present(raw: Mapping[str, Any], name: str) -> bool:
    value = raw.get(name)
    return value is not None and value != ""


def _converters(*, sheet: bool) -> dict[str, tuple[Any, Any]]:
    """How each claim field is read, and its value when absent."""
    return {
        "subject": (lambda v: _key(v, sheet=sheet), None),
        "predicate": (lambda v: _text(v, max_length=60, blank=False).strip(), None),
        "object_entity": (lambda v: _key(v, sheet=sheet), None),
        "quantity_low": (_quantity, None),
        "quantity_best": (_quantity, None),
        "quantity_high": (_quantity, None),
        "text_value": (lambda v: _text(v, max_length=TEXT_VALUE_MAX_LENGTH, blank=True), ""),
        "polarity": (lambda v: _choice(v, POLARITIES), Claim.Polarity.AFFIRMS.value),
        "valid_from": (_date, None),
        "valid_from_precision": (lambda v: _choice(v, PRECISIONS), PeriodPrecision.DAY.value),
        "valid_until": (_date, None),
        "valid_until_precision": (lambda v: _choice(v, PRECISIONS), PeriodPrecision.DAY.value),
        "asserted_by": (lambda v: _key(v, sheet=sheet), None),
        "asserted_at": (_moment, None),
        "statement": (lambda v: _text(v, max_length=STATEMENT_MAX_LENGTH, blank=False), None),
        "quote": (lambda v: _text(v, max_length=QUOTE_MAX_LENGTH, blank=True), ""),
        "hedge": (lambda v: _choice(v, HEDGES), Claim.Hedge.STATED.value),
        "credibility": (lambda v: _credibility(v, sheet=sheet), Claim.Credibility.CANNOT_BE_JUDGED.value),
    }


_SHEET_CONVERTERS = _converters(sheet=True)
_JSON_CONVERTERS = _converters(sheet=False)


def read_row(raw: Any, *, number: int, sheet: bool) -> ClaimRow | list[RowError]:
    """The row ``raw`` read and checked (``sheet``: its values are a sheet's cells), or
    what is wrong with it, one ``RowError`` per field at fault."""
    if not isinstance(raw, Mapping):
        return [RowError(number, "row", "invalid", f"Each row is an object of fields, not {_type_name(raw)}.")]
    errors: list[RowError] = []

    def refuse(name: str, code: str, message: str) -> None:
        errors.append(RowError(number, name, code, message))

    given = {name: value for name, value in raw.items() if value is not None and value != ""}
    for name in raw:
        if name not in ROW_FIELDS:
            refuse(str(name), "unknown_field", "Unknown field.")
    for name in REQUIRED:
        if name not in given:
            refuse(name, "required", "This field is required.")
    converters = _SHEET_CONVERTERS if sheet else _JSON_CONVERTERS
    values: dict[str, Any] = {}
    for name, (convert, default) in converters.items():
        if name not in given:
            values[name] = default
            continue
        try:
            values[name] = convert(given[name])
        except _Refused as refusal:
            refuse(name, refusal.code, refusal.message)
            values[name] = default
    appearances = _read_appearances(raw, number=number, sheet=sheet, errors=errors)
    if errors:
        return errors

    low, best, high = values["quantity_low"], values["quantity_best"], values["quantity_high"]
    if best is None and (low is not None or high is not None):
        refuse("quantity_best", "required", "Give the best estimate as well as the range.")
    if best is not None:
        low = best if low is None else low
        high = best if high is None else high
        if low > best:
            refuse("quantity_low", "invalid", "The low estimate is above the best estimate.")
        if high < best:
            refuse("quantity_high", "invalid", "The high estimate is below the best estimate.")
    start, end = values["valid_from"], values["valid_until"]
    start_precision, end_precision = values["valid_from_precision"], values["valid_until_precision"]
    if start is None:  # a claim with no period is about the day it was asserted
        start, start_precision = values["asserted_at"].date(), PeriodPrecision.DAY.value
        if end is None:
            end, end_precision = start, PeriodPrecision.DAY.value
    if end is not None and end < start:
        refuse("valid_until", "invalid", "The period's end is before its start.")
    if errors:
        return errors
    return ClaimRow(
        number=number,
        subject=values["subject"],
        predicate=values["predicate"],
        object_entity=values["object_entity"],
        quantity_low=low,
        quantity_best=best,
        quantity_high=high,
        text_value=values["text_value"],
        polarity=values["polarity"],
        valid_from=start,
        valid_from_precision=start_precision,
        valid_until=end,
        valid_until_precision=end_precision,
        asserted_by=values["asserted_by"],
        asserted_at=values["asserted_at"],
        statement=values["statement"],
        quote=values["quote"],
        hedge=values["hedge"],
        credibility=values["credibility"],
        appearances=appearances,
    )


def row_names(raw: Any, *, number: int, sheet: bool, errors: list[RowError]) -> list[tuple[int, str, Key]]:
    """The entity and party names of a row that did not read whole, those that read
    cleanly, so that they can be resolved and reported with the row's other errors."""
    if not isinstance(raw, Mapping):
        return []
    refused = {error.field for error in errors}
    found = []
    for name in ("subject", "object_entity", "asserted_by"):
        if name in refused or not _present(raw, name):
            continue
        try:
            found.append((number, name, _key(raw[name], sheet=sheet)))
        except _Refused:
            continue
    return found


def _read_appearances(
    raw: Mapping[str, Any], *, number: int, sheet: bool, errors: list[RowError]
) -> list[AppearanceRow]:
    flat = {FLAT_APPEARANCE[name]: raw[name] for name in FLAT_APPEARANCE if _present(raw, name)}
    if not flat and not _present(raw, "appearances"):
        return []
    items: list[tuple[str, Any]]
    if _present(raw, "appearances"):
        if flat:
            errors.append(
                RowError(number, "appearances", "invalid", "Give appearances or the source columns, not both.")
            )
            return []
        given = raw["appearances"]
        if not isinstance(given, list):
            errors.append(RowError(number, "appearances", "not_a_list", "Give a list of appearances."))
            return []
        if len(given) > MAX_APPEARANCES:
            message = f"At most {MAX_APPEARANCES} appearances per claim."
            errors.append(RowError(number, "appearances", "max_length", message))
            return []
        items = [(f"appearances.{index}.", item) for index, item in enumerate(given)]
    elif flat:
        items = [("", flat)]
    else:
        return []
    names = {value: key for key, value in FLAT_APPEARANCE.items()}
    read: list[AppearanceRow] = []
    seen: set[tuple[Any, str]] = set()
    for prefix, item in items:
        # A sheet's columns are named source_url, …; a JSON appearance's fields url, ….
        label = (lambda name: names[name]) if not prefix else (lambda name: prefix + name)  # noqa: B023
        if not isinstance(item, Mapping):
            errors.append(RowError(number, prefix.rstrip("."), "invalid", "Each appearance is an object."))
            continue
        before = len(errors)
        item = {name: value for name, value in item.items() if value is not None and value != ""}
        for name in item:
            if name not in APPEARANCE_FIELDS:
                errors.append(RowError(number, prefix + str(name), "unknown_field", "Unknown field."))
        source_id = url = None
        try:
            if ("source" in item) == ("url" in item):
                raise _Refused("required", "Give the source's id (source) or its url, one of the two.")
            if "source" in item:
                source_id = _id(item["source"], sheet=sheet)
                for name in ("kind", "title"):
                    if name in item:
                        errors.append(RowError(number, label(name), "invalid", "Only for a source given by url."))
            else:
                text = _text(item["url"], max_length=URL_MAX_LENGTH, blank=False)
                try:
                    url = _normalized(text)
                except InvalidURL as exc:
                    errors.append(RowError(number, label("url"), "invalid", str(exc)))
        except _Refused as refusal:
            errors.append(RowError(number, label("source"), refusal.code, refusal.message))
        values: dict[str, str] = {}
        for name, choices, default in (("kind", SOURCE_KINDS, Source.Kind.OTHER.value),
                                       ("role", ROLES, ClaimSource.Role.REPORT.value)):  # fmt: skip
            try:
                values[name] = _choice(item[name], choices) if name in item else default
            except _Refused as refusal:
                errors.append(RowError(number, label(name), refusal.code, refusal.message))
        for name, limit in (("title", TITLE_MAX_LENGTH), ("excerpt", EXCERPT_MAX_LENGTH),
                            ("locator", LOCATOR_MAX_LENGTH)):  # fmt: skip
            try:
                values[name] = _text(item[name], max_length=limit, blank=True) if name in item else ""
            except _Refused as refusal:
                errors.append(RowError(number, label(name), refusal.code, refusal.message))
        if len(errors) > before:
            continue
        link = (source_id if source_id is not None else url, values["role"])
        if link in seen:
            message = "This source is already linked to the claim in this role."
            errors.append(RowError(number, label("source"), "duplicate", message))
            continue
        seen.add(link)
        read.append(
            AppearanceRow(
                label=label("source"),
                source_id=source_id,
                url=url,
                kind=values["kind"],
                title=values["title"] or (url or "")[:TITLE_MAX_LENGTH],
                role=values["role"],
                excerpt=values["excerpt"],
                locator=values["locator"],
            )
        )
    return read
