"""Every event a test writes to an outbox is checked against its committed JSON Schema."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import grassroots.contracts
from grassroots.contracts.envelope import CloudEvent

COMMITTED_SCHEMAS = Path(grassroots.contracts.__file__).resolve().parents[3] / "schemas"


@cache
def _validator(schema_json: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_json)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def _committed(event_type: str) -> str | None:
    path = COMMITTED_SCHEMAS / f"{event_type}.json"
    return path.read_text() if path.exists() else None


@cache
def _envelope() -> Any:
    # Built once: generating the envelope's schema per event slowed bulk writes in tests.
    return _validator(json.dumps(CloudEvent.model_json_schema(mode="serialization")))


def violations(payload: bytes) -> list[str]:
    """What is wrong with one outbox payload: its envelope, its type's schema, its formats."""
    envelope = json.loads(payload)
    event_type = envelope.get("type", "?")
    found = [
        f"{event_type}: envelope {'/'.join(map(str, e.absolute_path)) or '.'}: {e.message}"
        for e in _envelope().iter_errors(envelope)
    ]
    schema = _committed(event_type)
    if schema is None:
        return [*found, f"{event_type}: no committed schema in {COMMITTED_SCHEMAS}"]
    found += [
        f"{event_type}: data {'/'.join(map(str, e.absolute_path)) or '.'}: {e.message}"
        for e in _validator(schema).iter_errors(envelope.get("data"))
    ]
    return found
