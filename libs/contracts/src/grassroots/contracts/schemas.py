"""JSON Schemas of the event models, and the backward-compatibility check against committed ones."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from grassroots.contracts.events import REGISTRY

Schema = dict[str, Any]


def generate_schemas() -> dict[str, Schema]:
    """JSON Schema of every registered event type's data, keyed by CloudEvents type."""
    return {
        event_type: model.model_json_schema(mode="serialization")
        for event_type, model in sorted(REGISTRY.items())
    }


def _resolve(schema: Schema, root: Schema) -> Schema:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return schema


def _accepted_values(schema: Schema, root: Schema) -> tuple[set[str], set[Any] | None]:
    """The JSON types a schema admits, and its enum/const values (None when unconstrained)."""
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        types: set[str] = set()
        values: set[Any] | None = set()
        for option in schema["anyOf"]:
            t, v = _accepted_values(option, root)
            types |= t
            values = None if values is None or v is None else values | v
        return types, values
    if "const" in schema:
        return {_json_type(schema["const"])}, {schema["const"]}
    if "enum" in schema:
        return {_json_type(v) for v in schema["enum"]}, set(schema["enum"])
    declared = schema.get("type")
    if declared is None:
        return {"any"}, None
    types = set(declared) if isinstance(declared, list) else {declared}
    if "integer" in types:
        types.add("integer")
    return types, None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _narrowed(old: Schema, new: Schema, old_root: Schema, new_root: Schema) -> str | None:
    old_types, old_values = _accepted_values(old, old_root)
    new_types, new_values = _accepted_values(new, new_root)
    if "any" in new_types:
        return None
    widened = new_types | ({"number"} if "integer" in new_types else set())
    if "number" in new_types:
        widened.add("integer")
    lost = old_types - widened
    if lost:
        return f"no longer accepts {sorted(lost)}"
    if new_values is not None and (old_values is None or not old_values <= new_values):
        missing = "values" if old_values is None else sorted(map(str, old_values - new_values))
        return f"no longer accepts {missing}"
    return None


def compatibility_problems(old: Schema, new: Schema, path: str = "") -> list[str]:
    """Ways `new` breaks users of `old`: a removed field, a narrowed type, a new required field."""
    problems: list[str] = []
    old_props: dict[str, Schema] = old.get("properties", {})
    new_props: dict[str, Schema] = new.get("properties", {})
    for name, old_field in old_props.items():
        where = f"{path}{name}"
        if name not in new_props:
            problems.append(f"{where}: field removed")
            continue
        narrowed = _narrowed(old_field, new_props[name], old, new)
        if narrowed:
            problems.append(f"{where}: type narrowed ({narrowed})")
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"{path}{name}: new required field")
    return problems


def check_directory(directory: Path) -> list[str]:
    """Compare every committed schema in `directory` with the current models."""
    current = generate_schemas()
    problems: list[str] = []
    for file in sorted(directory.glob("*.json")):
        event_type = file.stem
        if event_type not in current:
            problems.append(f"{event_type}: event type removed")
            continue
        old = json.loads(file.read_text())
        problems += [f"{event_type}: {p}" for p in compatibility_problems(old, current[event_type])]
    missing = sorted(set(current) - {f.stem for f in directory.glob("*.json")})
    problems += [f"{t}: schema not committed (run `make docs`)" for t in missing]
    return problems


def write_directory(directory: Path) -> None:
    """Write the current schemas, one file per event type."""
    directory.mkdir(parents=True, exist_ok=True)
    for event_type, schema in generate_schemas().items():
        text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        (directory / f"{event_type}.json").write_text(text)


def main(argv: list[str] | None = None) -> int:
    """`write DIR` regenerates the committed schemas; `check DIR` reports incompatibilities."""
    parser = argparse.ArgumentParser(prog="python -m grassroots.contracts.schemas")
    parser.add_argument("action", choices=["write", "check"])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    if args.action == "write":
        write_directory(args.directory)
        return 0
    problems = check_directory(args.directory)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
