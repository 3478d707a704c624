"""Interest quiz flow ("Trắc nghiệm sở thích nghề nghiệp", Holland/RIASEC, content/quiz.yaml).

Thirty short items, each answered Thích / Không chắc / Không thích (buttons, "1/2/3", or typed
words with or without diacritics and teencode); then the student's province, if not known;
then the result (quiz_view.py). Progress lives in ConversationState.data["quiz"], so a quiz
left half-way resumes where it stopped, days later. "Khảo sát nguyện vọng" starts the survey
with the result's trades ticked (survey.PREFILL).
"""

from __future__ import annotations

from typing import Any

from bot.catalog.quiz import DISLIKE, LIKE, POINTS, UNSURE
from bot.catalog.text_keys import T
from bot.core.flows.base import RunFlow, Tools, Turn, choice
from bot.core.flows.quiz_view import HOME, QZ, QuizView
from bot.core.flows.schools_home import remember, remembered
from bot.core.flows.survey import PREFILL, START
from bot.core.flows.survey_answers import AnswerReader
from bot.core.flows.typed import EMOJI
from bot.core.flows.typed import pick as pick_option
from bot.core.messages import Button, Reply
from bot.core.numbers import single_number
from bot.core.ports import ConversationState
from bot.matching.normalize import fold

KEY = "quiz"  # where a run lives in ConversationState.data
ITEMS, PROVINCE, RESULT = "items", "province", "result"  # a run's stages
# Typed words (folded) that act inside the quiz's questions.
QUIZ_WORDS = {
    **dict.fromkeys(["quay lai", "tro lai", "back", "lui", "cau truoc"], f"{QZ}back"),
    **dict.fromkeys(
        ["huy", "huy bo", "dung lai", "dung trac nghiem", "thoat", "cancel"], f"{QZ}cancel"
    ),
    **dict.fromkeys(["start", "menu", "trang chu", "ve trang chu", "home"], "home"),
    **dict.fromkeys(["hi", "hello", "alo", "chao", "xin chao", "bat dau", "tiep tuc"], "qz:resume"),
    **dict.fromkeys(["bo qua", "skip"], "qz:skip"),
}


# a short message asking for a quiz or a test ("co bai trac nghiem ko", "cho e lam trac nghiem
# nghe nghiep"), normalized; not one about an exam ("thi trắc nghiệm", "xét tuyển có test không")
_ASKS = ("trac nghiem", "bai test", "lam test", "test nghe", "test so thich")
_NOT_ASKING = frozenset({"thi", "xet", "tuyen", "diem", "dau", "vao"})
MAX_ASK_WORDS = 10


def asks_for_quiz(normalized: str) -> bool:
    """Whether a short message asks for the quiz (beyond the exact start phrases)."""
    words = normalized.split()
    if len(words) > MAX_ASK_WORDS or _NOT_ASKING & set(words):
        return False
    padded = f" {normalized} "
    return any(f" {phrase} " in padded for phrase in _ASKS)


class QuizFlow(RunFlow):
    """Start, answer, go back, cancel, resume the quiz; show its result; hand on to the survey."""

    run_key = KEY

    prefixes = (QZ,)

    def __init__(self, tools: Tools) -> None:
        self.catalog = tools.catalog
        self.r = tools.renderer
        self.matcher = tools.matcher
        self.reader = AnswerReader(tools.catalog, tools.matcher, tools.provinces)
        self.view = QuizView(tools.catalog, tools.renderer)
        quiz = tools.catalog.quiz
        normalize = tools.matcher.normalize
        self.starts = frozenset(normalize(p) for p in quiz.start_phrases) if quiz else frozenset()
        self.points: dict[str, int] = {}
        if quiz is not None:
            for words, value in (
                (quiz.answers.like, LIKE),
                (quiz.answers.unsure, UNSURE),
                (quiz.answers.dislike, DISLIKE),
            ):
                self.points.update((normalize(w), value) for w in words)
        # flowfix: each kind of answer as an option of typed.pick: its words are its synonyms
        self.kinds: dict[str, list[str]] = {}
        for word, value in self.points.items():
            self.kinds.setdefault(str(value), []).append(word)

    # -- the conversation's run -----------------------------------------------------------------

    def run(self, state: ConversationState) -> dict[str, Any] | None:
        raw = super().run(state)
        if self.catalog.quiz is None or raw is None:
            return None
        if raw.get("stage") == ITEMS and not 0 <= raw.get("current", -1) < self._total:
            return None  # the items changed under a stored run: it cannot go on
        return raw

    @property
    def _total(self) -> int:
        return len(self.catalog.quiz.items) if self.catalog.quiz else 0

    def _unfinished(self, state: ConversationState) -> dict[str, Any] | None:
        run = self.run(state)
        return run if run is not None and run.get("stage") in (ITEMS, PROVINCE) else None

    def waiting(self, state: ConversationState) -> bool:
        run = self._unfinished(state)
        return bool(run and run.get("active"))

    def resume_button(self, state: ConversationState) -> Button | None:
        if self._unfinished(state) is None:
            return None
        return Button(self.r.t(T.QUIZ_CONTINUE), f"{QZ}resume")

    # -- typed words ----------------------------------------------------------------------------

    def command(self, folded: str, state: ConversationState) -> str | None:
        """ "trắc nghiệm", "e ko bit hop nghe gi"… start it; "hủy" cancels a paused one."""
        if self.catalog.quiz is None:
            return None
        normalized = self.matcher.normalize(folded)
        if normalized in self.starts or asks_for_quiz(normalized):
            return f"{QZ}start"
        if QUIZ_WORDS.get(folded) == "qz:cancel" and self._unfinished(state) is not None:
            return "qz:cancel"
        return None

    async def text(self, text: str, turn: Turn) -> list[Reply]:
        """Typed text while an item or the province question waits."""
        state = turn.state
        run = self._unfinished(state)
        assert run is not None
        folded = fold(text.removeprefix("/"))
        command = QUIZ_WORDS.get(folded)
        if command is not None:
            return await turn.press(command)
        number = single_number(text)
        if number is not None:
            chosen = choice(number, state.buttons, True)
            if chosen is not None and chosen.payload.startswith(QZ):
                return await turn.press(chosen.payload)
        if run["stage"] == PROVINCE:
            return self._province(state, run, text)
        points = self.points.get(self.matcher.normalize(text))
        if points is None:  # flowfix: "thick", "hmm ko chac lam", "👍"
            said = text.strip() if text.strip() in EMOJI else self.matcher.normalize(text)
            kind = pick_option(said, {str(p): w for w, p in self.points.items()}, self.kinds)
            points = int(kind) if kind is not None else None
        if points is None:
            return self.view.question(run, self.r.t(T.QUIZ_PICK))
        return self._answer(state, run, run["current"], points)

    async def reask(self, turn: Turn) -> list[Reply] | None:
        run = self._unfinished(turn.state)
        return self._ask(turn.state, run) if run is not None else None

    # -- buttons --------------------------------------------------------------------------------

    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        state = turn.state
        if self.catalog.quiz is None:
            return [Reply(self.r.t(T.UNKNOWN_BUTTON), (self.r.home_button(),))]
        action, _, arg = payload.removeprefix(QZ).partition(":")
        if action == "start":
            return self._start(state, turn)
        if action == "restart":
            return self._new(state, turn)
        run = self.run(state)
        if run is None:
            buttons = (Button(self.r.t(T.QUIZ_RESTART), f"{QZ}restart"), self.r.home_button())
            return [Reply(self.r.t(T.QUIZ_EXPIRED), buttons)]
        if run["stage"] == RESULT:
            return await self._after(run, action, turn)
        run["active"] = True
        if action == "cancel" and arg == "yes":
            state.data.pop(KEY, None)
            return [Reply(self.r.t(T.QUIZ_CANCELLED), self.r.nav_buttons()[1:])]
        if action == "cancel":
            run["active"] = False  # the confirmation is not a question
            buttons = (
                Button(self.r.t(T.QUIZ_CANCEL_YES), f"{QZ}cancel:yes"),
                Button(self.r.t(T.QUIZ_CONTINUE), f"{QZ}resume"),
            )
            return [Reply(self.r.t(T.QUIZ_CANCEL_CONFIRM), buttons)]
        if action == "back":
            return self._back(run)
        if action == "a" and run["stage"] == ITEMS:
            index, _, points = arg.partition(":")
            valid = index.isdigit() and points.isdigit() and int(points) in POINTS
            if valid and int(index) == run["current"]:
                return self._answer(state, run, int(index), int(points))
        if action == "skip" and run["stage"] == ITEMS:  # "bỏ qua" an item: neither way
            return self._answer(state, run, run["current"], UNSURE)
        if action == "skip" and run["stage"] == PROVINCE:
            run["province"] = None
            return self._finish(run)
        if action == HOME and run["stage"] == PROVINCE and arg in self.catalog.provinces:
            return self._settle(state, run, arg)  # the remembered province, pressed
        # "resume", a button of an earlier question, a forged one: ask again
        return self._ask(state, run)

    def _start(self, state: ConversationState, turn: Turn) -> list[Reply]:
        """Resume offer while a run is half-way; a new run otherwise."""
        run = self._unfinished(state)
        if run is None:
            return self._new(state, turn)
        run["active"] = False
        answered = len([v for v in run["answers"].values() if isinstance(v, int)])
        buttons = (
            Button(self.r.t(T.QUIZ_CONTINUE), f"{QZ}resume"),
            Button(self.r.t(T.QUIZ_RESTART), f"{QZ}restart"),
            self.r.home_button(),
        )
        text = self.r.t(T.QUIZ_RESUME_PROMPT, n=answered, total=self._total)
        return [Reply(text, buttons)]

    def _new(self, state: ConversationState, turn: Turn) -> list[Reply]:
        assert self.catalog.quiz is not None
        old = self.run(state) or {}
        province = old.get("province")  # a student who said where they live is not asked again
        run: dict[str, Any] = {
            "stage": ITEMS,
            "active": True,
            "current": 0,
            "answers": {},
            "province": province if province in self.catalog.provinces else None,
            "page": 0,
            "started": turn.now.isoformat(),
        }
        state.data[KEY] = run
        return [Reply(self.catalog.quiz.intro), *self._ask(state, run)]

    def _ask(self, state: ConversationState, run: dict[str, Any]) -> list[Reply]:
        if run["stage"] == PROVINCE:
            return self._province_question(state, run)
        if run["stage"] == RESULT:
            return self.view.result(run)
        return self.view.question(run)

    def _answer(
        self, state: ConversationState, run: dict[str, Any], index: int, points: int
    ) -> list[Reply]:
        assert self.catalog.quiz is not None
        items = self.catalog.quiz.items
        run["answers"][items[index].id] = points
        if index + 1 < len(items):
            run["current"] = index + 1
            return self.view.question(run)
        if run.get("province") is None:
            run["stage"] = PROVINCE
            return self._province_question(state, run)
        return self._finish(run)

    def _back(self, run: dict[str, Any]) -> list[Reply]:
        if run["stage"] == PROVINCE:
            run["stage"], run["current"] = ITEMS, self._total - 1
            return self.view.question(run)
        if run["current"] == 0:
            return self.view.question(run, self.r.t(T.QUIZ_FIRST_ITEM))
        run["current"] -= 1
        return self.view.question(run)

    def _province(self, state: ConversationState, run: dict[str, Any], text: str) -> list[Reply]:
        found = self.reader.province(text)
        if found is None:
            return self._province_question(state, run, self.r.t(T.QUIZ_NO_PROVINCE))
        province_id, former = found
        replies = self._settle(state, run, province_id)
        if former:
            name = self.catalog.provinces[province_id].name
            note = self.r.t(T.QUIZ_PROVINCE_MERGED, former=former, province=name)
            replies.insert(0, Reply(note))
        return replies

    def _settle(self, state: ConversationState, run: dict[str, Any], province: str) -> list[Reply]:
        """The province question answered (typed, or the remembered one pressed): the result."""
        run["province"] = province
        remember(state, self.catalog, province)  # province (W7): for later school questions
        return self._finish(run)

    def _province_question(
        self, state: ConversationState, run: dict[str, Any], note: str | None = None
    ) -> list[Reply]:
        """The province question, offering the remembered province first (province) unless it
        is the one the result already shows ("Xem trường ở tỉnh khác")."""
        home = remembered(state, self.catalog)
        return self.view.province_question(note, home if home != run.get("province") else None)

    def _finish(self, run: dict[str, Any]) -> list[Reply]:
        run["stage"], run["active"], run["page"] = RESULT, False, 0
        return self.view.result(run)

    async def _after(self, run: dict[str, Any], action: str, turn: Turn) -> list[Reply]:
        """Buttons under a result: the survey with its trades ticked, more trades, a province."""
        if action == "survey":
            ticks = self.view.ticks(run)
            # surveyinput (C6): the other trades suggested and the province go along
            offered = [tr.id for tr in self.view.result_of(run).trades]
            turn.state.data[PREFILL] = {
                "trades": ticks,
                "offered": offered,
                "province": run.get("province"),
            }
            names = ", ".join(self.catalog.trades[t].name for t in ticks)
            note = [Reply(self.r.t(T.QUIZ_SURVEY_TICKED, trades=names))] if ticks else []
            return [*note, *await turn.press(START)]
        if action == "more" and self.view.has_more(run):
            run["page"] = run.get("page", 0) + 1
            return self.view.more(run)
        if action == "province":
            run["stage"], run["active"], run["page"] = PROVINCE, True, 0
            return self._province_question(turn.state, run)
        return self.view.result(run)
