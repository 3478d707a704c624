"""Data rights: see what is stored, withdraw consent for a school, delete personal data.

Its words ("xem dữ liệu", "xóa dữ liệu", "rút lại đồng ý") act everywhere, even in the middle
of a survey; while "Bạn muốn xóa dữ liệu?" waits, "có", "xóa đi" or "thôi" answer it.
"""

from __future__ import annotations

import datetime as dt

from bot.catalog.text_keys import T
from bot.core.flows import data_words
from bot.core.flows.base import Flow, Tools, Turn
from bot.core.flows.data_words import DELETE, WORDS
from bot.core.flows.parent_words import parent_helping
from bot.core.flows.survey import START, SurveyFlow
from bot.core.flows.survey_answers import show_phone, yes_no
from bot.core.flows.survey_rules import RUN_KEY
from bot.core.messages import Button, ConversationKey, Reply
from bot.core.ports import ConversationState, Forgotten, MyData
from bot.matching.normalize import fold

CONFIRMED = "data:delete"  # its "yes"
PARENT_HELPS = "data:parent_helps"  # datarights (C3): a parent typing for the child
_DELETE_WORDS = frozenset(("xoa", "xoa di", "xoa het", "xoa het di", "xoa luon"))


class DataRights(Flow):
    """Handles "delete_data" and "data:…" payloads."""

    prefixes = ("data:",)
    payloads = frozenset((DELETE,))
    always_reachable = True

    def __init__(self, tools: Tools, survey: SurveyFlow) -> None:
        self.catalog = tools.catalog
        self.r = tools.renderer
        self.leads = tools.leads
        self.survey = survey
        self._labels: dict[str, tuple[str, str]] = {}  # personal step id -> (label, type)
        for kind in self.catalog.surveys.values():
            for step in kind.steps:
                if step.personal or step.type == "parent_consent":
                    self._labels.setdefault(step.id, (step.label or step.id, step.type))

    def command(self, folded: str, state: ConversationState) -> str | None:
        """Its words, also wrapped in a sentence ("e muon xoa het thong tin cua e"); a parent
        saying they fill in the survey for the child (datarights, review3 C3)."""
        found = data_words.command(folded, WORDS)
        if found is None and parent_helping(folded):
            return PARENT_HELPS
        return found

    def waiting(self, state: ConversationState) -> bool:
        """While "Bạn muốn xóa dữ liệu?" waits for an answer."""
        return any(b.payload == CONFIRMED for b in state.buttons)

    async def text(self, text: str, turn: Turn) -> list[Reply] | None:
        """The deletion question answered in words: "ok", "có", "xóa đi", "thôi"."""
        folded = fold(text.removeprefix("/"))
        said = True if folded in _DELETE_WORDS else yes_no(text)
        if said is None:
            return None
        return await turn.press(CONFIRMED if said else "home")

    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        """A data-rights button."""
        t, state, key, now = self.r.t, turn.state, turn.key, turn.now
        if payload == DELETE:
            yes = Button(t(T.DATA_DELETE_YES), CONFIRMED, role="destructive")
            buttons = (yes, self.r.home_button())
            return [Reply(t(T.DATA_DELETE_CONFIRM), buttons)]
        if payload == CONFIRMED:
            return await self._delete(state, key, now)
        if payload == "data:view":
            return await self._view(state, key)
        if payload == PARENT_HELPS:
            return await self._parent_helps(turn)
        if payload == "data:withdraw":
            return await self._withdraw_menu(key)
        if payload.startswith("data:withdraw:") and self.leads is not None:
            school_id = payload.removeprefix("data:withdraw:")
            done = await self.leads.withdraw(key, school_id, now)
            name = self.catalog.school_name(school_id)
            text = t(T.DATA_WITHDRAWN if done else T.DATA_NOTHING_TO_WITHDRAW, school=name)
            return [Reply(text, self._buttons())]
        return [Reply(t(T.UNKNOWN_BUTTON), (self.r.home_button(),))]

    def _buttons(self) -> tuple[Button, ...]:
        return (Button(self.r.t(T.DATA_DELETE_BUTTON), DELETE), self.r.home_button())

    async def _delete(
        self, state: ConversationState, key: ConversationKey, now: dt.datetime
    ) -> list[Reply]:
        state.erase()  # the conversation itself is deleted when this turn ends
        t = self.r.t
        lines = [t(T.DATA_DELETED)]
        if self.leads is not None:
            gone = await self.leads.forget(key, now)
            if gone.surveys or gone.leads:
                lines.append(t(T.DATA_DELETED_DETAILS, surveys=gone.surveys))
            lines += self._schools_told(gone)
        return [Reply("\n\n".join(lines), (self.r.home_button(),))]

    def _schools_told(self, gone: Forgotten) -> list[str]:
        """datarights (review3 C4): the schools that had the data, by name, and truly whether
        the bot told them (through the outbox) or only shows the deletion in their portal,
        with their contact for the student to remind them."""
        t, name = self.r.t, self.catalog.school_name
        lines: list[str] = []
        if gone.told:
            lines.append(t(T.DATA_ERASE_TOLD, schools=", ".join(name(s) for s in gone.told)))
        if gone.listed:
            listed = [t(T.DATA_ERASE_LISTED, schools=", ".join(name(s) for s in gone.listed))]
            for school_id in gone.listed:
                school = self.catalog.schools.get(school_id)
                found = (school.contact.phone, school.contact.website) if school else ()
                contact = ", ".join(d for d in found if d) or t(T.DATA_ERASE_NO_CONTACT)
                listed.append(t(T.DATA_ERASE_CONTACT, school=name(school_id), contact=contact))
            lines.append("\n".join(listed))
        return lines

    async def _parent_helps(self, turn: Turn) -> list[Reply]:
        """A parent filling in the survey for the child: yes, how, and what happens next; then
        the survey's question again, or the way into the survey."""
        note = self.r.t(T.PARENT_HELPS)
        run = turn.state.data.get(RUN_KEY)
        if isinstance(run, dict) and run.get("id") in self.catalog.surveys:  # paused by this turn
            return [Reply(note), *await turn.press("sv:resume")]
        start = Button(self.r.t(T.MENU_SURVEY), START)
        return [Reply(note, (start, self.r.home_button()))]

    async def _view(self, state: ConversationState, key: ConversationKey) -> list[Reply]:
        t = self.r.t
        draft = self._draft(state)
        mine = await self.leads.my_data(key) if self.leads is not None else None
        asked = self._questions(mine)
        if mine is None or not mine.surveys:
            if asked:  # questions kept, no survey: both said, and the way to delete them
                shown = "\n".join([t(T.DATA_NONE), "", *asked, "", *(draft or [])]).strip()
                ways = self._draft_buttons() if draft is not None else self._buttons()
                return [Reply(shown, ways, private=True)]
            if draft is not None:
                return [Reply("\n".join(draft), self._draft_buttons())]
            return [Reply(t(T.DATA_NONE), (self.r.home_button(),))]
        lines = [t(T.DATA_SURVEYS, count=mine.surveys)]
        kept = self.survey.kept(mine.survey_id, mine.answers)
        if kept:
            lines += [t(T.DATA_ANSWERS), *kept]
        if mine.personal:
            lines.append(t(T.DATA_PERSONAL))
            for step_id, value in mine.personal.items():
                label, kind = self._labels.get(step_id, (step_id, "text"))
                shown = show_phone(str(value)) if kind in ("phone", "parent_consent") else value
                if kind == "parent_consent":  # datarights (C3): a status, then the number
                    shown = f"{self._parent_status(mine)} ({t(T.DATA_PARENT_PHONE, phone=shown)})"
                lines.append(f"• {label}: {shown}")
        else:
            lines.append(t(T.DATA_NO_PERSONAL))
        for lead in mine.leads:
            name = self.catalog.school_name(lead.school_id)
            status = (
                T.DATA_LEAD_AWAITING  # parent (issue 12)
                if lead.status == "awaiting_parent"
                else T.DATA_LEAD_WITHDRAWN
                if lead.status != "active"
                else T.DATA_LEAD_DELIVERED
                if lead.delivered
                else T.DATA_LEAD_AVAILABLE
            )
            lines.append(f"• {name}: {t(status)}")
        if asked:
            lines += ["", *asked]
        buttons: list[Button] = []
        if any(lead.status in ("active", "awaiting_parent") for lead in mine.leads):
            buttons.append(Button(t(T.DATA_WITHDRAW_BUTTON), "data:withdraw"))
        # webchat: never kept in the page's history (nor the questions kept, shown again)
        private = bool(mine.personal or asked)
        if draft is not None:
            text = "\n".join([*lines, "", *draft])
            return [Reply(text, (*buttons, *self._draft_buttons()), private=private)]
        return [Reply("\n".join(lines), (*buttons, *self._buttons()), private=private)]

    def _parent_status(self, mine: MyData) -> str:
        """Where the parent's confirmation stands: confirmed (a lead went to its school),
        waiting, or no school left to confirm for."""
        statuses = {lead.status for lead in mine.leads}
        if "active" in statuses:
            return self.r.t(T.DATA_PARENT_CONFIRMED)
        if "awaiting_parent" in statuses:
            return self.r.t(T.SURVEY_PARENT_AWAITING)
        return self.r.t(T.DATA_PARENT_NOT_SENT)

    def _draft(self, state: ConversationState) -> list[str] | None:
        """What an unfinished survey holds in the conversation, and how to drop it."""
        found = self.survey.draft(state)
        if found is None:
            return None
        title, lines = found
        t = self.r.t
        answers = lines or [f"• {t(T.DATA_DRAFT_NOTHING)}"]
        return [t(T.DATA_DRAFT, title=title), *answers, t(T.DATA_DRAFT_NOT_SENT)]

    def _questions(self, mine: MyData | None) -> list[str]:
        """The questions kept because the bot could not answer them (bot/core/unanswered.py):
        a heading, the newest few, and how many more."""
        if mine is None or not mine.question_count:
            return []
        t = self.r.t
        lines = [t(T.DATA_QUESTIONS, count=mine.question_count)]
        lines += [f"• {q[:200]}" for q in mine.questions]
        more = mine.question_count - len(mine.questions)
        if more > 0:
            lines.append(t(T.DATA_QUESTIONS_MORE, count=more))
        return lines

    def _draft_buttons(self) -> tuple[Button, ...]:
        t = self.r.t
        return (
            Button(t(T.SURVEY_CONTINUE), "sv:resume"),
            Button(t(T.SURVEY_CANCEL), "sv:cancel"),
            *self._buttons(),
        )

    async def _withdraw_menu(self, key: ConversationKey) -> list[Reply]:
        t = self.r.t
        mine = await self.leads.my_data(key) if self.leads is not None else None
        active = [
            lead
            for lead in (mine.leads if mine else ())
            if lead.status in ("active", "awaiting_parent")
        ]
        if not active:
            return [Reply(t(T.DATA_NOTHING_TO_WITHDRAW, school=""), self._buttons())]
        buttons = [
            Button(self.catalog.schools[lead.school_id].name, f"data:withdraw:{lead.school_id}")
            for lead in active
            if lead.school_id in self.catalog.schools
        ]
        return [Reply(t(T.DATA_WITHDRAW_PROMPT), (*buttons, self.r.home_button()))]
