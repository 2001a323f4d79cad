"""What every use case of the requests service needs: database, outbox, settings, calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from grassroots.kit.app import Runtime
from grassroots.kit.db import AsyncSession, Database
from grassroots.kit.groupcommit import GroupCommit
from grassroots.kit.idempotency import IdempotencyKeys
from grassroots.requests.adapters.crypto import PersonalDataCipher
from grassroots.requests.adapters.lookups import Lookups
from grassroots.requests.adapters.repository import calendar_overrides
from grassroots.requests.adapters.storage import ObjectStorage
from grassroots.requests.config import RequestsSettings
from grassroots.requests.domain.calendar import WorkCalendar


@dataclass
class RequestsContext:
    """The service's collaborators, built once by the composition root."""

    runtime: Runtime
    settings: RequestsSettings
    cipher: PersonalDataCipher
    lookups: Lookups
    intake_writer: GroupCommit
    idempotency: IdempotencyKeys
    storage: ObjectStorage
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    @property
    def db(self) -> Database:
        """The service's database."""
        return self.runtime.db

    async def reload_calendar(self, session: AsyncSession | None = None) -> WorkCalendar:
        """Rebuild the working-day calendar from the operator's overrides."""
        overrides: dict[date, bool]
        if session is None:
            async with self.db.read_only() as own:
                overrides = await calendar_overrides(own)
        else:
            overrides = await calendar_overrides(session)
        self.calendar = WorkCalendar(overrides)
        return self.calendar
