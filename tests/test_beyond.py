"""University and study-abroad questions get a pointer, not a vocational answer, unless they
name a vocational level (bot/matching/beyond.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.matching.beyond import ABROAD, TEACHING, UNIVERSITY, VOCATIONAL, beyond_scope
from bot.matching.matcher import Matcher
from bot.matching.normalize import fold


def test_university_and_abroad_words_are_read() -> None:
    assert beyond_scope(fold("hoc thac si quan tri kinh doanh mat may nam")) == (
        "dai_hoc",
        "thac si",
    )
    assert beyond_scope(fold("Học bổng du học Úc toàn phần")) == ("du_hoc", "du hoc")
    assert beyond_scope(fold("điểm chuẩn ngành điều dưỡng")) == ("dai_hoc", "diem chuan")
    assert beyond_scope(fold("nganh Sư phạm toán co nhom nganh la gi")) == ("su_pham", "su pham")


def test_a_vocational_level_keeps_the_question() -> None:
    for text in (
        "học trung cấp xong có học thạc sĩ được không",
        "cao đẳng điểm chuẩn bao nhiêu",
        "đi du học nghề ở Đức hay xuất khẩu lao động",
        "học nghề xong liên thông lên đại học công lập được không",
    ):
        assert beyond_scope(fold(text)) is None, text


def test_words_vocational_questions_also_use_are_not_read() -> None:
    # vocational schools admit by school records and license nurses by a test of competence;
    # "công nghệ cao học ở đâu" is high-tech farming, not a master's degree
    for text in (
        "xét học bạ cần điểm bao nhiêu",
        "kỳ kiểm tra đánh giá năng lực hành nghề điều dưỡng",
        "nông nghiệp công nghệ cao học ở đâu",
        "cho em hỏi học phí",
    ):
        assert beyond_scope(fold(text)) is None, text
    assert beyond_scope(fold("học cao học mất mấy năm")) == ("dai_hoc", "hoc cao hoc")


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=60),
    st.sampled_from(UNIVERSITY + ABROAD + TEACHING),
    st.sampled_from(VOCATIONAL),
    st.text(max_size=60),
)
def test_a_vocational_word_always_wins(
    before: str, beyond: str, vocational: str, after: str
) -> None:
    assert beyond_scope(fold(f"{before} {beyond} {after} {vocational}")) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_read_without_error(text: str) -> None:
    found = beyond_scope(fold(text))
    assert found is None or found[0] in ("dai_hoc", "du_hoc", "su_pham", "ho_tro_pho_thong")


def test_the_matcher_declines_them(matcher: Matcher) -> None:
    assert matcher.beyond("học thạc sĩ ở đâu") == "dai_hoc"
    assert matcher.match("hoc thac si quan tri kinh doanh mat may nam") is None
    assert matcher.match("Trường đại học tư thục học phí bao nhiêu một năm?") is None


def test_the_pointer_says_where_to_ask(engine: Engine) -> None:
    out = engine.ask("Học bổng du học Úc toàn phần xin thế nào?")
    assert not out.matched and "du học" in out.answer
    assert "Đi làm nước ngoài cần học nghề, ngoại ngữ gì?" in out.suggestions
    out = engine.ask("Học thạc sĩ quản trị kinh doanh mất mấy năm?")
    assert not out.matched and "thạc sĩ" in out.answer


def test_teacher_training_gets_its_own_pointer_not_a_trade(engine: Engine) -> None:
    # a real reader's letter (tests/eval/real_dev.yaml) got the beauty trade's card for the
    # weekend make-up work it mentions
    out = engine.ask(
        "Gần nhà có lớp học hệ thường xuyên ngành sư phạm mầm non, tôi phân vân có nên học thêm "
        "mầm non để có nghề ổn định không. Thậm chí nếu đi dạy mầm non, cuối tuần vẫn có thể "
        "đi trang điểm thêm."
    )
    assert not out.matched and "sư phạm" in out.answer and "trang điểm" not in out.answer
    # a teacher-training college named with its level stays the bot's (the way to a level)
    assert beyond_scope(fold("cao đẳng sư phạm có được miễn học phí không")) is None


def test_a_named_university_and_its_admission_are_beyond() -> None:
    assert beyond_scope(fold("hạn nộp hồ sơ ứng tuyển đại học công nghệ là khi nào")) == (
        "dai_hoc",
        "ung tuyen dai hoc",
    )
    # the way from a vocational level to university stays the bot's
    assert beyond_scope(fold("học trung cấp xong xét tuyển đại học bách khoa được không")) is None


def test_a_pupils_scholarship_or_meals_are_beyond_but_not_school_fees() -> None:
    asked = "Học sinh trường THPT chuyên có được xét cấp học bổng khuyến khích không?"
    assert beyond_scope(fold(asked)) == ("ho_tro_pho_thong", "truong thpt")
    for text in (
        "học phí trường THPT công lập có được miễn không",  # public THPT against trung cấp
        "học sinh THPT đi học nghề có được học bổng không",  # a vocational path named
        "học bổng học nghề cho người dân tộc",
    ):
        assert beyond_scope(fold(text)) is None, text


def test_the_matcher_declines_a_pupils_scholarship(engine: Engine) -> None:
    # written out: the normalizer reads "trung học phổ thông" as "thpt"
    out = engine.ask(
        "Học sinh trường trung học phổ thông chuyên có được học bổng khuyến khích không?"
    )
    assert not out.matched and "học sinh phổ thông" in out.answer
