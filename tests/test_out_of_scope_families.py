"""Questions that share words with the bot's topics but are about something else are declined.

Found with a probe of real out-of-scope questions (task oosprobe, kept outside the repository):
military service beyond students' deferral got the deferral answer, other professions' licences
the nursing licence, social-housing loans the student loans, taxes and fees ("miễn") the tuition
exemption, traffic rules for minors the answer about parents' consent under 16. The questions
below are written here, in the same families, and are neither content phrasings nor the probe's.
"""

from __future__ import annotations

import pytest

from bot.core.engine import Engine

DECLINED = [
    # military service beyond the deferral of students
    "em bị viêm gan B thì có phải đi nghĩa vụ quân sự không",
    "con trai độc nhất có được miễn đi bộ đội không ạ",
    # licences of professions the bot does not train for
    "muốn làm môi giới nhà đất thì phải thi chứng chỉ gì",
    "chứng chỉ hành nghề kỹ sư xây dựng hạng 3 cần mấy năm kinh nghiệm",
    # loans that are not for learning
    "vay ngân hàng mua căn hộ nhà ở xã hội cần điều kiện gì",
    "bạn mượn tiền không trả thì tôi làm đơn kiện ở đâu",
    # taxes and fees: their "miễn" is not the tuition exemption
    "bán nhà cho con có phải đóng thuế thu nhập cá nhân không",
    "làm căn cước lần đầu có mất lệ phí không",
    # traffic rules for minors
    "con tôi 15 tuổi chạy xe máy điện đến trường có bị công an phạt không",
    "chưa có bằng lái mà chạy xe 125 phân khối bị phạt mấy triệu",
    # insurance that is not a student's
    "mua bảo hiểm nhân thọ cho con có lợi không",
    # land and housing: their "hỗ trợ" is not learning support
    "nhà nước thu hồi đất làm đường thì dân được đền bù bao nhiêu",
]


@pytest.mark.parametrize("question", DECLINED)
def test_questions_about_something_else_are_declined(engine: Engine, question: str) -> None:
    result = engine.ask(question)
    assert not result.matched, (result.id, result.score)


@pytest.mark.parametrize(
    ("question", "target"),
    [
        # the neighbours of those families stay the bot's
        ("học trung cấp có được tạm hoãn nghĩa vụ quân sự không", "faq:nvqs_tam_hoan"),
        ("đang học cao đẳng nghề có được miễn đi nghĩa vụ không", "faq:nvqs_tam_hoan"),
        ("học điều dưỡng ra trường cần giấy phép hành nghề gì", "faq:giay_phep_dieu_duong"),
        ("vay vốn đi học nghề được tối đa bao nhiêu một tháng", "faq:vay_von_muc"),
        ("những ai được miễn học phí khi học nghề", "faq:hp_doi_tuong_mien"),
    ],
)
def test_their_vocational_neighbours_are_still_answered(
    engine: Engine, question: str, target: str
) -> None:
    result = engine.ask(question)
    assert result.matched and result.id == target, (result.id, result.score)
