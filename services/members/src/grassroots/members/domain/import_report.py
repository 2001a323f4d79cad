"""The reports of an import (members or organisation units): what was read, taken, refused."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class RowError(BaseModel):
    """What is wrong in one cell: the field, the column as the file called it, and why."""

    field: str
    column: str
    message: str
    message_zh: str


class ImportRejection(BaseModel):
    """A rejected row: its 1-based data row number and what was wrong."""

    row: int
    errors: list[RowError]


class AcceptedRow(BaseModel):
    """An accepted row and what was understood of it (personal data left out)."""

    row: int
    member_id: str
    action: str
    values: dict[str, Any]


class ImportResult(BaseModel):
    """Answer of `POST /v1/members/import` (the same with `dry_run=true`, nothing written)."""

    dry_run: bool = False
    rows_read: int = 0
    accepted: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[ImportRejection] = []
    columns: dict[str, str] = {}
    ignored_columns: list[str] = []
    preview: list[AcceptedRow] = []


class CreatedUnit(BaseModel):
    """A unit the import created."""

    row: int
    id: str
    name: str
    area_code: str
    parent_id: str | None


class OrgImportResult(BaseModel):
    """Answer of `POST /v1/org-units/import`."""

    dry_run: bool
    rows_read: int
    created: int
    rejected: list[ImportRejection]
    units: list[CreatedUnit]
