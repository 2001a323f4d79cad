"""Committed JSON Schemas stay backward compatible with the models."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from grassroots.contracts.schemas import (
    check_directory,
    compatibility_problems,
    generate_schemas,
    write_directory,
)

COMMITTED = Path(__file__).parents[1] / "schemas"


def test_committed_schemas_match_the_models() -> None:
    assert COMMITTED.is_dir(), "run `make docs` to write libs/contracts/schemas"
    assert check_directory(COMMITTED) == []


def _escalated() -> dict:  # type: ignore[type-arg]
    return copy.deepcopy(generate_schemas()["gr.requests.escalated.v1"])


def test_an_unchanged_schema_is_compatible() -> None:
    assert compatibility_problems(_escalated(), _escalated()) == []


def test_a_removed_field_is_incompatible() -> None:
    old, new = _escalated(), _escalated()
    del new["properties"]["from_org_unit_id"]
    assert compatibility_problems(old, new) == ["from_org_unit_id: field removed"]


def test_a_narrowed_type_is_incompatible() -> None:
    old, new = _escalated(), _escalated()
    new["properties"]["version"] = {"type": "string"}
    problems = compatibility_problems(old, new)
    assert problems and "version: type narrowed" in problems[0]


def test_a_narrowed_enum_is_incompatible() -> None:
    old, new = _escalated(), _escalated()
    new["properties"]["cause"]["enum"] = ["manual"]
    assert any(p.startswith("cause: type narrowed") for p in compatibility_problems(old, new))


def test_an_optional_made_required_is_incompatible() -> None:
    old, new = _escalated(), _escalated()
    new["required"] = [*new["required"], "due_at"]
    assert compatibility_problems(old, new) == ["due_at: new required field"]


def test_an_added_optional_field_is_compatible() -> None:
    old, new = _escalated(), _escalated()
    new["properties"]["note"] = {"type": "string"}
    assert compatibility_problems(old, new) == []


def test_a_widened_type_is_compatible() -> None:
    old, new = _escalated(), _escalated()
    new["properties"]["version"] = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert compatibility_problems(old, new) == []


def test_the_directory_check_reports_an_incompatible_committed_change(tmp_path: Path) -> None:
    write_directory(tmp_path)
    assert check_directory(tmp_path) == []
    # Pretend the committed schema had a field the model no longer has.
    file = tmp_path / "gr.requests.escalated.v1.json"
    schema = json.loads(file.read_text())
    schema["properties"]["legacy_field"] = {"type": "string"}
    file.write_text(json.dumps(schema))
    assert check_directory(tmp_path) == ["gr.requests.escalated.v1: legacy_field: field removed"]


def test_the_committed_asyncapi_document_is_current() -> None:
    from grassroots.contracts.asyncapi import build_document

    committed = json.loads((Path(__file__).parents[3] / "docs" / "asyncapi.json").read_text())
    assert committed == json.loads(json.dumps(build_document())), "run `make docs`"
    addresses = {c["address"] for c in committed["channels"].values()}
    assert "gr.requests.v1.escalated.{pp}.{cc}.{dd}.{ttt}.{vvv}" in addresses
