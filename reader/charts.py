"""The geometry of the reader's two pictures, drawn server-side as SVG by the templates:
a place's timeline of claims (one lane per side, a bar per claim over its period, the
verdict marked at its end) and a party's track record (a bar per status). No JavaScript.
The timeline's bars and its table rows, hundreds on a district's page, are written here
(``bars_svg``, ``claim_rows``): as a template loop they took most of that page's time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe

from claims.models import Rating, Status
from reader.links import url_pattern

WIDTH = 900
LABEL_WIDTH = 150
ROW_HEIGHT = 14
LANE_GAP = 12
AXIS_HEIGHT = 28
# Distinguishable colours with 3:1 contrast on white, one per side in turn.
PALETTE = ["#1f5fa8", "#b8410a", "#2e7d32", "#6a3d9a", "#8a6d00", "#ad1457", "#00695c", "#4e342e"]
FALSE = frozenset({Rating.FALSE, Rating.MOSTLY_FALSE})
# A status's words, read from a dict: get_status_display() per bar and row took a tenth of a
# district page's time.
STATUS_LABELS = {value: str(label) for value, label in Status.choices}
TRUE = frozenset({Rating.TRUE, Rating.MOSTLY_TRUE})


@dataclass(frozen=True, slots=True)
class TimelineClaim:
    """What the timeline shows of a claim. Read as plain rows (``reader.selectors.
    place_timeline``): building hundreds of model instances took most of a district page."""

    pk: int
    valid_from: dt.date
    valid_until: dt.date | None
    statement: str
    status: str
    polarity: str
    party: str
    side: str
    period_phrase: str


@dataclass(frozen=True)
class Bar:
    claim: TimelineClaim
    x: float
    y: int
    width: float
    colour: str
    mark: str  # "false", "true", "other" or "" (unrated)
    label: str


@dataclass(frozen=True)
class Lane:
    name: str
    y: int
    height: int
    colour: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    bars: list[Bar] = field(default_factory=list)
    lanes: list[Lane] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    height: int = 0
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    start: dt.date | None = None
    end: dt.date | None = None


def _mark(status: str) -> str:
    if status in FALSE:
        return "false"
    if status in TRUE:
        return "true"
    return "" if status == Status.UNRATED else "other"


def _ticks(start: dt.date, end: dt.date, x_of: object) -> list[Tick]:
    span = (end - start).days
    ticks: list[Tick] = []
    if span > 3 * 365:
        for year in range(start.year + 1, end.year + 1):
            ticks.append(Tick(x_of(dt.date(year, 1, 1)), str(year)))  # type: ignore[operator]
    else:
        step = 1 if span <= 200 else 3 if span <= 730 else 6
        year, month = start.year, start.month
        while True:
            month += step
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
            day = dt.date(year, month, 1)
            if day > end:
                break
            ticks.append(Tick(x_of(day), f"{day:%b} {day.year}"))  # type: ignore[operator]
    return ticks[:14]


def timeline(claims: list[TimelineClaim]) -> Timeline:
    """Lay ``claims`` out by side and period. An open-ended claim runs to the last day drawn."""
    if not claims:
        return Timeline()
    starts = [c.valid_from for c in claims]
    ends = [c.valid_until or c.valid_from for c in claims]
    start = min(starts)
    end = max(max(ends), max(starts))
    end = max(end, start + dt.timedelta(days=1))
    plot = WIDTH - LABEL_WIDTH - 10
    days = (end - start).days + 1

    def x_of(day: dt.date) -> float:
        return round(LABEL_WIDTH + plot * (day - start).days / days, 1)

    sides = sorted({c.side or "—" for c in claims})
    colours = {side: PALETTE[i % len(PALETTE)] for i, side in enumerate(sides)}
    result = Timeline(start=start, end=end)
    y = AXIS_HEIGHT
    for side in sides:
        rows_end: list[dt.date] = []  # the last day taken in each row of the lane
        placed: list[tuple[int, TimelineClaim]] = []
        for claim in (c for c in claims if (c.side or "—") == side):
            last = claim.valid_until or end
            row = next((i for i, taken in enumerate(rows_end) if taken < claim.valid_from), None)
            if row is None:
                rows_end.append(last)
                row = len(rows_end) - 1
            else:
                rows_end[row] = last
            placed.append((row, claim))
        height = max(1, len(rows_end)) * ROW_HEIGHT
        result.lanes.append(Lane(side, y, height, colours[side]))
        for row, claim in placed:
            x0 = x_of(claim.valid_from)
            x1 = x_of((claim.valid_until or end) + dt.timedelta(days=1))
            status = STATUS_LABELS.get(claim.status, claim.status)
            label = f"{claim.party}: {claim.statement} ({claim.period_phrase}; {status})"
            result.bars.append(
                Bar(claim, x0, y + row * ROW_HEIGHT + 2, max(3.0, x1 - x0), colours[side], _mark(claim.status), label)
            )
        y += height + LANE_GAP
    result.height = y
    # Name the ends too, so a short span (no month starts inside it) still reads.
    result.ticks = _ticks(start, end, x_of) or [
        Tick(x_of(start), f"{start.day} {start:%b} {start.year}"),
        Tick(x_of(end), f"{end.day} {end:%b} {end.year}"),
    ]
    return result


_MARKS = {
    "false": '<text x="{x}" y="{y}" font-size="11" fill="#b71c1c" font-weight="700">✕</text>',
    "true": '<text x="{x}" y="{y}" font-size="11" fill="#1b5e20" font-weight="700">✓</text>',
}
_DENIAL = ' fill-opacity="0.35" stroke="{}" stroke-dasharray="3 2"'
_BAR = '<a href="{url}"><title>{title}</title><rect x="{x}" y="{y}" width="{width}" height="10" fill="{colour}"{denial}/>{mark}</a>'
_ROW = '<tr><td>{period}</td><td>{side}</td><td>{party}</td><td><a href="{url}">{statement}</a></td><td class="status status-{status}">{label}</td></tr>'
# The rows are joined from str.format with each text escaped (the standard library's
# escape, as Django's is): format_html per row, which escapes through lazy wrappers, took
# a fifth of a district page's time.


def bars_svg(bars: list[Bar]) -> SafeString:
    """The timeline's bars as SVG: each a link to its claim, titled, a denial dashed, the
    verdict marked. (The numbers and colours are ours; every text is escaped.)"""
    url = url_pattern("reader:claim")
    return mark_safe(  # noqa: S308 - every text below is escaped
        "".join(
            _BAR.format(
                url=url.format(bar.claim.pk),
                title=escape(bar.label),
                x=bar.x,
                y=bar.y,
                width=bar.width,
                colour=bar.colour,
                denial=_DENIAL.format(bar.colour) if bar.claim.polarity == "denies" else "",
                mark=_MARKS[bar.mark].format(x=bar.x, y=bar.y + 9) if bar.mark in _MARKS else "",
            )
            for bar in bars
        )
    )


def claim_rows(claims: list[TimelineClaim]) -> SafeString:
    """The timeline's claims as table rows: period, side, party, claim (linked), status."""
    url = url_pattern("reader:claim")
    return mark_safe(  # noqa: S308 - every text below is escaped
        "".join(
            _ROW.format(
                period=escape(claim.period_phrase),
                side=escape(claim.side),
                party=escape(claim.party),
                url=url.format(claim.pk),
                statement=escape(claim.statement),
                status=escape(claim.status),
                label=escape(STATUS_LABELS.get(claim.status, claim.status)),
            )
            for claim in claims
        )
    )


@dataclass(frozen=True)
class RecordBar:
    label: str
    count: int
    y: int
    width: float
    colour: str
    count_x: float


RECORD_COLOURS = {"false": "#b71c1c", "true": "#2e7d32", "": "#616161", "other": "#8a6d00"}


def record_bars(record: dict[str, int], *, width: int = 420) -> tuple[list[RecordBar], int]:
    """A bar per verification status of the party's claims (``claims.selectors.party_record``)."""
    rows = [(str(label), record.get(f"status_{value}", 0), _mark(value)) for value, label in Status.choices]
    top = max([count for _, count, _ in rows] + [1])
    bar_width = width - 200
    bars = [
        RecordBar(label, count, i * 22, bar, RECORD_COLOURS[mark], 126 + bar)
        for i, (label, count, mark) in enumerate(rows)
        for bar in [round(bar_width * count / top, 1)]
    ]
    return bars, len(bars) * 22
