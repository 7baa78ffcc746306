"""统一社会信用代码 (GB 32100-2015) with real published codes and corrupted ones."""

from __future__ import annotations

import pytest

from shiji.core.errors import Invalid
from shiji.outreach import uscc

# Codes printed on business licences and in annual reports (and the example
# of the standard itself); each passes both check characters.
REAL = [
    "91350100M000100Y43",  # the example of GB 32100-2015
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "91110000710925462X",  # 中国石油天然气股份有限公司
    "91110108551385082Q",  # 北京小米科技有限责任公司
]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert uscc.is_valid(code)
    assert uscc.clean_credit_code(code) == code


def test_the_check_characters_are_computed_by_the_standards_weights():
    assert uscc.WEIGHTS[:6] == (1, 3, 9, 27, 19, 26)
    assert uscc.check_char("91350100M000100Y4") == "3"
    assert uscc.org_check_char("M000100Y") == "4"
    assert uscc.org_check_char("71092546") == "2"


def test_typed_input_is_normalized():
    # Full-width characters, lower case, spaces and hyphens from a printout.
    assert uscc.clean_credit_code(" ９１３５０１００ｍ０００１００ｙ４３ ") == "91350100M000100Y43"
    assert uscc.clean_credit_code("9144-0300-7084-6113-6t") == "91440300708461136T"


def message(value) -> str:
    with pytest.raises(Invalid) as caught:
        uscc.clean_credit_code(value)
    return caught.value.fields["credit_code"]


def test_empty_is_asked_for():
    assert message("") == "请填写统一社会信用代码"
    assert message(None) == "请填写统一社会信用代码"


def test_wrong_length_says_how_many_characters_were_given():
    assert "应为 18 位，现在是 17 位" in message("91350100M000100Y4")
    assert "现在是 19 位" in message("91350100M000100Y433")


def test_letters_that_look_like_digits_are_named():
    assert "不能有字母“O”" in message("91350100M0O0100Y43")
    assert "不能有字母“I”" in message("9135010OM000100YI3".replace("O", "0"))


def test_other_characters_are_refused():
    assert "“#”不允许" in message("91350100M000100Y4#")
    assert "不允许" in message("91350100M000100Y4\x00")
    assert "不允许" in message("91350100M000100Y4中")


@pytest.mark.parametrize("code", REAL)
def test_every_single_character_typo_is_caught(code):
    # Changing any one character to any other of the alphabet makes a code
    # that is refused: the mod-31 check character guarantees it.
    for i in range(18):
        for c in uscc.ALPHABET:
            if c != code[i]:
                assert not uscc.is_valid(code[:i] + c + code[i + 1 :]), (i, c)


def test_swapped_neighbours_are_caught():
    code = "914403001922038216"
    for i in range(17):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            assert not uscc.is_valid(swapped), i


def test_wrong_final_check_character_is_named():
    assert "校验码（第 18 位）不正确" in message("91350100M000100Y44")


def test_wrong_organization_code_check_is_named():
    # The final character recomputed so that only the org code's own check fails.
    body = "91350100M000100Y5"
    code = body + uscc.check_char(body)
    assert "组织机构代码" in message(code)


def test_authority_type_and_region_are_checked():
    def with_check(first17: str) -> str:
        return first17 + uscc.check_char(first17)

    assert "登记管理部门代码" in message(with_check("B1350100M000100Y4"))
    assert "机构类别代码" in message(with_check("90350100M000100Y4"))
    assert "行政区划码" in message(with_check("91990100M000100Y4"))
    assert "行政区划码" in message(with_check("9135A100M000100Y4"))
