"""Typed domain errors. Each has a stable ``code``; adapters render them, services raise them."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class ValidationFailed(DomainError):
    """Input that is well-formed but wrong. ``problems`` lists every problem at once."""

    code = "validation_failed"
    status = 422

    def __init__(self, detail: str, problems: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        super().__init__(detail, problems=problems or [], **extra)
        self.problems = problems or []


class CatalogInvalid(ValidationFailed):
    code = "catalog_invalid"
