"""Delivery channels behind one interface: in-app inbox, SMS gateway, SMTP email, webhooks."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal, Protocol

import aiosmtplib
import httpx

from grassroots.notifications.domain.policy import sms_segments

Outcome = Literal["sent", "delivered"]


@dataclass(frozen=True)
class Outgoing:
    """One message ready to leave: the address is resolved, the text rendered."""

    notification_id: str
    address: str
    subject: str
    body: str
    payload: bytes | None = None
    secret: str | None = None


class DeliveryError(Exception):
    """A delivery attempt failed; `retryable` says whether trying again may help."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Channel(Protocol):
    """What every channel does: hand one message on, or raise DeliveryError."""

    name: str

    async def send(self, message: Outgoing) -> Outcome:
        """Deliver `message`; return whether it is only `sent` or already `delivered`."""
        ...


class InboxChannel:
    """The in-app inbox: the notification row itself is the message, so it is delivered."""

    name = "inbox"

    async def send(self, message: Outgoing) -> Outcome:
        """Nothing leaves the service."""
        return "delivered"


def _raise_for_status(response: httpx.Response, what: str) -> None:
    if response.is_success:
        return
    retryable = response.status_code >= 500 or response.status_code in (408, 429)
    raise DeliveryError(f"{what} answered {response.status_code}", retryable=retryable)


def _gateway_outcome(response: httpx.Response) -> Outcome:
    """`delivered` when the gateway's answer already carries the handset's delivery receipt."""
    try:
        body = response.json()
    except ValueError:
        return "sent"
    return "delivered" if isinstance(body, dict) and body.get("status") == "delivered" else "sent"


class SmsGatewayChannel:
    """SMS through an HTTP gateway: POST {to, text, segments, reference} as JSON.

    With `batch_size` > 1 it posts {"messages": [...]} and reads per-message results
    {"results": [{"reference", "accepted", "error", "status"}]}: one round trip for many
    messages. A gateway that already has the delivery receipt says `"status": "delivered"`.
    """

    name = "sms"

    def __init__(
        self, client: httpx.AsyncClient, url: str | None, token: str | None, batch_size: int = 1
    ) -> None:
        self.client = client
        self.url = url
        self.token = token
        self.batch_size = batch_size

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @staticmethod
    def _body(message: Outgoing) -> dict[str, object]:
        return {
            "to": message.address,
            "text": message.body,
            "segments": sms_segments(message.body),
            "reference": message.notification_id,
        }

    async def send(self, message: Outgoing) -> Outcome:
        """Hand the text to the gateway; 2xx means accepted (`sent`)."""
        if not self.url:
            raise DeliveryError("no SMS gateway configured", retryable=False)
        try:
            response = await self.client.post(
                self.url, json=self._body(message), headers=self._headers()
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"SMS gateway unreachable: {exc.__class__.__name__}") from exc
        _raise_for_status(response, "SMS gateway")
        return _gateway_outcome(response)

    async def send_many(self, messages: list[Outgoing]) -> list[Outcome | DeliveryError]:
        """Hand several texts over in one request; each gets its own outcome."""
        if not self.url:
            return [DeliveryError("no SMS gateway configured", retryable=False)] * len(messages)
        try:
            response = await self.client.post(
                self.url,
                json={"messages": [self._body(m) for m in messages]},
                headers=self._headers(),
            )
            _raise_for_status(response, "SMS gateway")
            results = {r.get("reference"): r for r in response.json().get("results", [])}
        except httpx.HTTPError as exc:
            error = DeliveryError(f"SMS gateway unreachable: {exc.__class__.__name__}")
            return [error] * len(messages)
        except DeliveryError as exc:
            return [exc] * len(messages)
        except (ValueError, AttributeError):
            return [DeliveryError("SMS gateway answered no readable results")] * len(messages)
        outcomes: list[Outcome | DeliveryError] = []
        for message in messages:
            result = results.get(message.notification_id)
            if result is None:
                outcomes.append(DeliveryError("SMS gateway gave no result for the message"))
            elif result.get("accepted"):
                outcomes.append("delivered" if result.get("status") == "delivered" else "sent")
            else:
                reason = str(result.get("error") or "rejected")
                outcomes.append(DeliveryError(f"SMS gateway: {reason}", retryable=False))
        return outcomes


class SmtpChannel:
    """Email over SMTP (STARTTLS and login when configured)."""

    name = "email"

    def __init__(
        self,
        host: str | None,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls

    async def send(self, message: Outgoing) -> Outcome:
        """Submit one message; accepted by the server means `sent`."""
        if not self.host:
            raise DeliveryError("no SMTP server configured", retryable=False)
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.address
        email["Subject"] = message.subject
        email["X-GR-Notification"] = message.notification_id
        email.set_content(message.body)
        try:
            await aiosmtplib.send(
                email,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                timeout=10,
                # An explicit EHLO name: the default asks DNS for our FQDN, which can hang.
                local_hostname="grassroots-notifications",
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.code}", retryable=exc.code < 500) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc.__class__.__name__}") from exc
        return "sent"


def signature(secret: str, body: bytes) -> str:
    """The `X-GR-Signature` value: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    """POSTs the CloudEvent, signed with the subscription's secret."""

    name = "webhook"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, message: Outgoing) -> Outcome:
        """2xx from the receiver means `delivered`."""
        body = message.payload or b""
        headers = {
            "Content-Type": "application/cloudevents+json",
            "X-GR-Signature": signature(message.secret or "", body),
            "X-GR-Delivery": message.notification_id,
        }
        try:
            response = await self.client.post(message.address, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook unreachable: {exc.__class__.__name__}") from exc
        _raise_for_status(response, "webhook receiver")
        return "delivered"
