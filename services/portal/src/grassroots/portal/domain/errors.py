"""What a sign-in or account operation can refuse; the HTTP edge turns each into a problem."""

from __future__ import annotations


class PortalError(Exception):
    """A refusal with the HTTP status the edge answers with."""

    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotSignedIn(PortalError):
    """Wrong credentials, or a token or code that is not (or no longer) good."""

    status = 401


class LockedOut(PortalError):
    """Too many failures: the account or the client waits `retry_after` seconds."""

    status = 423

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class NotAllowed(PortalError):
    """The caller may not do this (role or scope)."""

    status = 403


class Missing(PortalError):
    """No such account or client inside the caller's view."""

    status = 404


class Clash(PortalError):
    """A username that is taken, or a change that conflicts with the current state."""

    status = 409


class BadField(PortalError):
    """A field's value is refused (a weak password, an unknown role...)."""

    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class BadGrant(PortalError):
    """An OAuth 2.0 token request the endpoint cannot serve (RFC 6749 section 5.2)."""

    def __init__(self, error: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.error = error
        self.status = status
