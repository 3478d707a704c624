"""What students and parents read about parent confirmation (issue 12): the code with its
links, and the request a parent confirms or declines."""

from __future__ import annotations

import datetime as dt

from bot.catalog.text_keys import T
from bot.core.flows.parent_words import compact, parent_code
from bot.core.flows.render import Renderer
from bot.core.flows.survey_answers import show_phone
from bot.core.messages import Button, Reply
from bot.core.ports import LeadSink, ParentCode, ParentDesk, ParentLinks, ParentRequest

AMENDS = "amends"  # in a survey run: it corrects the person's last submission
# datarights (review3 C3): in a correction's run, the parent's number a parent already
# confirmed with: while the answer keeps it, the summary says "Đã xác nhận" (the store keeps
# those leads confirmed)
CONFIRMED_PARENT = "confirmed_parent"
VIETNAM = dt.timezone(dt.timedelta(hours=7))
AGREE, DECLINE, CODE = "pc:yes", "pc:no", "pc:code"
OPEN = "pc:open:"  # + the code's 8 characters
DECLINE_SURE, LATER = "pc:no:sure", "pc:later"  # flowfix: a no confirmed; not decided yet
# parentsafe: "agree, and share my phone": a channel that can ask for a verified phone
# (VERIFIED_PHONE_CHANNELS) shows it as that request; pressed as a button, it explains
SHARE = "pc:share"


def desk_of(leads: LeadSink | None) -> ParentDesk | None:
    """The parent desk behind a LeadSink, when it has one (the database's has)."""
    return leads if isinstance(leads, ParentDesk) else None


class ParentView:
    """Replies about parent codes."""

    def __init__(self, renderer: Renderer, leads: LeadSink | None) -> None:
        self.r = renderer
        self.desk = desk_of(leads)

    @property
    def links(self) -> ParentLinks:
        return self.desk.links if self.desk is not None else ParentLinks()

    def code_lines(self, code: ParentCode) -> list[str]:
        """The code, when it expires, and where a parent opens it (web, Telegram, anywhere)."""
        t = self.r.t
        date = code.expires_at.astimezone(VIETNAM).strftime("%d/%m/%Y")
        lines = [t(T.PARENT_CODE, code=code.code, date=date)]
        body = parent_code(code.code) or ""
        links = self.links
        if links.web:
            lines.append(t(T.PARENT_LINK_WEB, url=f"{links.web}/?ma={compact(body)}"))
        if links.telegram:
            url = f"https://t.me/{links.telegram}?start={compact(body)}"
            lines.append(t(T.PARENT_LINK_TELEGRAM, url=url))
        lines.append(t(T.PARENT_CODE_ANYWHERE, code=code.code))
        return lines

    def code_reply(self, code: ParentCode | None) -> Reply:
        """A student's new code (earlier ones stop), or: nothing waits for a parent."""
        if code is None:
            return Reply(self.r.t(T.PARENT_NOTHING_WAITING), (self.r.home_button(),))
        return Reply("\n\n".join(self.code_lines(code)), (self.r.home_button(),), private=True)

    def request(
        self, asked: ParentRequest, kept: list[str], consent: str | None, share: bool = False
    ) -> Reply:
        """What the student chose and agreed to, and the parent's two buttons (and, where the
        channel can vouch for a phone, "agree and share my phone": parentsafe)."""
        t = self.r.t
        catalog = self.r.catalog
        survey = catalog.surveys.get(asked.survey_id)
        lines = [t(T.PARENT_INTRO, survey=survey.title if survey else asked.survey_id)]
        details: list[str] = []
        name = asked.personal.get("name")
        if name:
            details.append(t(T.PARENT_STUDENT, name=name))
        details += kept
        schools = ", ".join(catalog.school_name(s) for s in asked.schools)
        details.append(t(T.PARENT_SCHOOLS, schools=schools))
        phone = asked.personal.get("parent_consent")
        if phone:
            details.append(t(T.PARENT_PHONE, phone=show_phone(str(phone))))
        lines.append("\n".join(details))
        if consent:
            lines.append(f"{t(T.PARENT_CONSENT_TEXT)}\n{consent}")
        lines.append(t(T.PARENT_ASK))
        if share:
            lines.append(t(T.PARENT_SHARE_HINT))
        buttons = (
            Button(t(T.PARENT_AGREE_BUTTON), AGREE, role="primary"),
            Button(t(T.PARENT_DECLINE_BUTTON), DECLINE),
            self.r.home_button(),
            *self.share_buttons(share),  # last: "1" still picks "✅ Tôi đồng ý"
        )
        return Reply("\n\n".join(lines), buttons, private=True)

    def share_buttons(self, share: bool) -> tuple[Button, ...]:
        """ "Agree and share my phone", where the channel can vouch for a phone (parentsafe)."""
        return (Button(self.r.t(T.PARENT_SHARE_BUTTON), SHARE, role="primary"),) if share else ()

    def confirmed(self, decided: ParentRequest, schools: str, shared: bool) -> Reply:
        """Thanks, and how strong the confirmation is (parentsafe): verified by a phone the
        platform vouches for, or not (the school phones the parent first)."""
        t = self.r.t
        lines = [t(T.PARENT_CONFIRMED, schools=schools)]
        phone = show_phone(str(decided.personal.get("parent_consent") or ""))
        if decided.verified:
            lines.append(t(T.PARENT_CONFIRMED_VERIFIED))
        elif shared:
            lines.append(t(T.PARENT_SHARE_MISMATCH, phone=phone))
        else:
            lines.append(t(T.PARENT_CONFIRMED_UNVERIFIED, phone=phone))
        return Reply("\n\n".join(lines), (self.r.home_button(),))

    # -- flowfix: a no asked once more; "not yet" keeps the code --

    def decline_check(self) -> Reply:
        """Before a no deletes the child's data: are you sure?"""
        t = self.r.t
        buttons = (
            Button(t(T.PARENT_DECLINE_SURE_BUTTON), DECLINE_SURE, role="destructive"),
            Button(t(T.PARENT_LATER_BUTTON), LATER),
            Button(t(T.PARENT_AGREE_BUTTON), AGREE, role="primary"),
        )
        return Reply(t(T.PARENT_DECLINE_CHECK), buttons, private=True)

    def later(self, date: str, share: bool = False) -> Reply:
        """Not decided yet: the code keeps working until it expires."""
        t = self.r.t
        text = t(T.PARENT_LATER, date=date) if date else t(T.PARENT_LATER_NO_DATE)
        buttons = (
            Button(t(T.PARENT_AGREE_BUTTON), AGREE, role="primary"),
            Button(t(T.PARENT_DECLINE_BUTTON), DECLINE),
            self.r.home_button(),
            *self.share_buttons(share),  # last: "1" still picks "✅ Tôi đồng ý"
        )
        return Reply(text, buttons, private=True)
