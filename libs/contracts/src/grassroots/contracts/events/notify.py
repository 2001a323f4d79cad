"""Commands on gr.notify.v1.> : the only messages allowed to carry contact details."""

from __future__ import annotations

from typing import ClassVar, Literal

from grassroots.contracts.events.base import EventData, register


class _NotifyCommand(EventData):
    DOMAIN: ClassVar[str] = "notify"
    PERSONAL: ClassVar[bool] = True


class ContactUpserted(_NotifyCommand):
    """Contact details of a citizen or member, for the notifications service only.

    Recipient ids: `citizen:<request_id>` for a citizen, `member:<member_id>` for a member.
    """

    NAME: ClassVar[str] = "contact_upserted"
    recipient_id: str
    recipient_kind: Literal["citizen", "member"]
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    org_unit_id: str | None = None
    # For a citizen: the request this contact belongs to and its tracking code.
    request_id: str | None = None
    tracking_code: str | None = None
    # Whether the person agreed to be named on the public board (公示栏).
    public_name_consent: bool = False


class ContactErased(_NotifyCommand):
    """Erase a recipient's contact details (PIPL deletion)."""

    NAME: ClassVar[str] = "contact_erased"
    recipient_id: str


register(ContactUpserted, ContactErased)
