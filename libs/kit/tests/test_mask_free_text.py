"""Free text is masked before it leaves a service on a public event."""

from __future__ import annotations

from grassroots.kit.masking import mask_free_text


def test_names_numbers_and_addresses_are_masked() -> None:
    text = "我是张三，电话13812345678，身份证23032119800101123X，邮箱zs@example.com，3号楼漏水5天"
    masked = mask_free_text(text, names=["张三", None])
    assert "张三" not in masked and "张*" in masked
    assert "13812345678" not in masked and "*" * 11 in masked
    assert "23032119800101123X" not in masked
    assert "zs@example.com" not in masked
    # Short numbers say what the problem is and stay.
    assert "3号楼漏水5天" in masked


def test_a_landline_with_separators_is_masked() -> None:
    assert mask_free_text("请回电 0451-8888 6666") == "请回电 " + "*" * 14
