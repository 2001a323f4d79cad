"""Published rankings: what a corrected version changes against the one before."""

from __future__ import annotations

from typing import Any

RANKED_FIELDS = ("rank", "score", "status", "grade")


def ranking_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What a correction changes: per unit, each of rank, score, status and grade that moved."""
    old = {i["org_unit_id"]: i for i in before["items"]}
    new = {i["org_unit_id"]: i for i in after["items"]}
    changes = []
    for unit_id in sorted(set(old) | set(new)):
        was, now = old.get(unit_id, {}), new.get(unit_id, {})
        for name in RANKED_FIELDS:
            if was.get(name) != now.get(name):
                changes.append(
                    {
                        "org_unit_id": unit_id,
                        "name": now.get("name", was.get("name")),
                        "field": name,
                        "before": was.get(name),
                        "after": now.get(name),
                    }
                )
    return changes
