"""ETags and If-Match: lost-update protection for PUT and PATCH."""

from __future__ import annotations

import hashlib

from rest_framework.request import Request

from project.api.errors import PreconditionFailed, PreconditionRequired


def etag_for(representation: bytes) -> str:
    """A strong ETag: the hash of the exact representation a GET returns."""
    return '"' + hashlib.sha256(representation).hexdigest()[:40] + '"'


def _parse_if_match(header: str) -> list[str]:
    """The entity tags of an If-Match header (RFC 9110 §13.1.1). Weak tags are kept with
    their W/ prefix, so they never equal a strong tag: If-Match uses strong comparison."""
    tags, current, quoted = [], "", False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            tags.append(current.strip())
            current = ""
        else:
            current += char
    tags.append(current.strip())
    return [tag for tag in tags if tag]


def require_if_match(request: Request, current_etag: str) -> None:
    """Raise 428 if the request has no If-Match, and 412 if none of its tags is the
    current one. Call while holding the row lock, so the check and the write are one step."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise PreconditionRequired()
    tags = _parse_if_match(header)
    if "*" in tags or current_etag in tags:
        return
    raise PreconditionFailed()
