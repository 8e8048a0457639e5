"""Roles, as Django permissions granted to the groups (migration claims/0004).

Each view names the permissions each method needs, next to the methods, so the matrix
can be read off the code:

    required_permissions = {"GET": ("claims.view_claim",), "POST": ("claims.add_claim",)}

Analysts read and write; journalists read and hold ``claims.review_contradiction``; API
consumers read. Anonymous requests are refused with 401 before any of this. A method a
view implements but does not list is refused (fail closed); one it does not implement
falls through to 405.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class RolePermission(BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False  # DRF answers 401, since an authenticator offers a challenge
        method = str(request.method)
        if method in ("HEAD", "OPTIONS"):
            method = "GET"
        if not hasattr(view, method.lower()):
            return True  # not offered: the view answers 405
        required: dict[str, tuple[str, ...]] | None = getattr(view, "required_permissions", {}).get(method)
        if required is None:
            return False
        return bool(user.has_perms(required))
