"""The org tree as evaluation reads it."""

from __future__ import annotations

from grassroots.evaluation.domain.tree import Tree, Unit

UNITS = [
    Unit("county", "县", "230321000000", None),
    Unit("town-a", "甲镇", "230321100000", "county"),
    Unit("town-b", "乙镇", "230321102000", "county"),
    Unit("village", "村", "230321100201", "town-a"),
]


def test_a_subtree_holds_its_root_and_everything_below() -> None:
    tree = Tree(UNITS)
    assert sorted(tree.subtree("county")) == ["county", "town-a", "town-b", "village"]
    assert sorted(tree.subtree("town-a")) == ["town-a", "village"]
    assert tree.children["county"] == ["town-a", "town-b"]


def test_each_unit_belongs_to_the_first_root_that_holds_it() -> None:
    owner = Tree(UNITS).owners(["town-a", "county"])
    assert owner == {
        "town-a": "town-a",
        "village": "town-a",
        "county": "county",
        "town-b": "county",
    }


def test_a_malformed_replica_with_a_cycle_does_not_loop() -> None:
    tree = Tree([Unit("a", "a", "230321100000", "b"), Unit("b", "b", "230321102000", "a")])
    assert sorted(tree.subtree("a")) == ["a", "b"]
