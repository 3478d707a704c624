"""Survey rendering: questions, confirmations, notes, answers as shown, the summary."""

from __future__ import annotations

from typing import Any

from bot.catalog import Catalog
from bot.catalog.models import Survey, SurveyStep
from bot.catalog.text_keys import T
from bot.core.flows.parent_view import CONFIRMED_PARENT
from bot.core.flows.render import Renderer
from bot.core.flows.schools_home import offer
from bot.core.flows.survey_answers import Parsed, show_phone
from bot.core.flows.survey_places import HOME, OFFERED, PLACE, listed, place_name, place_of
from bot.core.flows.survey_rules import AUTO, MULTI, SUMMARY, SurveyRules, step_of
from bot.core.messages import Button, Reply
from bot.core.ports import Clock

EDITS = "sv:edits"  # the summary's "✏ Sửa": the list of answers to change


def is_contact(step: SurveyStep) -> bool:
    """Whether a step belongs to the contact details asked after consent."""
    return step.personal or step.type in ("consent", "parent_consent")


# answer types a submitted survey keeps and "xem dữ liệu" shows (consents are shown as leads)
KEPT_SHOWN = ("single", "multi", "text", "province", "commune", "yesno", "trades", "schools")


class SurveyView:
    """Turns a run's state into replies."""

    def __init__(
        self, catalog: Catalog, renderer: Renderer, rules: SurveyRules, clock: Clock
    ) -> None:
        self.catalog = catalog
        self.r = renderer
        self.rules = rules
        self.clock = clock

    def chooser(self) -> Reply:
        """The grade question: one button per survey."""
        buttons = [
            Button(s.title, f"sv:begin:{s.id}")
            for s in sorted(self.catalog.surveys.values(), key=lambda s: s.grade)
        ]
        return Reply(self.r.t(T.SURVEY_CHOOSE), (*buttons, self.r.home_button()))

    def menu_buttons(self) -> tuple[Button, ...]:
        return (self.r.home_button(),)

    def question(self, run: dict[str, Any], survey: Survey, step: SurveyStep) -> Reply:
        """A question with its counter ("Câu 3/10"), choices and navigation."""
        t, rules = self.r.t, self.rules
        lines = [step.prompt]
        if step.type != "consent":
            # two counters: the questions everyone answers ("Câu 3/5"), then, once the student
            # agreed to share, their contact details ("Thông tin liên hệ 1/4"). One counter over
            # both jumped ("Câu 3/9", then "Câu 4/5") when no school was chosen.
            contact = is_contact(step)
            steps = [
                s
                for s in survey.steps
                if s.type not in ("info", "consent")
                and is_contact(s) == contact
                and rules.may_apply(run, survey, s)
            ]
            number = next((i for i, s in enumerate(steps, start=1) if s.id == step.id), len(steps))
            key = T.SURVEY_CONTACT_COUNTER if contact else T.SURVEY_COUNTER
            lines = [t(key, n=number, total=len(steps)) + " " + step.prompt]
        buttons: list[Button] = []
        selection = list(run.get("selection") or [])
        if step.type in ("single", "multi"):
            for option in step.options:
                mark = "✓ " if option.id in selection else ""
                buttons.append(Button(mark + option.label, f"sv:opt:{option.id}"))
        elif step.type == "trades":
            for ident in rules.trade_choices(run, selection):
                mark = "✓ " if ident in selection else ""
                buttons.append(Button(mark + self.catalog.trades[ident].name, f"sv:opt:{ident}"))
        elif step.type == "schools":
            receiving = rules.school_choices(run)
            if not receiving:  # task directory: none receives there yet
                place = self.catalog.provinces.get(rules.province(run) or "")
                none = T.DIR_SURVEY_NONE if place else T.DIR_SURVEY_NONE_ANYWHERE
                lines.append(t(none, province=place.name if place else ""))
            shown = listed(self.catalog, rules, run)  # surveyinput (W3): a place's schools
            typed = place_of(run.get(PLACE))
            if shown is not None and typed is not None:
                name = place_name(self.catalog, t, typed)
                lines.append(t(T.SURVEY_SCHOOLS_IN, place=name))
            for ident in receiving if shown is None else shown:
                mark = "✓ " if ident in selection else ""
                buttons.append(Button(mark + self.catalog.schools[ident].name, f"sv:opt:{ident}"))
            if shown is not None:
                buttons.append(Button(t(T.SURVEY_SCHOOLS_ALL), "sv:allschools"))
            if not selection and receiving:  # with none receiving it would find none
                buttons.append(Button(t(T.SURVEY_AUTO_SCHOOLS), "sv:auto"))
        elif step.type == "consent":
            names = ", ".join(rules.school_names(rules.receivers(run, survey)))
            lines.append(t(T.SURVEY_CONSENT_SCHOOLS, schools=names))
            buttons += [Button(t(T.SURVEY_AGREE), "sv:yes"), Button(t(T.SURVEY_DISAGREE), "sv:no")]
        elif step.type == "yesno":
            buttons += [Button(t(T.SURVEY_YES), "sv:yes"), Button(t(T.SURVEY_NO), "sv:no")]
        elif step.type == "province":  # province: the remembered one first, one tap
            offered = offer(self.r, run.get(OFFERED), f"sv:{HOME}:")
            buttons += [offered] if offered is not None else []
        elif step.type == "parent_consent":  # flowfix: no parent's number to give yet
            buttons.append(Button(t(T.SURVEY_PARENT_LATER_BUTTON), "sv:later"))
        if step.type in MULTI and selection:
            items = self.show(run, survey, step, selection)
            if len(selection) >= step.max_choices:  # tradestep: no "chọn thêm" when full
                lines.append(t(T.SURVEY_SELECTED_FULL, items=items, count=step.max_choices))
            else:
                lines.append(t(T.SURVEY_SELECTED, items=items))
            buttons.append(Button(t(T.SURVEY_DONE), "sv:done"))
        if step.optional and not selection:
            buttons.append(Button(t(T.SURVEY_SKIP), "sv:skip"))
        return Reply("\n".join(lines), (*buttons, *self.nav(run)))

    def nav(self, run: dict[str, Any]) -> tuple[Button, ...]:
        back = Button(self.r.t(T.BACK), "sv:back")
        cancel = Button(self.r.t(T.SURVEY_CANCEL), "sv:cancel")
        return (back, cancel) if run["history"] or run.get("editing") else (cancel,)

    def confirm(self, run: dict[str, Any], step: SurveyStep) -> Reply:
        """ "Đúng không?" for a typed answer waiting for confirmation."""
        pending = run["pending"]
        t = self.r.t
        if step.type == "parent_consent":
            # parent (issue 12): the student only checks the number; the parent confirms later,
            # on the parent's own phone, with a code
            key = (
                T.SURVEY_PARENT_SHARED_CHECK
                if pending.get("shared")
                else T.SURVEY_PARENT_PHONE_CHECK
            )
            text = t(key, phone=show_phone(pending["phone"]))
            yes, no = t(T.SURVEY_RIGHT), t(T.SURVEY_RETYPE)
        else:
            text, yes, no = pending["question"], t(T.SURVEY_RIGHT), t(T.SURVEY_RETYPE)
        return Reply(text, (Button(yes, "sv:yes"), Button(no, "sv:no"), *self.nav(run)))

    def info(self, step: SurveyStep) -> Reply:
        """A notice step, with the policy it names."""
        lines = [step.prompt]
        policy = self.catalog.policies.get(step.policy or "")
        if policy is not None:
            lines.append(self.r.policy(policy, self.clock.now().date()).text)
        return Reply("\n\n".join(lines))

    def note(self, key: str, **values: object) -> Reply:
        return Reply(self.r.t(key, **values))

    def error(self, step: SurveyStep, parsed: Parsed) -> Reply:
        """Why an answer was not taken, with the step's example."""
        lines = [self.r.t(parsed.error or T.SURVEY_NOT_UNDERSTOOD, **parsed.error_values)]
        if step.example:
            lines.append(step.example)
        return Reply("\n".join(lines))

    def show(self, run: dict[str, Any], survey: Survey, step: SurveyStep, value: Any) -> str:
        """An answer as the student reads it."""
        t, cat, rules = self.r.t, self.catalog, self.rules
        if value is None:
            return t(T.SURVEY_SKIPPED)
        kind = step.type
        if kind in ("single", "multi"):
            labels = {o.id: o.label for o in step.options}
            items = value if isinstance(value, list) else [value]
            return ", ".join(labels.get(i, str(i)) for i in items)
        if kind == "trades":
            return ", ".join(cat.trades[i].name for i in value if i in cat.trades)
        if kind == "schools":
            if AUTO in value:
                names = rules.school_names(rules.receivers(run, survey))
                found = ", ".join(names) if names else t(T.SURVEY_AUTO_NONE)
                return f"{t(T.SURVEY_AUTO_SCHOOLS)}: {found}"
            return ", ".join(rules.school_names(value))
        if kind == "province":
            return cat.provinces[value].name if value in cat.provinces else str(value)
        if kind == "phone":
            return show_phone(str(value))
        if kind == "consent":
            return t(T.SURVEY_AGREE if value.get("agreed") else T.SURVEY_DISAGREE)
        if kind == "parent_consent":
            key = T.SURVEY_PARENT_AGREE if value.get("agreed") else T.SURVEY_PARENT_DISAGREE
            if value.get("awaiting"):  # parent (issue 12): confirmed later, with a code
                key = T.SURVEY_PARENT_AWAITING
                if value.get("phone") and value.get("phone") == run.get(CONFIRMED_PARENT):
                    key = T.SURVEY_PARENT_CONFIRMED  # datarights (C3): a correction, same number
            if value.get("later"):  # flowfix: no number yet; nothing goes to schools
                key = T.SURVEY_PARENT_LATER
            phone = value.get("phone")
            return f"{t(key)} ({show_phone(phone)})" if phone else t(key)
        if kind == "yesno":
            return t(T.SURVEY_YES if value else T.SURVEY_NO)
        return str(value)

    def summary(self, run: dict[str, Any], survey: Survey) -> Reply:
        """Every answer, then "✅ Gửi" (the main action), one "✏ Sửa" (the list of answers to
        change) and cancel."""
        t = self.r.t
        lines = [t(T.SURVEY_SUMMARY)]
        for step in self.rules.answered(run, survey):
            label = step.label or step.id
            lines.append(f"• {label}: {self.show(run, survey, step, run['answers'][step.id])}")
        buttons = (
            Button(t(T.SURVEY_SUBMIT), "sv:submit", role="primary"),
            Button(t(T.SURVEY_EDIT_MENU), EDITS),
            Button(t(T.SURVEY_CANCEL), "sv:cancel", role="destructive"),
        )
        return Reply("\n".join(lines), buttons)

    def edits(self, run: dict[str, Any], survey: Survey) -> Reply:
        """The answers that can be changed, one button each, and the way back to the summary."""
        t = self.r.t
        buttons = [
            Button(t(T.SURVEY_EDIT, label=step.label or step.id), f"sv:edit:{step.id}")
            for step in self.rules.answered(run, survey)
        ]
        # surveyinput (C1): asked mid-survey ("đổi ý"), the way back is the question asked
        here = T.SURVEY_BACK_TO_SUMMARY if run["current"] == SUMMARY else T.SURVEY_BACK_TO_QUESTION
        back = Button(t(here), "sv:resume")
        return Reply(t(T.SURVEY_EDIT_PICK), (*buttons, back))

    def draft(self, run: dict[str, Any]) -> tuple[str, list[str]]:
        """An unfinished run's survey title and what it holds ("• Họ tên: …")."""
        survey = self.catalog.surveys[run["id"]]
        lines = [
            f"• {s.label or s.id}: {self.show(run, survey, s, run['answers'][s.id])}"
            for s in self.rules.answered(run, survey)
        ]
        pending = run.get("pending")
        step = step_of(survey, run["current"])
        if isinstance(pending, dict) and step is not None:  # typed, waiting for "đúng không?"
            shown = (
                show_phone(str(pending.get("phone")))
                if step.type == "parent_consent"
                else self.show(run, survey, step, pending.get("value"))
            )
            unconfirmed = self.r.t(T.DATA_DRAFT_UNCONFIRMED)
            lines.append(f"• {step.label or step.id}: {shown} {unconfirmed}")
        return survey.title, lines

    def kept(self, survey_id: str, answers: dict[str, Any]) -> list[str]:
        """A submitted survey's stored (non-personal) answers, labelled as in its summary."""
        survey = self.catalog.surveys.get(survey_id)
        if survey is None:
            return []
        run: dict[str, Any] = {"id": survey.id, "answers": answers, "history": []}
        return [
            f"• {s.label or s.id}: {self.show(run, survey, s, answers[s.id])}"
            for s in survey.steps
            if s.type in KEPT_SHOWN and answers.get(s.id) is not None
        ]
