"""A change of mind typed at a survey question (surveyinput, review3 C1): "thôi e đổi ý, học
trung cấp" at the trades step is no trade to search. A plan named again ("học trung cấp",
with or without "đổi ý") is offered as the new answer of the question it belongs to ("Bạn
muốn đổi “Dự định” thành “Học trung cấp”, đúng không?"); "đổi ý" alone asks which answer to
change. Either way the student comes back to the question they were at (run["return_to"])."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.catalog.models import Survey, SurveyStep
from bot.catalog.text_keys import T
from bot.core.flows.survey_rules import MULTI, SurveyRules, initial_selection, step_of
from bot.core.flows.survey_view import SurveyView
from bot.core.flows.typed import pick
from bot.core.messages import Reply
from bot.matching.normalize import fold

if TYPE_CHECKING:  # survey_steps imports RETURN from here
    from bot.core.flows.survey_steps import SurveySteps

RETURN = "return_to"  # run key: the question (or the summary) to come back to after the change
# folded phrases that say the student changes an answer already given
CHANGE = (
    "doi y", "thay doi y", "doi lai y", "doi y roi", "doi du dinh", "thay doi du dinh",
    "doi cau tra loi", "sua cau tra loi", "bam nham", "chon nham", "nham roi", "doi lai",
)  # fmt: skip
# words around the answer named ("thôi em tính học cao đẳng", "giờ chắc là học trung cấp")
_AROUND = frozenset(
    "thoi e em minh toi tui con gio bay chac la tinh muon se thi vay nen da dinh chuyen sang "
    "qua a ak nha nhe roi r".split()
)
_BREAKS = str.maketrans(dict.fromkeys(",;.!?", "\n"))  # between parts of a message
# the steps where a plan named is no answer of their own, so it can only mean a change
_FREE = ("trades", "schools", "province", "commune")


def says_change(text: str) -> bool:
    """Whether the text says the student changes their mind ("thôi e đổi ý", "e bấm nhầm")."""
    padded = f" {fold(text)} "
    return any(f" {phrase} " in padded for phrase in CHANGE)


def _said(part: str) -> str:
    """A part of the message without the change phrase and the words around the answer."""
    folded = f" {fold(part)} "
    for phrase in CHANGE:
        folded = folded.replace(f" {phrase} ", " ")
    words = folded.split()
    while words and words[0] in _AROUND:
        words.pop(0)
    while words and words[-1] in _AROUND:
        words.pop()
    return " ".join(words)


def named_option(text: str, step: SurveyStep) -> str | None:
    """The option of a single-choice step a part of the text names exactly ("học trung cấp",
    "trung cấp"), never by a near spelling: a trade's name must not read as a plan."""
    labels = {o.id: o.label for o in step.options}
    synonyms = {o.id: o.synonyms for o in step.options}
    for part in text.translate(_BREAKS).split("\n"):
        said = _said(part)
        for form in (said, f"hoc {said}"):
            ident = pick(form, labels, synonyms, fuzzy=False) if said else None
            if ident is not None:
                return ident
    return None


class ChangeOfMind:
    """Reads a change of mind at the current question and moves the run to the answer it
    concerns; the caller asks the question the run is then at."""

    def __init__(self, rules: SurveyRules, view: SurveyView, steps: SurveySteps) -> None:
        self.rules = rules
        self.view = view
        self.steps = steps
        self.ask = steps.ask  # the run's current question (or the summary)

    def read(self, run: dict[str, Any], survey: Survey, text: str) -> list[Reply] | None:
        """The replies for a change of mind, or None when the text is none (then it is read
        as an answer to the current question, as before)."""
        step = step_of(survey, run["current"])
        said = says_change(text)
        if step is not None and step.type == "parent_consent":
            return None  # the parent's step reads its own words
        if not said and (step is None or step.type not in _FREE):
            return None
        earlier = [
            s for s in self.rules.answered(run, survey) if s.type == "single" and s is not step
        ]
        if said and step is not None and step.type == "single":
            earlier.insert(0, step)
        for target in earlier:
            ident = named_option(text, target)
            if ident is not None:
                return self._to(run, survey, target, ident)
        if not said:
            return None
        if not self.rules.answered(run, survey):
            return [self.view.note(T.SURVEY_CHANGE_NOTHING), *self.ask(run, survey)]
        run["pending"] = None
        return [self.view.edits(run, survey)]

    def _to(
        self, run: dict[str, Any], survey: Survey, target: SurveyStep, ident: str
    ) -> list[Reply]:
        value = next(o.label for o in target.options if o.id == ident)
        label = target.label or target.id
        question = self.view.r.t(T.SURVEY_CHANGE_CONFIRM, label=label, value=value)
        if run["current"] == target.id:  # the question asked now: the plan named answers it
            run["pending"] = None
            return self.steps.answer(run, survey, target, ident)
        if run["answers"].get(target.id) == ident:
            note = self.view.note(T.SURVEY_CHANGE_SAME, label=label, value=value)
            return [note, *self.ask(run, survey)]
        self.go_to(run, survey, target)
        run["pending"] = {"value": ident, "question": question}
        return self.ask(run, survey)

    def go_to(self, run: dict[str, Any], survey: Survey, target: SurveyStep) -> None:
        """Move to an answered question to change it; its answer (or "quay lại") brings the
        student back to the question they were at."""
        if run.get(RETURN) is None:
            run[RETURN] = run["current"]
        here = step_of(survey, run["current"])
        if here is not None and here.type in MULTI and here.id not in run["answers"]:
            # ticks not yet ended with "Xong" wait for the student's return
            run.setdefault("preticked", {})[here.id] = list(run.get("selection") or [])
        run["current"], run["pending"] = target.id, None
        run["selection"] = initial_selection(run, target)
