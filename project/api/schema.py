"""OpenAPI conventions: every operation documents the errors it can answer, in the one
error shape, and the schema carries links for clients (and schemathesis's stateful phase)."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter

from project.api.errors import ErrorSerializer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})

ERROR_DESCRIPTIONS = {
    "400": "Bad input: `errors` names each field, parameter or header and the problem.",
    "401": "No credentials, or a key that is wrong, revoked or expired.",
    "403": "Your role does not allow this.",
    "404": "No such object.",
    "409": "The change conflicts with the current data.",
    "412": "If-Match does not match the current ETag: someone changed it since you read it.",
    "414": "The URL is too long for the server (its request-line limit): send the same query as a POST.",
    "415": "The body is not application/json.",
    "422": "This Idempotency-Key was used for another request (another path or body).",
    "428": "If-Match is required: send the ETag from your GET.",
    "429": "Too many requests for this key in this scope; see Retry-After.",
}


# What a client's Idempotency-Key may be; accounts.api.idempotency refuses others (400).
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,255}$"
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": IDEMPOTENCY_KEY_PATTERN},
    OpenApiParameter.HEADER,
    description=(
        "A key of your choosing, unique per request (e.g. a UUID; 1-255 visible ASCII characters). "
        "Sent again with the same request, it returns the first answer (with `Idempotent-Replayed: true`) "
        "and writes nothing twice, even when retries race; with another path or body it is a 422. "
        "Answers are kept 24 hours by default, per API key or signed-in user; "
        "server errors (5xx), 401, 403 and 429 are not kept. "
        "Creating an API key is never replayed: its answer holds the secret, which is not stored."
    ),
)


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters: list[Any] = super().get_override_parameters()
        if self.method == "POST" and not getattr(self.view, "read_only_post", False):
            parameters = [*parameters, IDEMPOTENCY_KEY]  # every write by POST (accounts.api.idempotency)
        return parameters

    def _error_statuses(self) -> list[str]:
        view = self.view
        method = self.method
        has_body = method in WRITE_METHODS and bool(self._get_request_body())  # type: ignore[no-untyped-call]
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        codes = ["401", "403", "429"]
        if has_body or has_query or method in WRITE_METHODS or method == "DELETE":
            codes.append("400")  # writes also answer 400 for the domain's rules (services)
        if "{" in self.path:
            codes.append("404")
        if has_body:
            codes.append("415")
        if method == "POST" and not getattr(view, "read_only_post", False):
            codes.append("422")  # an Idempotency-Key used for another request
        if method in WRITE_METHODS and not getattr(view, "read_only_post", False):
            codes.append("409")
        if method in ("PUT", "PATCH"):
            codes += ["412", "428"]
        codes += getattr(view, "extra_error_statuses", {}).get(method, [])
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_statuses():
            if code not in responses:
                # Errors are JSON, also where the success is another type (JSON-LD): URL
                # routing answers before the view, and clients parse one error shape.
                media_types = sorted({*self.map_renderers("media_type"), "application/json"})
                response = self._get_response_for_code(ErrorSerializer, code, media_types)  # type: ignore[no-untyped-call]
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return dict(sorted(responses.items()))


# (source operationId, status) -> {link name: (target operationId, parameters)}
LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {}


def link(source: str, status: str, name: str, target: str, parameters: dict[str, str]) -> None:
    """Declare an OpenAPI link, e.g. from a created claim to its detail."""
    LINKS.setdefault((source, status), {})[name] = (target, parameters)


def add_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    operations = {
        operation["operationId"]: operation
        for path in result.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for (source, status), links in LINKS.items():
        response = operations.get(source, {}).get("responses", {}).get(status)
        if response is None:
            continue
        response["links"] = {
            name: {"operationId": target, "parameters": parameters}
            for name, (target, parameters) in links.items()
            if target in operations
        }
    return result
