"""Domain errors raised by services. Routes map them to HTTP codes, states map them to toasts."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. ``code`` is a stable key the UI translates; ``message`` is a plain English fallback."""

    status_code = 400
    code = "error"

    def __init__(self, message: str = "", *, code: str | None = None, **details: Any) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        if code:
            self.code = code
        self.details: dict[str, Any] = details


class NotFound(DomainError):
    """Not found."""

    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    """You do not have permission to do this."""

    status_code = 403
    code = "forbidden"


class Unauthorized(DomainError):
    """Please log in again."""

    status_code = 401
    code = "unauthorized"


class Invalid(DomainError):
    """Some fields are not valid. ``details['fields']`` maps field name to message."""

    status_code = 422
    code = "invalid"


class Conflict(DomainError):
    """This already exists or was changed meanwhile."""

    status_code = 409
    code = "conflict"


class RateLimited(DomainError):
    """Too many attempts. ``details['retry_after']`` is the wait in seconds."""

    status_code = 429
    code = "rate_limited"


class ProviderError(DomainError):
    """The provider refused the request (bad credentials, unavailable number...)."""

    status_code = 502
    code = "provider_error"


class ProviderUnavailable(ProviderError):
    """The provider cannot be reached right now; AVA will retry."""

    status_code = 503
    code = "provider_unavailable"
