"""The organisation tree as evaluation reads it: units with parent links, and their subtrees."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """A unit of the replicated tree, as ranking needs it."""

    id: str
    name: str
    area_code: str
    parent_id: str | None


class Tree:
    """The units under one area, with parent links."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units = {u.id: u for u in units}
        self.children: dict[str, list[str]] = defaultdict(list)
        for unit in self.units.values():
            if unit.parent_id:
                self.children[unit.parent_id].append(unit.id)
        for ids in self.children.values():
            ids.sort()

    def subtree(self, root_id: str) -> list[str]:
        """`root_id` and every unit below it."""
        out, stack, seen = [], [root_id], set()
        while stack:
            unit_id = stack.pop()
            if unit_id in seen:
                continue  # a malformed replica must not loop for ever
            seen.add(unit_id)
            out.append(unit_id)
            stack.extend(self.children.get(unit_id, ()))
        return out

    def owners(self, roots: Iterable[str]) -> dict[str, str]:
        """Every unit of the roots' subtrees mapped to its root (the first root that holds it)."""
        owner: dict[str, str] = {}
        for root in roots:
            for unit_id in self.subtree(root):
                owner.setdefault(unit_id, root)
        return owner
