"""Member records: validation, registration, reads (masked), updates, audited reveal, erasure."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from uuid6 import uuid7

from grassroots.contracts.events.members import MemberExited, MemberRegistered
from grassroots.kit import clock
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.masking import mask_phone
from grassroots.kit.problems import Conflict, Forbidden, NotFound
from grassroots.kit.sealing import KeyRing
from grassroots.members import metrics
from grassroots.members.adapters import members as repo
from grassroots.members.adapters.events import PendingEvent, record_events
from grassroots.members.domain.identity import (
    IdentityError,
    check_agreement,
    mask_id_number,
    normalise_id_number,
    normalise_phone,
    parse_id_number,
)
from grassroots.members.domain.lifecycle import PROBATION_MONTHS, add_months
from grassroots.members.domain.skills import base_aliases, check_duties, normalise_skills
from grassroots.members.service.commands import MemberIn, MemberPatch, RevealIn
from grassroots.members.service.deps import Deps
from grassroots.members.service.shared import (
    contact_erased,
    contact_upserted,
    invalid,
    load_unit,
    member_updated,
)


def member_view(row: Any) -> dict[str, Any]:
    """The answer for a member row (masked columns only; nothing is decrypted)."""
    values = dict(row._mapping)
    values["id_number"] = values.get("id_number_masked")
    values["phone"] = values.get("phone_masked")
    return values


def county_of(area_code: str) -> str:
    """The county whose skill vocabulary applies to a unit's area."""
    return area_code[:6].ljust(12, "0")


async def aliases_for(session: AsyncSession, county_area: str) -> dict[str, str]:
    """The base skill vocabulary plus the county's own aliases."""
    aliases = base_aliases()
    aliases.update(await repo.county_aliases(session, county_area))
    return aliases


def pydantic_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as `{field, message}` pairs."""
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
        for e in exc.errors()
    ]


def prepare_member(
    body: MemberIn, aliases: dict[str, str], today: date
) -> tuple[dict[str, Any], str | None, list[dict[str, str]]]:
    """Checked column values (plain ID number and phone included), or the errors found."""
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = body.model_dump(exclude={"id_number", "phone"})
    id_number = normalise_id_number(body.id_number)
    try:
        facts = parse_id_number(id_number, today=today)
        check_agreement(facts, gender=body.gender, birth_date=body.birth_date)
        values["gender"], values["birth_date"] = facts.gender, facts.birth_date
    except IdentityError as exc:
        errors.append({"field": exc.field, "message": str(exc)})
    phone = None
    if body.phone:
        try:
            phone = normalise_phone(body.phone)
        except IdentityError as exc:
            errors.append({"field": exc.field, "message": str(exc)})
    try:
        values["skills"] = normalise_skills(body.skills, aliases)
    except ValueError as exc:
        errors.append({"field": "skills", "message": str(exc)})
    try:
        values["duties"] = check_duties(body.duties)
    except ValueError as exc:
        errors.append({"field": "duties", "message": str(exc)})
    for field in ("stage_since", "joined_at", "confirmed_at"):
        if values.get(field) and values[field] > today:
            errors.append({"field": field, "message": "lies in the future"})
    if body.stage == "full" and body.joined_at is None:
        errors.append({"field": "joined_at", "message": "a full member has a joining date"})
    # Without a date for the current stage, a full member is taken to have been confirmed
    # when the probation ended, a probationary one to have started it on joining.
    served_probation = (
        min(add_months(body.joined_at, PROBATION_MONTHS), today) if body.joined_at else None
    )
    values["stage_since"] = (
        body.stage_since
        or (body.confirmed_at or served_probation if body.stage == "full" else None)
        or (body.joined_at if body.stage == "probationary" else None)
        or today
    )
    values["id_number"] = id_number
    return values, phone, errors


def member_row(
    member_id: str,
    values: dict[str, Any],
    phone: str | None,
    cipher: KeyRing,
    actor: str,
) -> dict[str, Any]:
    """The database row of a new member: personal data sealed, masked forms kept."""
    now = utcnow()
    id_number = values.pop("id_number")
    return {
        **values,
        "id": member_id,
        "id_number_enc": cipher.seal(id_number, record_id=member_id, field="id_number"),
        "id_number_hash": cipher.lookup_hash(id_number),
        "id_number_masked": mask_id_number(id_number),
        "phone_enc": cipher.seal(phone, record_id=member_id, field="phone") if phone else None,
        "phone_masked": mask_phone(phone) if phone else None,
        "probation_months": PROBATION_MONTHS,
        "status": "active",
        "exit_reason": None,
        "exited_on": None,
        "floating": False,
        "lost_contact": False,
        "community_org_unit_id": None,
        "checked_in_at": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": actor,
    }


def registration_events(
    row: dict[str, Any], area_code: str, phone: str | None
) -> list[PendingEvent]:
    """`member_registered` on gr.members and the contact on gr.notify."""
    registered = MemberRegistered(
        member_id=row["id"],
        org_unit_id=row["org_unit_id"],
        stage=row["stage"],
        skills=row["skills"],
        in_service=row["in_service"],
        duties=row["duties"],
        version=1,
        occurred_at=row["created_at"],
    )
    contact = contact_upserted(
        row["id"],
        name=row["name"],
        phone=phone,
        org_unit_id=row["org_unit_id"],
        consent=row["public_name_consent"],
    )
    return [
        PendingEvent(registered, area_code, row["id"]),
        PendingEvent(contact, area_code, row["id"]),
    ]


async def register_member(
    session: AsyncSession, deps: Deps, principal: Principal, body: MemberIn
) -> dict[str, Any]:
    """Enter a member in the registry and record `member_registered` and the contact."""
    principal.require_role("cadre")
    unit = await load_unit(session, body.org_unit_id, field="org_unit_id")
    principal.require_area(unit.area_code)
    if not unit.area_code.startswith(deps.deployment_prefix):
        raise Forbidden(f"this deployment serves areas {deps.deployment_prefix}… only")
    aliases = await aliases_for(session, county_of(unit.area_code))
    values, phone, errors = prepare_member(body, aliases, clock.today())
    if errors:
        raise invalid(errors)
    member_id = str(uuid7())
    row = member_row(member_id, values, phone, deps.cipher, principal.sub)
    duplicate = await repo.member_with_id_number(session, row["id_number_hash"])
    if duplicate:
        raise Conflict(f"a member with this ID number is already registered ({duplicate})")
    await repo.add_member(session, row)
    await record_events(
        session, deps.outbox, registration_events(row, unit.area_code, phone), principal.sub
    )
    return {**row, "id_number": row["id_number_masked"], "phone": row["phone_masked"]}


async def load_member(
    session: AsyncSession, member_id: str, *, for_update: bool = False
) -> tuple[Any, str]:
    """The member row and its unit's area code; 404 when unknown."""
    row = await repo.member_with_areas(session, member_id, for_update=for_update)
    if row is None:
        raise NotFound(f"no member {member_id}")
    return row, row.unit_area


def require_reader(principal: Principal, row: Any, unit_area: str) -> None:
    """A member reads their own record; others need its unit or residence community in scope."""
    if principal.role == "member" and principal.sub == row.id:
        return
    # Dual affiliation: the community a member checked in at follows them as well (seed 004).
    community_area = getattr(row, "community_area", None)
    if community_area is None or not principal.covers(community_area):
        principal.require_area(unit_area)
    if principal.role == "member":
        raise Forbidden("a member may read only their own record")


async def get_member(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str
) -> dict[str, Any]:
    """One member, masked."""
    row, area = await load_member(session, member_id)
    require_reader(principal, row, area)
    return member_view(row)


async def list_members(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    *,
    org_unit_id: str | None,
    stage: str | None,
    skill: str | None,
    status: str,
    floating: bool | None,
    limit: int,
    after: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Members of the caller's subtree (or of one unit's subtree), ordered by id."""
    principal.require_role("viewer")
    if principal.role == "member":
        raise Forbidden("members read their own record at /v1/members/{id}")
    unit_path = None
    if org_unit_id is not None:
        unit = await load_unit(session, org_unit_id, field="org_unit")
        principal.require_area(unit.area_code)
        unit_path = unit.path
    rows = await repo.members_page(
        session,
        area_prefix=principal.area_prefix,
        status=status,
        unit_path=unit_path,
        stage=stage,
        skill=skill,
        floating=floating,
        after=after,
        limit=limit,
    )
    items = [member_view(r) for r in rows[:limit]]
    return items, items[-1]["id"] if len(rows) > limit else None


async def require_active_member(
    session: AsyncSession, principal: Principal, member_id: str, role: str
) -> tuple[Any, str]:
    """Lock an active member whose unit lies in the caller's scope, for a change."""
    principal.require_role(role)
    row, area = await load_member(session, member_id, for_update=True)
    principal.require_area(area)
    if row.status != "active":
        raise Conflict(f"the member's record is {row.status}")
    return row, area


async def save_member(session: AsyncSession, member_id: str, changes: dict[str, Any]) -> Any:
    """Apply changes, bump the version, and return the new row."""
    return await repo.save_member(session, member_id, changes)


async def update_member(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: MemberPatch
) -> dict[str, Any]:
    """Change a member's record; `member_updated` and, for contact fields, the contact."""
    row, area = await require_active_member(session, principal, member_id, "cadre")
    given = body.model_dump(exclude_unset=True)
    errors: list[dict[str, str]] = []
    changes: dict[str, Any] = {
        k: v for k, v in given.items() if k not in {"phone", "skills", "duties"}
    }
    phone = None
    if "phone" in given:
        if given["phone"]:
            try:
                phone = normalise_phone(given["phone"])
            except IdentityError as exc:
                errors.append({"field": "phone", "message": str(exc)})
            else:
                changes["phone_enc"] = deps.cipher.seal(phone, record_id=row.id, field="phone")
                changes["phone_masked"] = mask_phone(phone)
        else:
            changes["phone_enc"] = changes["phone_masked"] = None
    if given.get("skills") is not None:
        try:
            aliases = await aliases_for(session, county_of(area))
            changes["skills"] = normalise_skills(given["skills"], aliases)
        except ValueError as exc:
            errors.append({"field": "skills", "message": str(exc)})
    if given.get("duties") is not None:
        try:
            changes["duties"] = check_duties(given["duties"])
        except ValueError as exc:
            errors.append({"field": "duties", "message": str(exc)})
    if errors:
        raise invalid(errors)
    if not changes:
        return member_view(row)
    new = await save_member(session, member_id, changes)
    if "skills" in changes:
        await repo.replace_skills(session, member_id, list(new.skills))
    events = [PendingEvent(member_updated(new), area, member_id)]
    if {"name", "phone_enc", "public_name_consent"} & changes.keys():
        contact_phone = phone if "phone_enc" in changes else plain_phone(deps.cipher, new)
        events.append(
            PendingEvent(
                contact_upserted(
                    member_id,
                    name=new.name,
                    phone=contact_phone,
                    org_unit_id=new.org_unit_id,
                    consent=new.public_name_consent,
                ),
                area,
                member_id,
            )
        )
    await record_events(session, deps.outbox, events, principal.sub)
    return member_view(new)


def plain_phone(cipher: KeyRing, row: Any) -> str | None:
    """The member's phone, opened (None when none is recorded)."""
    if row.phone_enc is None:
        return None
    return cipher.open(row.phone_enc, record_id=row.id, field="phone")


async def reveal_member(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: RevealIn
) -> dict[str, Any]:
    """Unmasked ID number and phone for an org_admin, with the read recorded."""
    principal.require_role("org_admin")
    row, area = await load_member(session, member_id)
    principal.require_area(area)
    id_number = (
        deps.cipher.open(row.id_number_enc, record_id=row.id, field="id_number")
        if row.id_number_enc
        else None
    )
    await repo.add_pii_read(
        session,
        {
            "member_id": member_id,
            "reader": principal.sub,
            "reader_role": principal.role,
            "reader_org": principal.org,
            "fields": "id_number,phone",
            "reason": body.reason,
            "read_at": utcnow(),
        },
    )
    metrics.PII_READS.inc()
    return {
        "member_id": member_id,
        "id_number": id_number,
        "phone": plain_phone(deps.cipher, row),
    }


async def list_pii_reads(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    *,
    member_id: str | None,
    limit: int,
    after: int | None,
) -> tuple[list[dict[str, Any]], int | None]:
    """The audit trail of unmasked reads inside the caller's subtree."""
    principal.require_role("org_admin")
    rows = await repo.pii_reads_page(
        session, area_prefix=principal.area_prefix, member_id=member_id, after=after, limit=limit
    )
    items = rows[:limit]
    return items, items[-1]["id"] if len(rows) > limit else None


async def erase_member(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str
) -> None:
    """PIPL deletion: drop personal data, keep an anonymous row for the statistics' history."""
    principal.require_role("org_admin")
    row, area = await load_member(session, member_id, for_update=True)
    principal.require_area(area)
    if row.status == "erased":
        raise Conflict("the member's personal data is already erased")
    events = []
    if row.status == "active":
        events.append(
            PendingEvent(
                MemberExited(
                    member_id=member_id,
                    org_unit_id=row.org_unit_id,
                    reason="other",
                    version=row.version + 1,
                    occurred_at=utcnow(),
                ),
                area,
                member_id,
            )
        )
    await save_member(
        session,
        member_id,
        {
            "name": "(erased)",
            "id_number_enc": None,
            "id_number_hash": None,
            "id_number_masked": None,
            "phone_enc": None,
            "phone_masked": None,
            "work_unit": None,
            "residence_area": None,
            "status": "erased",
            "exit_reason": row.exit_reason or "other",
            "exited_on": row.exited_on or clock.today(),
        },
    )
    await repo.replace_skills(session, member_id, [])
    events.append(PendingEvent(contact_erased(member_id), area, member_id))
    await record_events(session, deps.outbox, events, principal.sub)
