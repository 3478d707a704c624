"""A wish to stop typed inside the survey ("thôi em không làm nữa đâu", teencode, no
diacritics) is read as "hủy" (its confirmation first); real answers never are: names,
communes, trades, and "không" to a yes/no question."""

from __future__ import annotations

import pytest

from bot.core.flows.survey_words import wants_to_stop
from bot.matching.matcher import Matcher

STOP = [
    "thoi e hok lam nua dau",
    "thôi em không làm nữa đâu",
    "không làm nữa",
    "ko lam nua",
    "k lam nua dau",
    "hok lam nua",
    "e hk mun lam nua",
    "thoi khong lam",
    "thôi không làm đâu",
    "dung lai",
    "dừng lại",
    "dừng khảo sát",
    "thôi",
    "thoi",
    "thui",
    "thôi ạ",
    "Thôi!",
    "em không làm khảo sát nữa",
    "ngừng khảo sát",
]
ANSWERS = [
    "không",
    "ko",
    "có",
    "không đồng ý",
    "Nguyễn Văn Thới",
    "Lê Thị Thôi",
    "Dũng",
    "Lại Văn Dũng",
    "xã Phú Thới",
    "Thới Bình",
    "điện công nghiệp",
    "hàn",
    "chưa quyết định",
    "đi làm",
    "không biết",
    "thôi e đổi ý, học nghề",
    "em không muốn làm nông",
    "trường phù hợp",
]


@pytest.mark.parametrize("text", STOP)
def test_wishes_to_stop_are_read(text: str, matcher: Matcher) -> None:
    assert wants_to_stop(matcher.normalize(text))


@pytest.mark.parametrize("text", ANSWERS)
def test_answers_are_not_a_wish_to_stop(text: str, matcher: Matcher) -> None:
    assert not wants_to_stop(matcher.normalize(text))
    assert not wants_to_stop(matcher.normalize(text), free_text=True)


def test_thoi_alone_at_a_name_or_commune_needs_its_accent(matcher: Matcher) -> None:
    # the caller passes free_text=False when "thôi" was typed with its accent
    assert not wants_to_stop(matcher.normalize("thoi"), free_text=True)
    assert wants_to_stop(matcher.normalize("ko lam nua"), free_text=True)


def test_long_messages_are_not_read_as_a_wish_to_stop(matcher: Matcher) -> None:
    text = "em thấy bạn em nói là ở trường đó học xong không làm nữa thì sao ạ"
    assert not wants_to_stop(matcher.normalize(text))
