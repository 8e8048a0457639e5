"""Keyset page cursors for the reader's lists: the sort key of the last row shown, signed,
so that a cursor the reader never issued (forged, truncated, from another list) is refused
instead of read. No page ever needs a COUNT."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing

SALT = "reader.cursor"


class BadCursor(ValueError):
    """The cursor was not issued by this reader for this list."""


def cursor_issue(*, listing: str, moment: dt.datetime, pk: int) -> str:
    return signing.dumps([listing, moment.isoformat(), pk], salt=SALT, compress=True)


def cursor_read(token: str, *, listing: str) -> tuple[dt.datetime, int]:
    """The (moment, id) after which the next page starts; ``BadCursor`` if the token was
    not issued for ``listing``."""
    try:
        value: Any = signing.loads(token, salt=SALT)
        name, moment, pk = value
        if name != listing or not isinstance(pk, int):
            raise BadCursor("This page link was made for another list.")
        return dt.datetime.fromisoformat(moment), pk
    except (signing.BadSignature, ValueError, TypeError) as exc:
        if isinstance(exc, BadCursor):
            raise
        raise BadCursor("This page link is not one the reader made; start again from the first page.") from exc
