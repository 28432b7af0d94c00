"""Errors the domain raises; handlers turn them into one error shape for HTTP and sockets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """A refused action. `code` is machine-readable, the message is a sentence for people (in
    English). `reason` (optional) names the exact refusal and `params` its values, so a page can
    word it in its own language (docs/PROTOCOL.md)."""

    code = "invalid"
    http_status = 400

    def __init__(self, message: str, reason: str | None = None,
                 params: Mapping[str, str | int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.params = dict(params or {})

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.reason:
            found["reason"] = self.reason
            if self.params:
                found["params"] = self.params
        return found


class InvalidInput(DomainError):
    code = "invalid"
    http_status = 400


class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403


NOT_VALID = "This link or seat is not valid any more."


class Revoked(Forbidden):
    """The sender's link or seat stopped working (rotated, revoked, student removed)."""

    def __init__(self, message: str = NOT_VALID) -> None:
        super().__init__(message)


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class Locked(DomainError):
    code = "locked"
    http_status = 403


class NameTaken(DomainError):
    code = "name_taken"
    http_status = 409


class PayloadTooLarge(DomainError):
    code = "too_large"
    http_status = 413


class RateLimited(DomainError):
    code = "rate_limited"
    http_status = 429


class Unavailable(DomainError):
    code = "unavailable"
    http_status = 503
