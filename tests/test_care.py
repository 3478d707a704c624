"""The care detector (bot/matching/care.py) and the care answer in the engine."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.catalog import Catalog
from bot.catalog.models import Safety
from bot.catalog.text_keys import T
from bot.core.care import care_text
from bot.core.engine import Engine
from bot.core.messages import Inbound, Reply
from bot.matching.care import CareDetector
from bot.matching.care_patterns import Token, marks_of, parse_pattern, pattern_word, tokenize
from tests.conftest import CONTENT

# the three messages of the issue, which used to get the generic fallback
ISSUE = [
    ("e đang đứng trên sân thượng trường, ko bít có nên nhảy xuống ko", "suicide"),
    ("bo e danh e vi diem kem", "abuse"),
    ("e muon bien mat khoi the gioi nay", "suicide"),
]

# written for these tests, the way students type: diacritics or not, teencode, typos, mixed
# into a study question; a parent or a friend writing about a child
CARE = [
    "e ko muon song nua",
    "tui tinh tu tu",
    "mk muon tu sat",
    "Con muốn chết",
    "chết đi cho xong, sống khổ quá",
    "e da tich du thuoc ngu roi",
    "e ko thay ly do gi de co gang nua",
    "e lai rach tay r",
    "e lấy dao khứa tay",
    "e hay đập đầu vào tường mỗi khi bị chửi",
    "bố e say rượu về là đánh cả nhà",
    "mẹ kế bắt e làm hết việc nhà rồi đánh e",
    "hôm qua e bị mẹ tát vì làm vỡ bát",
    "e bị bố nhốt trong nhà vệ sinh cả đêm",
    "cô giáo đánh e bằng thước kẻ vì ko thuộc bài",
    "thay bat ca lop tat nhau, e bi tat den do mat",
    "tụi nó bắt e quỳ xuống xin lỗi rồi quay video",
    "cả lớp cô lập e",
    # a reviewer's miss (2026-12-02): giving everything up, in teencode
    "ns thiet e met qua muon buong bo het",
    "em muốn buông xuôi tất cả",
    # a reviewer's miss: the pattern's gap was three words
    "e bi ban be trong truong bat nat moi ngay",
    "bị mấy đứa lớp trên chặn đường đánh",
    "có người dọa tung ảnh của e nếu ko gửi thêm",
    "ny cu bao neu e ko quay lai se gui anh cho bo me e",
    "chú e hay sờ ngực e",
    "co 1 acc la nhan tin bat e video call ko mac ao",
    "e thấy mình vô dụng, chẳng làm được gì, ko ai cần e",
    "moi thu deu vo vong, e met moi lam roi",
    "e áp lực đến mức ko ngủ được, lúc nào cũng muốn khóc",
    "thi trượt e sợ bố đánh chết, e ko dám về",
    "e bị đuổi khỏi nhà, giờ ko biết đi đâu",
    "bố mẹ bỏ e ở nhà 1 mình cả tuần, ko có gì ăn",
    "e hoc lop 9, bo e danh e vi diem kem, h e nen hoc nghe hay thpt",
    "co truong nghe nao co ky tuc xa ko a, e ko o nha dc nua, ba duong ngay nao cung danh e",
    "Con tôi bị thầy giáo đánh bầm tím người, tôi phải làm sao",
    "bạn em nói nó muốn tự tử, em phải làm sao",
    "BỐ ĐÁNH EM",
    "e muốn chếttttt",
]

# ordinary questions, many merely mentioning such words, or exaggerating as teenagers do
ORDINARY = [
    # giving up a trade or school is not giving up on life
    "em muốn buông bỏ nghề cơ khí để học nấu ăn",
    "con tôi muốn buông xuôi hết việc học, có nên cho đi học nghề không",
    "giúp trẻ em bị bạo hành thì học ngành gì",
    "ngành tâm lý chữa trầm cảm",
    "thi khó chết mất",
    "cười chết mất",
    "học hóa chán muốn chết",
    "đói muốn chết, trường có căng tin ko",
    "đề thi khó chết đi được",
    "nghề bác sĩ tâm lý có giúp người muốn tự tử không",
    "thuyết trình về bạo lực học đường",
    "phòng chống xâm hại trẻ em học ở đâu",
    "học nghề bảo vệ có phải đánh nhau không",
    "đi xuất khẩu lao động có bị đánh đập không",
    "học nấu ăn có hay bị đứt tay không",
    "học nghề cắt tóc có khó không",
    "cô giáo đánh giá em học khá",
    "bố em đã đồng ý cho em học nghề",
    "không muốn sống ở thành phố thì học nghề gì",
    "em không muốn sống xa nhà",
    "cách học từ từ mà hiệu quả",
    "trường bắt em gửi ảnh 3x4 vào hồ sơ",
    "vận động viên nhảy cầu học trường nào",
    "nghề lính cứu hỏa có phải nhảy từ trên cao xuống không",
    "em bị khuyết tật tay có học nghề được không",
    "ngày hội tư vấn tuyển sinh ở đâu",
    "e 18 tuoi, co dc hoan di bo doi de hoc cho xong ko",
    "em ko dám nói với bố mẹ là em muốn học nghề",
    "e bi me tich thu dien thoai 1 tuan vi diem kem huhu, muon hoc tin hoc thi hoc o dau",
    "mẹ tắt wifi không cho em chơi game",
    "học phí là gánh nặng cho gia đình em",
]


@pytest.fixture(scope="module")
def detector(catalog: Catalog) -> CareDetector:
    return CareDetector(catalog.safety)


@pytest.mark.parametrize(("text", "kind"), ISSUE)
def test_the_issue_messages_get_care(detector: CareDetector, text: str, kind: str) -> None:
    hit = detector.detect(text)
    assert hit is not None and hit.kind == kind
    assert hit.score >= detector.threshold and hit.evidence


@pytest.mark.parametrize("text", CARE)
def test_distress_as_teenagers_write_it(detector: CareDetector, text: str) -> None:
    assert detector.detect(text) is not None


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_do_not(detector: CareDetector, text: str) -> None:
    assert detector.detect(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "em không muốn chết đâu, em chỉ hỏi học nghề gì",
        "bố em chưa bao giờ đánh em",
        "em không hề bị bắt nạt",
        "e ko co y dinh tu tu, chi hoi thoi",
    ],
)
def test_a_negation_cancels_the_signal_after_it(detector: CareDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_hyperbole_and_laughter(detector: CareDetector) -> None:
    assert detector.detect("mệt muốn chết") is None
    assert detector.detect("muốn chết") is not None  # the same words alone are not a joke
    assert detector.detect("me ma biet e truot hsg chac me giet e lun =))") is None
    # laughter never hides an explicit statement
    assert detector.detect("e muon tu tu =))") is not None


def test_mention_of_a_topic_is_not_an_event(detector: CareDetector) -> None:
    assert detector.detect("ngành luật có bảo vệ trẻ em bị xâm hại không") is None
    assert detector.detect("con tôi bị xâm hại") is not None


def test_facets_of_the_writers_state_add_up(detector: CareDetector) -> None:
    # no single phrase says it; sadness, withdrawal and duration together do
    hit = detector.detect("dạo này e buồn lắm, chẳng muốn nói chuyện với ai, chỉ muốn ở một mình")
    assert hit is not None and any(e.startswith("facets:") for e in hit.evidence)
    # one facet, or minor ones only, is an everyday complaint
    assert detector.detect("e buồn ghê, hôm nay thi ko tốt") is None
    assert detector.detect("mẹ e mắng e suốt vì chơi điện thoại") is None
    # the same facets, not about the writer: a question about an illness
    assert detector.detect("biểu hiện của trầm cảm là buồn, mất ngủ, cô đơn phải không") is None


def test_a_study_question_needs_more_evidence(detector: CareDetector) -> None:
    assert detector.detect("e thấy mình vô dụng, chẳng làm được gì") is not None
    assert detector.detect("e thấy mình vô dụng môn toán, học nghề gì không cần toán") is None
    # an explicit statement is heard inside a study question
    assert detector.detect("bo e danh e vi diem kem, h e nen hoc nghe gi") is not None


def test_a_story_or_an_essay_is_a_topic(detector: CareDetector) -> None:
    assert detector.detect("đọc truyện thấy nhân vật bị bố đánh, thương quá") is None
    assert detector.detect("bài tập nhóm chủ đề tự tử ở học sinh") is None


def test_typed_diacritics_are_evidence(detector: CareDetector) -> None:
    # "tu tu" may be "tự tử" or "từ từ" (slowly); typed marks decide
    assert detector.detect("em định tự tử") is not None
    assert detector.detect("em dinh tu tu") is not None
    assert detector.detect("em định từ từ") is None
    # "tat" may be "tát" (slap) or "tắt" (turn off)
    assert detector.detect("cô giáo tát em") is not None
    assert detector.detect("cô giáo tắt em") is None
    tat = pattern_word("tát")
    assert tat.fits(Token("tat", None))  # typed without marks: either word
    assert tat.fits(Token("tat", marks_of("tat́")))  # a mark the word has
    assert not tat.fits(Token("tat", marks_of("tắt")))  # a mark it lacks: another word


def test_tokens_fold_expand_and_stop_at_punctuation(detector: CareDetector) -> None:
    texts = [t.text for t in detector.tokens("E 15t, ko bít!!")]
    assert texts == ["em", "15", "tuoi", "|", "khong", "biet", "|"]
    assert tokenize("", {}) == []


async def test_care_outside_a_survey_offers_the_menu(engine: Engine) -> None:
    replies = await engine.handle(Inbound("test", "u1", text=ISSUE[2][0]))
    assert len(replies) == 1
    text = replies[0].text
    for part in ("111", "113", "115", "Tổng đài quốc gia bảo vệ trẻ em", "người lớn"):
        assert part in text
    assert [b.payload for b in replies[0].buttons] == ["home"]


async def test_care_in_a_survey_pauses_it_and_continue_resumes(engine: Engine) -> None:
    async def say(text: str) -> list[Reply]:
        return await engine.handle(Inbound("test", "u2", text=text))

    await say("khao sat")
    assert "bạn dự định thế nào?" in (await say("1"))[-1].text
    replies = await say(ISSUE[1][0])
    assert "111" in replies[0].text and "Không ai được phép làm bạn đau" in replies[0].text
    assert [b.payload for b in replies[0].buttons] == ["sv:resume", "home"]
    # a long message still gets care, before its length is judged
    assert "111" in (await say("e muốn chết. " + "a" * 2000))[0].text
    assert "bạn dự định thế nào?" in (await say("tiếp tục"))[-1].text


def test_ask_answers_with_care(engine: Engine) -> None:
    result = engine.ask(ISSUE[0][0])
    assert not result.matched and "111" in result.answer and "Mình rất lo" in result.answer


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=16384))
def test_never_raises_on_arbitrary_unicode(detector: CareDetector, text: str) -> None:
    hit = detector.detect(text)
    assert hit is None or bool(hit.evidence)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.sampled_from(["bố", "đánh", "em", "không", "chết", "muốn", "bị", ",", " ", "=))", "*"]),
        max_size=3000,
    )
)
def test_never_raises_on_hostile_word_soup(detector: CareDetector, words: list[str]) -> None:
    detector.detect(" ".join(words))


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("* muốn chết", "cannot start with a gap"),
        ("muốn chết *", "cannot end with a gap"),
        ("muốn * * chết", "two gaps in a row"),
        ("muốn *9 chết", "gap '*9'"),
        ("<nobody> chết", "unknown class <nobody>"),
        ("(muốn|) chết", "empty alternative"),
        ("(muốn chết", "'(' without ')'"),
        ("muốn 3x4", "not one word"),
        ("có phải +9 không", "gap '+9'"),
    ],
)
def test_bad_patterns_are_rejected(pattern: str, error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        parse_pattern(pattern, {"self": ["em"]})


def test_only_plus_gaps_cross_punctuation() -> None:
    from bot.matching.care_patterns import match_at

    tokens = tokenize("có phải phá cửa, nhảy xuống không", {"ko": "khong"}, frozenset({"khong"}))
    assert match_at(parse_pattern("có phải +8 không", {}), tokens, 0) is not None
    assert match_at(parse_pattern("có phải *8 không", {}), tokens, 0) is None
    # neither kind crosses a negation
    tokens = tokenize("bố không đánh em", {}, frozenset({"khong"}))
    assert match_at(parse_pattern("bố +3 đánh em", {}), tokens, 0) is None


def test_safety_model_checks_class_references(catalog: Catalog) -> None:
    raw = catalog.safety.model_dump()
    raw["signals"][0]["patterns"].append("<nobody> chết")
    with pytest.raises(ValidationError, match="unknown class <nobody>"):
        Safety.model_validate(raw)


def test_content_check_rejects_a_broken_safety_file(tmp_path: Path) -> None:
    from bot.catalog.check import check_directory

    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    path = target / "safety.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["signals"][0]["patterns"].append("(muốn chết")
    data["threshold"] = 0
    data["examples"]["not_care"].append("muốn chết")
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems = [str(p) for p in check_directory(target)]
    assert any(p.startswith("safety.yaml:-.threshold:") for p in problems), problems
    broken = [p for p in problems if p.startswith("safety.yaml:-.signals.0.patterns:")]
    assert broken and "'(' without ')'" in broken[0], problems
    # examples are checked once the file loads
    data["signals"][0]["patterns"].pop()
    data["threshold"] = 3
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems = [str(p) for p in check_directory(target)]
    assert any(p.startswith("safety.yaml:examples.not_care[") for p in problems), problems


@pytest.mark.parametrize(
    ("marks", "kind"),
    [
        ("😭😭😭", "depression"),
        ("😭😭😭💔🔪", "self_harm"),
        ("🔪🩸😵", "self_harm"),
        ("💊💊💊😴", "self_harm"),
        ("☠️", "self_harm"),
        ("💔 . . .", "depression"),
    ],
)
def test_marks_alone_are_heard(detector: CareDetector, marks: str, kind: str) -> None:
    hit = detector.detect(marks)
    assert hit is not None and hit.kind == kind


@pytest.mark.parametrize("marks", ["😂😂", "👍", "🙂🙂", "...", "???", "🎉🔥"])
def test_other_marks_alone_are_not(detector: CareDetector, marks: str) -> None:
    assert detector.detect(marks) is None


async def test_crying_marks_get_care_not_the_no_text_note(engine: Engine) -> None:
    [reply] = await engine.handle(Inbound("test", "u3", text="😭😭😭"))
    assert "111" in reply.text and "chỉ hiểu chữ" not in reply.text
    [reply] = await engine.handle(Inbound("test", "u3", text="👍"))
    assert "111" not in reply.text


def test_a_long_outpouring_is_heard(detector: CareDetector) -> None:
    """Longer than any training message, the model's features are diluted: the patterns decide."""
    day = " ".join(["hom nay e di hoc ve, troi mua, e an com roi lam bai tap"] * 20)
    assert len(day) > 1000
    assert detector.detect(day) is None
    for text in (f"e muon chet {day}", f"{day} e muon chet"):
        hit = detector.detect(text)
        assert hit is not None and hit.kind == "suicide"
    essay = "Nhà trường tổ chức ngày hội tư vấn hướng nghiệp cho học sinh lớp 9 và lớp 12. " * 8
    assert detector.detect(essay) is None


@pytest.mark.parametrize(
    "text",
    [
        "e vua bi nguoi ta dam, dang chay mau",
        "e đang đứng trên sân thượng trường, ko bít có nên nhảy xuống ko",
        "e vua uong het ca vi thuoc ngu",
    ],
)
async def test_danger_happening_now_opens_with_115_and_113(engine: Engine, text: str) -> None:
    replies = await engine.handle(Inbound("test", "now", text=text))
    assert replies[0].text.startswith(engine.catalog.text(T.CARE_NOW)), replies[0].text
    assert "111" in replies[0].text
    # said once, at the top: not again in the help lines
    assert replies[0].text.count("113") == 1 and replies[0].text.count("115") == 1


async def test_distress_not_happening_now_opens_with_care(engine: Engine) -> None:
    replies = await engine.handle(Inbound("test", "later", text="e muon chet"))
    assert replies[0].text.startswith(engine.catalog.text(T.CARE_SELF))
    assert engine.catalog.text(T.CARE_NOW) not in replies[0].text
    assert "113 (công an)" in replies[0].text and "115 (cấp cứu)" in replies[0].text


def test_content_check_wants_happening_now_phrases_folded(content_copy: Path) -> None:
    from bot.catalog.check import check_directory
    from tests.conftest import edit_yaml

    edit_yaml(content_copy / "safety.yaml", lambda d: d["now"].append("Đang chảy máu"))
    problems = [str(p) for p in check_directory(content_copy, dt.date(2026, 11, 30))]
    assert any("now." in p and "dang chay mau" in p for p in problems), problems


def test_the_end_of_a_very_long_outpouring_is_heard(detector: CareDetector) -> None:
    # a reviewer's 4,600-character story ended in "Em không muốn sống nữa." and was answered "too
    # long": the detector reads a long message's beginning and its end
    day = " ".join(["Hôm nay em đi học về, trời mưa, em ăn cơm rồi làm bài tập."] * 80)
    assert len(day) > 4096
    assert detector.detect(day) is None
    hit = detector.detect(f"{day} Em không muốn sống nữa.")
    assert hit is not None and hit.kind == "suicide"
    # the cut between beginning and end is a line break: no pattern spans it
    assert detector.detect("muốn " + day + " chết") is None


async def test_a_very_long_outpouring_gets_care_not_too_long(engine: Engine) -> None:
    story = "Em kể chuyện nhà em, bố mẹ cãi nhau suốt, em học không vào. " * 80
    replies = await engine.handle(Inbound("test", "long", text=story + "Em không muốn sống nữa."))
    assert "111" in replies[0].text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("nguoi ta du e di lam o trung quoc luong cao", "threat"),
        ("e bi ep lay chong", "abuse"),
        ("me e bat e nghi hoc di lam thue", "neglect"),
        ("e co thai roi phai lam sao", "distress"),
    ],
)
async def test_trafficking_marriage_labour_and_pregnancy_get_care(
    engine: Engine, text: str, kind: str
) -> None:
    # a reviewer found these four missed (2026-11-30); border provinces' known risks
    hit = engine.care.detect(text)
    assert hit is not None and hit.kind == kind
    replies = await engine.handle(Inbound("test", f"risk-{kind}", text=text))
    assert "111" in replies[0].text


def test_each_help_line_is_a_line_of_its_own(engine: Engine) -> None:
    hit = engine.care.detect("e muon chet")
    assert hit is not None
    text = care_text(engine.catalog, hit)
    for mark in ("📞", "🚨", "🤝", "💬"):
        line = next(line for line in text.splitlines() if mark in line)
        assert line.startswith(mark), line
