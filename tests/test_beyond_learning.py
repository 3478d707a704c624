"""Military service and licences to practise are the bot's only for learners: a question that
names no learning gets the pointer, not the deferral of students or the nursing licence
(bot/matching/beyond.py, outside_learning)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.core.engine import Engine
from bot.matching.beyond import LEARNING, SUBJECTS, outside_learning
from bot.matching.matcher import Matcher
from bot.matching.normalize import fold

MILITARY, LICENCES = SUBJECTS


def test_subjects_without_learning_are_read() -> None:
    assert outside_learning(fold("Con một có phải đi nghĩa vụ quân sự không?")) == (
        "nghia_vu_khac",
        "nghia vu quan su",
    )
    assert outside_learning(fold("bị cận 5 độ có phải đi bộ đội ko")) == (
        "nghia_vu_khac",
        "di bo doi",
    )
    assert outside_learning(fold("Giấy phép hành nghề luật sư cấp ở đâu?")) == (
        "chung_chi_hanh_nghe_khac",
        "giay phep hanh nghe",
    )
    assert outside_learning(fold("cchn môi giới bất động sản thi ở đâu")) == (
        "chung_chi_hanh_nghe_khac",
        "cchn",
    )


def test_learning_or_a_bot_trade_keeps_the_question() -> None:
    for text in (
        "đang học trung cấp có được miễn nghĩa vụ quân sự không",
        "sinh viên năm 2 có bị gọi nhập ngũ không",
        "đi học nghề có phải đi nghĩa vụ không",
        "hoàn thành nghĩa vụ quân sự về được hỗ trợ gì",  # discharged soldiers: their support
        "con tôi vừa xuất ngũ, nghĩa vụ quân sự xong thì được gì",
        "giấy phép hành nghề điều dưỡng cần thực hành bao lâu",  # the nursing licence
        "chứng chỉ hành nghề là gì",  # no profession named: the usual match decides
        "học xây dựng ra có cần chứng chỉ hành nghề không",
    ):
        assert outside_learning(fold(text)) is None, text


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=60),
    st.sampled_from(MILITARY.words + LICENCES.words),
    st.sampled_from(LICENCES.needs),
    st.sampled_from(LEARNING),
    st.text(max_size=60),
)
def test_a_learning_word_always_wins(
    before: str, words: str, profession: str, learning: str, after: str
) -> None:
    text = fold(f"{before} {words} {profession} {after} {learning}")
    assert outside_learning(text) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_read_without_error(text: str) -> None:
    found = outside_learning(fold(text))
    assert found is None or found[0] in {s.topic for s in SUBJECTS}


def test_no_answer_written_for_these_subjects_is_read_as_outside(catalog: Catalog) -> None:
    # every phrasing of the bot's own answers names a learner, so the rule never takes one away
    for faq in catalog.faq.values():
        for text in (faq.question, *faq.phrasings):
            assert outside_learning(fold(text)) is None, (faq.id, text)


def test_the_topics_exist_with_a_pointer(catalog: Catalog) -> None:
    for subject in SUBJECTS:
        topic = catalog.out_of_scope[subject.topic]
        assert topic.answer, subject.topic


def test_the_matcher_declines_them(matcher: Matcher) -> None:
    assert matcher.beyond("mồ côi từ nhỏ có được miễn nghĩa vụ quân sự không") == "nghia_vu_khac"
    assert matcher.match("mồ côi từ nhỏ có được miễn nghĩa vụ quân sự không") is None
    assert matcher.match("chứng chỉ hành nghề dược sĩ cần mấy năm thực hành") is None


def test_the_pointer_says_where_to_ask(engine: Engine) -> None:
    out = engine.ask("Bị hen suyễn nặng có được miễn nghĩa vụ quân sự không?")
    assert not out.matched and "Ban Chỉ huy quân sự" in out.answer
    assert "Đang học nghề có được tạm hoãn nghĩa vụ quân sự?" in out.suggestions
    out = engine.ask("Giấy phép hành nghề luật sư cấp ở đâu?")
    assert not out.matched and "Sở Tư pháp" in out.answer
    # a learner's question still gets the bot's answer
    out = engine.ask("đang học cao đẳng có được tạm hoãn nghĩa vụ quân sự không")
    assert out.matched and out.id == "faq:nvqs_tam_hoan"
