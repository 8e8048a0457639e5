"""ETags and If-Match: lost-update protection for PUT and PATCH.

A client GETs a resource (ETag: "…"), then sends its change with ``If-Match: "…"``.
The server compares the tag with the current version while holding the row lock, so of
two clients that read the same version, the second to write gets 412 and must re-read.
"""

from __future__ import annotations

import hashlib
import re

from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request

from project.api.errors import PreconditionFailed, PreconditionRequired

# RFC 9110 §13.1.1: "*", or a comma-separated list of entity tags, each optionally weak.
_TAG = r'(W/)?"[!#-~]*"'
IF_MATCH_PATTERN = rf"^ *(\*|{_TAG}( *, *{_TAG})*) *$"
_TAG_RE = re.compile(_TAG)


def etag_for(representation: bytes) -> str:
    """A strong ETag: the hash of the exact representation a GET returns."""
    return '"' + hashlib.sha256(representation).hexdigest()[:40] + '"'


def if_match_tags(request: Request) -> list[str]:
    """The entity tags of the request's If-Match: 428 if there is none, 400 if it is not
    a list of entity tags. Weak tags keep their W/ so they never equal a strong tag:
    If-Match compares strongly."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise PreconditionRequired()
    if not re.fullmatch(IF_MATCH_PATTERN, header):
        raise ValidationError(
            {
                "If-Match": [
                    ErrorDetail('Give "*" or entity tags in double quotes, as the ETag header has them.', "invalid")
                ]
            }
        )
    if header.strip() == "*":
        return ["*"]
    return [match.group(0) for match in _TAG_RE.finditer(header)]


def check_if_match(tags: list[str], current_etag: str) -> None:
    """412 unless one of ``tags`` is the current ETag. Call while holding the row lock,
    so that the comparison and the write are one step."""
    if "*" in tags or current_etag in tags:
        return
    raise PreconditionFailed()
