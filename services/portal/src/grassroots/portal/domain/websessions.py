"""A website session: who is signed in, the tokens the portal acts with, the CSRF token."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class WebSession:
    """One signed-in browser. The tokens are held by the portal, never sent to the browser."""

    id_hash: str
    account_id: str
    csrf_token: str
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime

    def needs_fresh_access(self, now: datetime, margin: timedelta = timedelta(seconds=30)) -> bool:
        """True when the access token ends within `margin`."""
        return self.access_expires_at - margin <= now

    def expired(self, now: datetime) -> bool:
        """True when the session has ended (idle too long, or past its refresh token)."""
        return self.expires_at <= now

    def seen(self, now: datetime, idle: timedelta, hard_end: datetime) -> WebSession:
        """The session after a request at `now`: its idle end moves, never past `hard_end`."""
        return replace(self, last_seen_at=now, expires_at=min(now + idle, hard_end))
