"""Render catalog items (FAQ, policy, trade, school, level, event) as replies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.catalog import Catalog
from bot.catalog.models import (
    Event,
    Faq,
    Level,
    Policy,
    School,
    Source,
    Trade,
    related_payload,
)
from bot.catalog.text_keys import SCREEN_LABELS, T
from bot.core.flows.schools_gate import Participation
from bot.core.flows.schools_search import Query, field_of, find, teaches
from bot.core.messages import Button, Reply


def vn_date(day: dt.date) -> str:
    """Vietnamese date format: 03/9/2025."""
    return f"{day.day:02d}/{day.month}/{day.year}"


def cite(source: Source) -> str:
    """'Nghị định 238/2025/NĐ-CP ngày 03/9/2025, Điều 15'."""
    parts = [source.document]
    if source.issued is not None:
        parts[0] += f" ngày {vn_date(source.issued)}"
    if source.article:
        parts.append(source.article)
    return ", ".join(parts)


def is_historical(policy: Policy, today: dt.date) -> bool:
    """A policy is historical when marked so or when its last day has passed."""
    return policy.status == "historical" or (
        policy.effective_to is not None and policy.effective_to < today
    )


class Renderer:
    """Builds reply text and buttons for catalog items."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # task directory: which schools receive leads (refreshed by the flows), and the
        # directory's screens for the menus ("back" renders them again)
        self.participation = Participation()
        self.directory_screen: Callable[[str], Reply | None] | None = None

    def t(self, key: str, **values: object) -> str:
        return self.catalog.text(key, **values)

    def home_button(self) -> Button:
        return Button(self.t(T.HOME), "home")

    def nav_buttons(self) -> tuple[Button, ...]:
        return (Button(self.t(T.BACK), "back"), self.home_button())

    def label_for(self, payload: str) -> str | None:
        """The human label of a payload that names a catalog item, or None if unknown."""
        if payload in SCREEN_LABELS:  # the school directory, the eligibility check
            return self.t(SCREEN_LABELS[payload])
        kind, _, ident = payload.partition(":")
        cat = self.catalog
        if kind == "faq" and ident in cat.faq:
            return cat.faq[ident].question
        if kind == "trade" and ident in cat.trades:
            return f"Nghề {cat.trades[ident].name}"
        if kind == "school" and ident in cat.schools:
            return cat.schools[ident].name
        if kind == "policy" and ident in cat.policies:
            return cat.policies[ident].title
        if kind == "level" and ident in cat.levels:
            return cat.levels[ident].name
        if kind == "event" and ident in cat.events:
            return cat.events[ident].name
        return None

    def _policy_notes(self, policy: Policy, today: dt.date) -> list[str]:
        notes: list[str] = []
        if is_historical(policy, today):
            window = policy.window or (
                f"đến {vn_date(policy.effective_to)}" if policy.effective_to else policy.title
            )
            notes.append(self.t(T.POLICY_HISTORICAL, window=window))
        return notes

    def sources_line(self, sources: list[Source]) -> str | None:
        unique = list(dict.fromkeys(cite(s) for s in sources))
        return self.t(T.SOURCES, sources="; ".join(unique)) if unique else None

    def faq(self, faq: Faq, today: dt.date) -> Reply:
        lines = [faq.answer]
        sources: list[Source] = []
        for pid in faq.policies:
            policy = self.catalog.policies[pid]
            lines.extend(self._policy_notes(policy, today))
            sources.append(policy.sources[0])  # the primary document; the policy card has all
        sources.extend(faq.sources)
        src = self.sources_line(sources)
        if src:
            lines.append(src)
        payloads = [related_payload(p) for p in faq.related]
        buttons = [Button(label, p) for p in payloads if (label := self.label_for(p))]
        buttons.append(self.home_button())
        return Reply("\n\n".join(lines), tuple(buttons), title=faq.question, source=src)

    def policy(self, policy: Policy, today: dt.date) -> Reply:
        lines = [policy.title.upper(), policy.summary]
        if policy.who:
            lines.append("\n".join(f"• {w}" for w in policy.who))
        lines.extend(self._policy_notes(policy, today))
        if policy.effective_from or policy.effective_to:
            start = f"từ {vn_date(policy.effective_from)}" if policy.effective_from else ""
            until = f"đến {vn_date(policy.effective_to)}" if policy.effective_to else ""
            lines.append(self.t(T.POLICY_EFFECTIVE, period=f"{start} {until}".strip()))
        if policy.unverified:
            lines.append(self.t(T.POLICY_UNVERIFIED, items="; ".join(policy.unverified)))
        if policy.refer_to:
            lines.append(self.t(T.POLICY_REFER, where=policy.refer_to))
        src = self.sources_line(list(policy.sources))
        if src:
            lines.append(src)
        lines.append(self.t(T.POLICY_REVIEWED, date=vn_date(policy.reviewed)))
        return Reply("\n\n".join(lines), self.nav_buttons(), title=lines[0], source=src)

    def trade(self, trade: Trade, province: str | None = None, home: str | None = None) -> Reply:
        """A trade's card; with `province` (a province id the message named), only the schools
        there, or an honest line that the list has none there; with `home` (the student's
        province, task directory), the schools there first."""
        cat = self.catalog
        levels = ", ".join(cat.levels[lv].name for lv in trade.levels)
        lines = [
            f"NGHỀ {trade.name.upper()}",
            trade.description,
            self.t(T.TRADE_LEVELS, levels=levels),
        ]
        if trade.work_places:
            lines.append(self.t(T.TRADE_WORK_PLACES, places=trade.work_places))
        field = field_of(cat, trade)
        if province is not None:
            # schoolfix: the schools of the field button's search there, so that the card never
            # says "no school" where the button shows one
            found = find(cat, Query(province, None, trade.id, None))
            schools, likely = found.taught, found.likely
        else:
            # invented demo schools are never offered as a place to study
            schools = [s for s in cat.schools.values() if teaches(s, trade) and not s.example]
            likely = []
            if home is not None:
                schools.sort(key=lambda s: s.province != home)  # stable: file order otherwise
        buttons: list[Button] = []
        place = cat.provinces.get(province or "")
        if schools:
            lines.append(self.t(T.TRADE_SCHOOLS, schools=", ".join(s.name for s in schools[:5])))
            buttons.extend(Button(s.name, f"school:{s.id}") for s in schools[:5])
        elif likely and place is not None and field is not None:
            names = ", ".join(s.name for s in likely[:5])
            lines.append(
                self.t(
                    T.TRADE_FIELD_SCHOOLS_IN, province=place.name, field=field.name, schools=names
                )
            )
            buttons.extend(Button(s.name, f"school:{s.id}") for s in likely[:5])
        elif place is not None:
            key = T.TRADE_NOT_LISTED_IN if field is None else T.TRADE_NOT_LISTED_IN_FIELD
            button = self.t(T.TRADE_FIELD_SCHOOLS, field=field.name) if field else ""
            lines.append(self.t(key, province=place.name, button=button))
        else:
            lines.append(self.t(T.TRADE_NO_SCHOOLS))
        if len(schools) + len(likely) < 5 and field is not None:  # its field's schools, grounds
            where = province or home or "-"
            query = f"dir:q:{where}:-:{trade.id}:{field.id}"
            buttons.append(Button(self.t(T.TRADE_FIELD_SCHOOLS, field=field.name), query))
        buttons.extend(self.nav_buttons())
        return Reply("\n\n".join(lines), tuple(buttons), title=lines[0])

    def school(self, school: School) -> Reply:
        """A school's card (bot/core/flows/schools_view.py)."""
        from bot.core.flows.schools_view import school_card

        return school_card(self, school, self.participation.receives(school.id))

    def level(self, level: Level) -> Reply:
        lines = [
            level.name.upper(),
            level.summary,
            f"• Thời gian: {level.duration}\n• Ai được học: {level.entry}\n"
            f"• Văn bằng: {level.qualification}\n• Học tiếp: {level.leads_to}",
        ]
        src = self.sources_line(list(level.sources))
        if src:
            lines.append(src)
        return Reply("\n\n".join(lines), self.nav_buttons(), title=lines[0], source=src)

    def event(self, event: Event) -> Reply:
        lines = [
            event.name.upper(),
            event.summary,
            self.t(T.EVENT_WHEN, when=event.when),
            self.t(T.EVENT_WHERE, where=event.where),
        ]
        if event.example_dates:
            lines.append(self.t(T.EVENT_EXAMPLE_DATES))
        return Reply("\n\n".join(lines), self.nav_buttons(), title=lines[0])
