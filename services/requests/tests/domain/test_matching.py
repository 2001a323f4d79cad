"""Ranking members for a request: fit first, then load, then closeness."""

from __future__ import annotations

from grassroots.requests.domain.matching import Candidate, rank_candidates


def member(member_id: str, skills: tuple[str, ...], load: int = 0, distance: int = 0) -> Candidate:
    return Candidate(member_id, "u", skills, (), load, distance)


def test_only_fitting_members_ranked_by_fit_load_and_closeness() -> None:
    pool = [
        member("far-free", ("维修",), load=0, distance=2),
        member("near-busy", ("维修",), load=3, distance=0),
        member("near-free", ("维修",), load=0, distance=0),
        member("two-skills", ("维修", "泥瓦"), load=5, distance=2),
        member("no-fit", ("会计",)),
    ]
    ranked = rank_candidates(pool, ["维修", "泥瓦"], "房顶漏雨")
    assert [c.member_id for c in ranked] == ["two-skills", "near-free", "far-free", "near-busy"]
    assert ranked[0].matched == ("维修", "泥瓦")


def test_the_description_can_supply_the_fit() -> None:
    ranked = rank_candidates([member("m", ("法律咨询",))], [], "邻里纠纷需要法律咨询")
    assert [c.member_id for c in ranked] == ["m"]
    assert rank_candidates([member("m", ("法律咨询",))], [], "房顶漏雨") == []
