"""Links to the reader's pages by primary key, for list rows: Django's ``reverse()`` per
row (a district page has sixty links) took a tenth of the page's time, so each page's URL
pattern is reversed once and filled in."""

from __future__ import annotations

import functools

from django.urls import get_script_prefix, get_urlconf, reverse

_PLACEHOLDER = 987654321


@functools.cache
def _pattern(name: str, prefix: str, urlconf: str | None) -> str:
    return reverse(name, args=[_PLACEHOLDER], urlconf=urlconf).replace(str(_PLACEHOLDER), "{}")


def url_pattern(name: str) -> str:
    """The URL of the page ``name`` (one integer argument) with ``{}`` for the argument,
    from a cache keyed by the script prefix and URLconf that reverse() would use."""
    return _pattern(name, get_script_prefix(), get_urlconf())


def page_url(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])``, from the cached pattern."""
    return url_pattern(name).format(int(pk))
