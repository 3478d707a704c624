"""The eligibility check's question as the user reads it: counter, notes, choices, navigation
(split from eligibility.py by surveyinput; the result itself is eligibility_result.py)."""

from __future__ import annotations

from typing import Any

from bot.catalog.eligibility import Eligibility, EligQuestion
from bot.catalog.text_keys import T
from bot.core.flows.eligibility_home import ACTION, OFFERED
from bot.core.flows.render import Renderer
from bot.core.flows.schools_home import offer
from bot.core.messages import Button, Reply


class QuestionView:
    """Replies for the check's current question."""

    def __init__(self, renderer: Renderer, elig: Eligibility) -> None:
        self.r = renderer
        self.elig = elig

    def not_ticked(self, unsure: dict[str, list[str]], key: str = T.ELIG_NOT_TICKED) -> str:
        """ "Mình chưa đánh dấu sẵn: Con liệt sĩ…" for options named but not ticked."""
        labels = []
        for question_id, options in unsure.items():
            question = self.elig.question(question_id)
            for ident in options:
                option = question.option(ident) if question is not None else None
                if option is not None and option.label not in labels:
                    labels.append(option.label)
        return self.r.t(key, items=", ".join(labels))

    def question(self, run: dict[str, Any]) -> Reply:
        """The current question with its counter, choices and navigation."""
        t = self.r.t
        question = self.elig.question(str(run.get("current") or ""))
        assert question is not None
        asked = [q for q in self.elig.questions if q.id not in run.get("given", [])]
        number = next((i for i, q in enumerate(asked, 1) if q.id == question.id), len(asked))
        lines = [f"{t(T.ELIG_COUNTER, n=number, total=len(asked))} {question.prompt}"]
        for ident in run.get("unsure", {}).get(question.id, []):  # eligfix: when it counts
            option = question.option(ident)
            if option is not None and option.only_if:
                lines.append(t(T.ELIG_ONLY_IF, label=option.label, only_if=option.only_if))
        selection: list[str] = run.get("selection", [])
        buttons: list[Button] = []
        for option in question.options:
            mark = "✓ " if option.id in selection else ""
            buttons.append(Button(mark + option.label, f"el:opt:{option.id}"))
        if question.multi and selection:
            labels = [o.label for o in question.options if o.id in selection]
            lines.append(t(T.ELIG_SELECTED, items=", ".join(labels)))
            buttons.append(Button(t(T.ELIG_DONE), "el:done"))
        if question.type == "province":  # province: the remembered one first, one tap
            offered = offer(self.r, run.get(OFFERED), f"el:{ACTION}:")
            buttons += [offered] if offered is not None else []
            buttons.append(Button(t(T.ELIG_SKIP), "el:skip"))
        if run["history"]:
            buttons.append(Button(t(T.BACK), "el:back"))
        buttons.append(Button(t(T.ELIG_CANCEL), "el:cancel"))
        return Reply("\n".join(lines), tuple(buttons))


def toggle(run: dict[str, Any], question: EligQuestion, ident: str) -> None:
    """Tick or untick an option of a several-choice question ("none of these" stands alone)."""
    selection: list[str] = run.setdefault("selection", [])
    if ident in selection:
        selection.remove(ident)
    elif ident == question.none:
        selection[:] = [ident]
    else:
        if question.none in selection:
            selection.remove(question.none)
        selection.append(ident)


def step_back(run: dict[str, Any]) -> dict[str, Any]:
    """The run one question back: the last answered one is current again, its answer undone
    (moved from eligibility.py)."""
    history: list[str] = run["history"]
    if history:
        previous = history.pop()
        facts = run.get("facts")
        if isinstance(facts, dict):
            facts.pop(previous, None)
        skipped = run.get("skipped", [])
        if previous in skipped:
            skipped.remove(previous)
        run["current"] = previous
        run["selection"] = []
    return run
