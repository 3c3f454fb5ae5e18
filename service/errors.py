"""One error tree, rendered by one handler as RFC 9457 problem+json.

Every error a user can cause is an ``AdvisorError`` subclass with a stable ``code``, an HTTP
status, a message that says what to do next, and where the problem is (field or line).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

PROBLEM_JSON = "application/problem+json"


class AdvisorError(Exception):
    """Base of every error the service reports to a user."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
        line: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
            if type(self) is AdvisorError:
                self.title = HTTPStatus(status).phrase
        self.field = field
        self.line = line
        self.errors = errors or []
        self.headers = headers or {}

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json body for this error."""
        body: dict[str, Any] = {
            "type": f"https://tuning-advisor.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.message,
        }
        if instance:
            body["instance"] = instance
        if self.field is not None:
            body["field"] = self.field
        if self.line is not None:
            body["line"] = self.line
        if self.errors:
            body["errors"] = self.errors
        return body


class ValidationFailed(AdvisorError):
    status = 422
    code = "validation_error"
    title = "The request did not validate"


class NotFound(AdvisorError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(AdvisorError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(AdvisorError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class QuotaExceeded(AdvisorError):
    """A tenant asked for more than a quota allows: which quota, its limit, what was seen and the setting that raises it."""

    status = 413
    code = "quota_exceeded"
    title = "Over a quota"

    def __init__(
        self, message: str, *, quota: dict[str, Any], status: int | None = None, field: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, status=status, field=field, **kwargs)
        self.quota = quota

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        return {**super().to_problem(instance), "quota": self.quota}


class UnsupportedMediaType(AdvisorError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class Unauthorized(AdvisorError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class ProviderUnavailable(AdvisorError):
    status = 502
    code = "provider_error"
    title = "The provider failed"


class ServiceUnavailable(AdvisorError):
    status = 503
    code = "service_unavailable"
    title = "A dependency is unavailable"
