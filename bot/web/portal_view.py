"""HTML of the school portal: the filter form, lead cards, a lead's page with its status form
and audit log. Every text from content/texts.yaml; every value escaped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.leads.cells import VIETNAM
from bot.leads.records import PARENT_STEP, Names
from bot.storage.access import Session
from bot.storage.lead_status import (
    CLI_INVITE,
    PARENT_ACTION,
    STATUSES,
    WAITING,
    WITHDRAWN,
    AuditEntry,
    PortalLead,
)
from bot.storage.lead_updates import confirmation
from bot.web.auth import csrf_input
from bot.web.forms import select_field
from bot.web.html import esc, query

FILTER_FIELDS = ("khao_sat", "lop", "nghe", "tu", "den", "trang_thai")


class PortalView:
    """Renders portal pages from the catalog's texts and names."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.names = Names(catalog)

    def t(self, key: str, **values: object) -> str:
        return self.catalog.texts[key].format(**values)

    def status_label(self, status: str) -> str:
        return self.catalog.texts.get(f"portal_status_{status}", status)

    @staticmethod
    def when(moment: dt.datetime) -> str:
        return f"{moment.astimezone(VIETNAM):%H:%M %d/%m/%Y}"

    # -- the list ------------------------------------------------------------------------

    def _select(
        self, name: str, label: str, options: Sequence[tuple[str, str]], chosen: str
    ) -> str:
        return select_field(name, label, options, chosen, self.t(T.PORTAL_FILTER_ANY))

    def filters(self, values: dict[str, str], ignored: bool) -> str:
        """The GET form that narrows the list (works without any script)."""
        surveys = [(s.id, s.title) for s in self.catalog.surveys.values()]
        grades = sorted({s.grade for s in self.catalog.surveys.values()})
        trades = sorted(((t.id, t.name) for t in self.catalog.trades.values()), key=lambda x: x[1])
        statuses = [(s, self.status_label(s)) for s in (*STATUSES, WAITING, WITHDRAWN)]
        dates = "".join(
            f'<div class="field"><label for="f-{name}">{esc(self.t(key))}</label>'
            f'<input type="date" id="f-{name}" name="{name}" value="{esc(values.get(name, ""))}">'
            "</div>"
            for name, key in (("tu", T.PORTAL_FILTER_FROM), ("den", T.PORTAL_FILTER_TO))
        )
        warning = f'<p class="warn" role="status">{esc(self.t(T.PORTAL_FILTER_IGNORED))}</p>'
        open_ = " open" if any(values.get(f) for f in FILTER_FIELDS) or ignored else ""
        return (
            f'<details class="filters"{open_}><summary>{esc(self.t(T.PORTAL_FILTERS))}</summary>'
            + (warning if ignored else "")
            + '<form method="get" action="/truong" class="grid">'
            + self._select("trang_thai", self.t(T.PORTAL_FILTER_STATUS), statuses,
                           values.get("trang_thai", ""))
            + self._select("khao_sat", self.t(T.PORTAL_FILTER_SURVEY), surveys,
                           values.get("khao_sat", ""))
            + self._select("lop", self.t(T.PORTAL_FILTER_GRADE),
                           [(str(g), self.t(T.PORTAL_GRADE_OPTION, grade=g)) for g in grades],
                           values.get("lop", ""))
            + self._select("nghe", self.t(T.PORTAL_FILTER_TRADE), trades, values.get("nghe", ""))
            + dates
            + f'<div class="actions"><button class="primary" type="submit">'
            f"{esc(self.t(T.PORTAL_FILTER_APPLY))}</button>"
            f'<a class="button" href="/truong">{esc(self.t(T.PORTAL_FILTER_CLEAR))}</a></div>'
            "</form></details>"
        )  # fmt: skip

    def exports(self, values: dict[str, str]) -> str:
        links = "".join(
            f'<a class="button" href="/truong/xuat{esc(query({**values, "dinh_dang": fmt}))}">'
            f"{esc(self.t(key))}</a>"
            for fmt, key in (("csv", T.PORTAL_EXPORT_CSV), ("xlsx", T.PORTAL_EXPORT_XLSX))
        )
        return (
            f'<div class="exports">{links}'
            f'<p class="hint">{esc(self.t(T.PORTAL_EXPORT_NOTE))}</p></div>'
        )

    def _badge(self, status: str) -> str:
        return f'<span class="badge s-{esc(status)}">{esc(self.status_label(status))}</span>'

    def _heading(self, lead: PortalLead, level: str = "h2") -> str:
        record = lead.record
        name = record.personal.get("name")
        shown = str(name) if name and not lead.withdrawn else self.t(T.PORTAL_NO_NAME)
        if lead.withdrawn:
            shown = self._ended(lead)[0]
        return f"<{level}>{esc(shown)}</{level}>"

    def _ended(self, lead: PortalLead) -> tuple[str, str]:
        """Heading and text of a lead that will not (or no longer) reach the school: the
        student withdrew (or erased their data), the parent declined, or never confirmed."""
        if lead.state == "declined":
            return self.t(T.PORTAL_DECLINED), self.t(T.PORTAL_DECLINED_TEXT)
        if lead.state == "expired":
            return self.t(T.PORTAL_EXPIRED), self.t(T.PORTAL_EXPIRED_TEXT)
        if lead.state == "deleted":  # datarights (review3 C4): the student erased their data
            return self.t(T.PORTAL_ERASED), self.t(T.PORTAL_ERASED_TEXT)
        return self.status_label(WITHDRAWN), self.t(T.PORTAL_WITHDRAWN_TEXT)

    def parent_state(self, lead: PortalLead) -> str:
        """Whether and how the parent confirmed (in the bot, or on the school's phone call)."""
        record = lead.record
        if record.parent_how is not None and record.parent_at is not None:
            key = (
                T.PORTAL_PARENT_BY_PHONE
                if record.parent_how == "school_phone"
                else T.PORTAL_PARENT_BY_BOT
            )
            said = self.t(key, when=self.when(record.parent_at))
            # parentsafe: who typed the code is not known: the school phones the parent first
            verified = confirmation(record.parent_how)[1]
            note = T.PORTAL_PARENT_VERIFIED if verified else T.PORTAL_PARENT_UNVERIFIED
            return said if record.parent_how == "school_phone" else f"{said}. {self.t(note)}"
        if lead.waiting or not record.parent_confirmed:
            return self.t(T.PORTAL_PARENT_UNCONFIRMED)
        return self.t(T.PORTAL_PARENT_CONFIRMED)

    def _facts(self, lead: PortalLead, full: bool) -> str:
        """The lead's details as a definition list."""
        record, names = lead.record, self.names
        rows: list[tuple[str, str]] = []
        personal, answers = record.personal, record.answers
        if personal.get("phone"):
            phone = str(personal["phone"])
            rows.append((self.t(T.PORTAL_FIELD_PHONE), _tel(phone)))
        parent = personal.get(PARENT_STEP)
        if parent:
            confirmed = self.parent_state(lead)
            rows.append((self.t(T.PORTAL_FIELD_PARENT), f"{_tel(str(parent))} ({esc(confirmed)})"))
        if personal.get("school_class"):
            rows.append((self.t(T.PORTAL_FIELD_CLASS), esc(personal["school_class"])))
        if answers.get("plan"):
            label = names.plan(record.survey_id, str(answers["plan"]))
            rows.append((self.t(T.PORTAL_FIELD_PLAN), esc(label)))
        trades = [names.trade(str(t)) for t in answers.get("trades") or []]
        if trades:
            rows.append((self.t(T.PORTAL_FIELD_TRADES), esc(", ".join(trades))))
        place = [str(answers[k]) for k in ("commune",) if answers.get(k)]
        if answers.get("province"):
            place.append(names.province(str(answers["province"])))
        if place:
            rows.append((self.t(T.PORTAL_FIELD_PLACE), esc(", ".join(place))))
        rows.append((self.t(T.PORTAL_FIELD_RECEIVED), esc(self.when(record.created_at))))
        if full:
            rows.append((self.t(T.PORTAL_FIELD_CHANNEL), esc(record.channel)))
            if record.consent_at is not None:
                consent = f"{self.when(record.consent_at)} ({record.consent_version or ''})"
                rows.append((self.t(T.PORTAL_FIELD_CONSENT), esc(consent)))
        items = "".join(f"<div><dt>{esc(k)}</dt><dd>{v}</dd></div>" for k, v in rows)
        return f'<dl class="facts">{items}</dl>'

    def card(self, lead: PortalLead) -> str:
        record = lead.record
        sub = self.t(
            T.PORTAL_GRADE_SURVEY, grade=record.grade, survey=self.names.survey(record.survey_id)
        )
        if lead.withdrawn:
            return (
                f'<li class="card withdrawn">{self._heading(lead)}<p class="sub">{esc(sub)}</p>'
                f"<p>{esc(self._ended(lead)[1])}</p>"
                f'<p class="sub">{esc(self.t(T.PORTAL_FIELD_RECEIVED))}: '
                f"{esc(self.when(record.created_at))}</p></li>"
            )
        note = f'<p class="note">{esc(_short(lead.note))}</p>' if lead.note else ""
        badge = self._badge(WAITING if lead.waiting else lead.status)
        kind = "card waiting" if lead.waiting else "card"
        return (
            f'<li class="{kind}">{self._heading(lead)}'
            f'<p class="sub">{esc(sub)} {badge}</p>{self._facts(lead, full=False)}{note}'
            f'<a class="button" href="/truong/hs/{esc(record.lead_id)}">'
            f'{esc(self.t(T.PORTAL_DETAILS))}<span class="sr"> ({esc(_plain_name(lead))})</span>'
            "</a></li>"
        )  # fmt: skip

    def pager(self, values: dict[str, str], page_no: int, pages: int) -> str:
        if pages <= 1:
            return ""
        parts = []
        if page_no > 1:
            href = "/truong" + query({**values, "trang": str(page_no - 1)})
            parts.append(f'<a class="button" href="{esc(href)}">{esc(self.t(T.PORTAL_PREV))}</a>')
        parts.append(f"<span>{esc(self.t(T.PORTAL_PAGE, n=page_no, total=pages))}</span>")
        if page_no < pages:
            href = "/truong" + query({**values, "trang": str(page_no + 1)})
            parts.append(f'<a class="button" href="{esc(href)}">{esc(self.t(T.PORTAL_NEXT))}</a>')
        return (
            f'<nav class="pager" aria-label="{esc(self.t(T.PORTAL_PAGES))}">{"".join(parts)}</nav>'
        )

    def listing(self, leads: Sequence[PortalLead], total: int) -> str:
        count = f'<p class="count" role="status">{esc(self.t(T.PORTAL_COUNT, n=total))}</p>'
        if not leads:
            return count + f'<p class="notice">{esc(self.t(T.PORTAL_EMPTY))}</p>'
        return count + f'<ul class="cards">{"".join(self.card(lead) for lead in leads)}</ul>'

    # -- one lead ------------------------------------------------------------------------

    def lead_page(
        self, lead: PortalLead, session: Session, audit: Sequence[AuditEntry], message: str
    ) -> str:
        record = lead.record
        back = f'<p><a class="back" href="/truong">{esc(self.t(T.PORTAL_BACK))}</a></p>'
        sub = self.t(
            T.PORTAL_GRADE_SURVEY, grade=record.grade, survey=self.names.survey(record.survey_id)
        )
        said = f'<p class="ok" role="status">{esc(message)}</p>' if message else ""
        if lead.withdrawn:
            return (
                f'{back}<section class="panel">{self._heading(lead)}<p class="sub">{esc(sub)}</p>'
                f"{said}<p>{esc(self._ended(lead)[1])}</p></section>{self.audit(audit)}"
            )
        if lead.waiting:
            return (
                f'{back}<section class="panel">{self._heading(lead)}<p class="sub">{esc(sub)} '
                f"{self._badge(WAITING)}</p>{self._facts(lead, full=True)}</section>"
                f"{self.parent_form(lead, session, said)}{self.audit(audit)}"
            )
        options = "".join(
            f'<option value="{s}"{" selected" if s == lead.status else ""}>'
            f"{esc(self.status_label(s))}</option>"
            for s in STATUSES
        )
        form = (
            f'<section class="panel"><h2>{esc(self.t(T.PORTAL_STATUS_FORM))}</h2>{said}'
            f'<form method="post" action="/truong/hs/{esc(record.lead_id)}">{csrf_input(session)}'
            f'<div class="field"><label for="status">{esc(self.t(T.PORTAL_FILTER_STATUS))}</label>'
            f'<select id="status" name="trang_thai">{options}</select></div>'
            f'<div class="field"><label for="note">{esc(self.t(T.PORTAL_NOTE))}</label>'
            f'<textarea id="note" name="ghi_chu" rows="3" maxlength="1000" '
            f'aria-describedby="note-hint">{esc(lead.note or "")}</textarea>'
            f'<p class="hint" id="note-hint">{esc(self.t(T.PORTAL_NOTE_HINT))}</p></div>'
            f'<button class="primary" type="submit">{esc(self.t(T.PORTAL_SAVE))}</button>'
            "</form></section>"
        )
        return (
            f'{back}<section class="panel">{self._heading(lead)}<p class="sub">{esc(sub)} '
            f"{self._badge(lead.status)}</p>{self._facts(lead, full=True)}</section>"
            f"{form}{self.audit(audit)}"
        )  # fmt: skip

    def parent_form(self, lead: PortalLead, session: Session, said: str) -> str:
        """portal2: record the answer the parent gave on the school's phone call."""
        record = lead.record
        parent = record.personal.get(PARENT_STEP)
        phone = local_phone(str(parent)) if parent else self.t(T.PORTAL_EMPTY_VALUE)
        intro = self.t(
            T.PORTAL_PARENT_FORM_INTRO, phone=phone, version=record.consent_version or ""
        )
        return (
            f'<section class="panel"><h2>{esc(self.t(T.PORTAL_PARENT_FORM))}</h2>{said}'
            f"<p>{esc(self.t(T.PORTAL_WAITING_TEXT))}</p><p>{esc(intro)}</p>"
            f'<form method="post" action="/truong/hs/{esc(record.lead_id)}/phu-huynh">'
            f'{csrf_input(session)}<div class="actions">'
            f'<button class="primary" type="submit" name="y_kien" value="dong_y">'
            f"{esc(self.t(T.PORTAL_PARENT_YES))}</button>"
            f'<button class="button" type="submit" name="y_kien" value="khong_dong_y">'
            f"{esc(self.t(T.PORTAL_PARENT_NO))}</button></div></form></section>"
        )

    def who(self, entry: AuditEntry) -> str:
        if entry.invite_id == CLI_INVITE:
            return self.t(T.PORTAL_AUDIT_CLI)
        return entry.label or self.t(T.PORTAL_INVITE_LABEL, n=entry.invite_id)

    def change(self, entry: AuditEntry) -> str:
        empty = self.t(T.PORTAL_EMPTY_VALUE)
        if entry.action == PARENT_ACTION:
            agreed = entry.new == "school_phone"
            return self.t(T.PORTAL_AUDIT_PARENT_YES if agreed else T.PORTAL_AUDIT_PARENT_NO)
        if entry.action == "status":
            return self.t(
                T.PORTAL_AUDIT_STATUS,
                old=self.status_label(entry.old or ""),
                new=self.status_label(entry.new or ""),
            )
        return self.t(T.PORTAL_AUDIT_NOTE, old=entry.old or empty, new=entry.new or empty)

    def audit(self, entries: Sequence[AuditEntry]) -> str:
        title = f'<h2 id="audit">{esc(self.t(T.PORTAL_AUDIT))}</h2>'
        if not entries:
            return (
                f'<section class="panel">{title}<p>{esc(self.t(T.PORTAL_AUDIT_NONE))}</p></section>'
            )
        head = "".join(
            f'<th scope="col">{esc(self.t(k))}</th>'
            for k in (T.PORTAL_AUDIT_WHEN, T.PORTAL_AUDIT_WHO, T.PORTAL_AUDIT_WHAT)
        )
        rows = "".join(
            f"<tr><td>{esc(self.when(e.at))}</td><td>{esc(self.who(e))}</td>"
            f"<td>{esc(self.change(e))}</td></tr>"
            for e in reversed(entries)
        )
        return (
            f'<section class="panel">{title}<div class="scroll" role="region" '
            f'aria-labelledby="audit" tabindex="0"><table class="audit"><thead><tr>{head}</tr>'
            f"</thead><tbody>{rows}</tbody></table></div></section>"
        )


def local_phone(phone: str) -> str:
    """A Vietnamese number as people write it (+84912345678 -> 0912 345 678); others as
    stored."""
    if phone.startswith("+84") and phone[1:].isdigit() and len(phone) == 12:
        local = "0" + phone[3:]
        return f"{local[:4]} {local[4:7]} {local[7:]}"
    return phone


def _tel(phone: str) -> str:
    """A phone number as a tap-to-call link (only digits and + reach the href)."""
    digits = "".join(c for c in phone if c.isascii() and (c.isdigit() or c == "+"))
    if not digits:
        return esc(phone)
    return f'<a href="tel:{esc(digits)}">{esc(local_phone(phone))}</a>'


def _short(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain_name(lead: PortalLead) -> str:
    name = lead.record.personal.get("name")
    return str(name) if name else lead.record.lead_id[:8]
