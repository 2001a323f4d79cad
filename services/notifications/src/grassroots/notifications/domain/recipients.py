"""A recipient's contact details and preferences, as the use cases hold them (pure values)."""

from __future__ import annotations

from dataclasses import dataclass

from grassroots.notifications.domain.templates import DEFAULT_LOCALE


@dataclass(frozen=True)
class Contact:
    """A recipient's contact as decrypted for one use; never logged or answered unmasked."""

    recipient_id: str
    recipient_kind: str
    erased: bool
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    tracking_code: str | None = None
    public_name_consent: bool = False

    def address(self, channel: str) -> str | None:
        """Where `channel` reaches this person."""
        return {"sms": self.phone, "email": self.email}.get(channel)

    def reachable(self) -> set[str]:
        """Channels this contact has an address for."""
        return {c for c in ("sms", "email") if self.address(c)}


@dataclass(frozen=True)
class Preference:
    """A recipient's opted-out channels and locale."""

    opted_out: frozenset[str] = frozenset()
    locale: str = DEFAULT_LOCALE
