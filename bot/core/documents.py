"""Screens for entities: a legal document's card ("doc:<id>") and where a former district is
today ("district:<id>"). Menus with these two screens more; every other screen is Menus'."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from bot.catalog.districts import District
from bot.catalog.documents import Document
from bot.catalog.text_keys import T
from bot.core.flows.menus import Menus
from bot.core.flows.render import cite, vn_date
from bot.core.messages import Button, Reply
from bot.matching.documents import DocumentIndex
from bot.matching.normalize import fold

MAX_ANSWERS = 4  # answer buttons on a card
_DISTRICT_KINDS = {
    "quan": T.DISTRICT_QUAN,
    "huyen": T.DISTRICT_HUYEN,
    "thi_xa": T.DISTRICT_THI_XA,
    "thanh_pho": T.DISTRICT_THANH_PHO,
}


class EntityMenus(Menus):
    """Menus, plus the document card and the former district's screen."""

    @cached_property
    def documents(self) -> DocumentIndex:
        """Which answers rest on which document (built when a card is first shown)."""
        return DocumentIndex(self.catalog)

    def screen(self, payload: str, today: dt.date) -> Reply | None:
        kind, _, ident = payload.partition(":")
        if kind == "doc":
            doc = self.catalog.documents.get(ident)
            return self.card(doc, today) if doc is not None else None
        if kind == "district":
            district = self.catalog.districts.get(ident)
            return self.district(district) if district is not None else None
        return super().screen(payload, today)

    # -- document card ----------------------------------------------------------------------

    def _titles(self, idents: list[str]) -> str:
        docs = self.catalog.documents
        return ", ".join(docs[i].title for i in idents if i in docs)

    def card(self, doc: Document, today: dt.date) -> Reply:
        """What the document is, when it applies, what replaced it, which answers rest on it."""
        t = self.r.t
        lines = [t(T.DOC_OPEN, title=doc.title)]
        if doc.issued is not None:
            lines.append(t(T.DOC_ISSUED, date=vn_date(doc.issued), issuer=doc.issuer))
        else:
            lines.append(t(T.DOC_ISSUED_UNKNOWN, issuer=doc.issuer))
        lines.append(t(T.DOC_ABOUT, about=doc.about))
        lines.extend(self._validity(doc, today))
        lines.extend(self._relations(doc))
        if doc.unverified:
            lines.append(t(T.POLICY_UNVERIFIED, items="; ".join(doc.unverified)))
        lines.append(t(T.DOC_CHECK_AT, where=doc.check_at))
        sources = "; ".join(dict.fromkeys(cite(s) for s in doc.sources))
        src = t(T.DOC_SOURCES, sources=sources)
        lines.append(src)
        lines.append(t(T.POLICY_REVIEWED, date=vn_date(doc.reviewed)))
        answers = [
            Button(label, payload)
            for payload in self.documents.cited_by.get(doc.id, [])
            if (label := self.r.label_for(payload))
        ][:MAX_ANSWERS]
        lines.append(t(T.DOC_ANSWERS) if answers else t(T.DOC_NO_ANSWERS))
        others = [doc.replaced_by] if doc.replaced_by else []
        others += [d.id for d in self.catalog.documents.values() if d.replaced_by == doc.id]
        links = [
            Button(t(T.DOC_OPEN, title=self.catalog.documents[i].title), f"doc:{i}")
            for i in others
            if i in self.catalog.documents
        ][:2]
        buttons = (*answers, *links, *self.r.nav_buttons())
        return Reply("\n\n".join(lines), buttons, title=lines[0], source=src)

    def _validity(self, doc: Document, today: dt.date) -> list[str]:
        t = self.r.t
        lines: list[str] = []
        period = " ".join(
            part
            for part in (
                f"từ {vn_date(doc.in_force_from)}" if doc.in_force_from else "",
                f"đến {vn_date(doc.in_force_to)}" if doc.in_force_to else "",
            )
            if part
        )
        ended = doc.status == "ended" or (doc.in_force_to is not None and doc.in_force_to < today)
        if period:
            lines.append(t(T.DOC_IN_FORCE, period=period))
        elif doc.status in ("in_force", "unknown") and not doc.window:
            lines.append(t(T.DOC_IN_FORCE_UNKNOWN))
        if doc.window and not ended:
            lines.append(t(T.DOC_WINDOW, window=doc.window))
        if doc.status == "replaced" and doc.replaced_by in self.catalog.documents:
            title = self.catalog.documents[doc.replaced_by].title
            if doc.replaced_from is not None:
                lines.append(t(T.DOC_REPLACED, document=title, date=vn_date(doc.replaced_from)))
            else:
                lines.append(t(T.DOC_REPLACED_UNDATED, document=title))
        elif ended:
            key = T.DOC_ENDED if doc.window else T.DOC_ENDED_NO_WINDOW
            lines.append(t(key, window=doc.window or ""))
        elif doc.status == "in_force":
            lines.append(t(T.DOC_IN_FORCE_NOW, date=vn_date(doc.reviewed)))
        else:
            lines.append(t(T.DOC_STATUS_UNKNOWN))
        return lines

    def _relations(self, doc: Document) -> list[str]:
        t = self.r.t
        docs = self.catalog.documents.values()
        pairs = [
            (T.DOC_REPLACES, [d.id for d in docs if d.replaced_by == doc.id]),
            (T.DOC_AMENDS, doc.amends),
            (T.DOC_AMENDED_BY, [d.id for d in docs if doc.id in d.amends]),
            (T.DOC_IMPLEMENTS, doc.implements),
            (T.DOC_IMPLEMENTED_BY, [d.id for d in docs if doc.id in d.implements]),
        ]
        return [t(key, documents=self._titles(ids)) for key, ids in pairs if self._titles(ids)]

    # -- former district --------------------------------------------------------------------

    def district(self, district: District) -> Reply:
        """Which former province the district was in, and which province that is part of now."""
        t, cat = self.r.t, self.catalog
        former_name, province = None, None
        for candidate in cat.provinces.values():
            short = candidate.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
            for name in (short, *candidate.absorbed):
                if fold(name).replace(" ", "_") == district.province:
                    former_name, province = name, candidate
        if former_name is None or province is None:  # content check keeps this from happening
            return Reply(t(T.FALLBACK), self.r.nav_buttons())
        kept = former_name not in province.absorbed  # the province kept this one's name
        kind_key = T.FORMER_THANH_PHO if kept and province.kind == "thanh_pho" else T.FORMER_TINH
        former = t(kind_key, name=former_name)
        short = province.name.removeprefix("Thành phố ")
        now = t(T.FORMER_THANH_PHO if province.kind == "thanh_pho" else T.FORMER_TINH, name=short)
        kind = t(_DISTRICT_KINDS[district.kind])
        lines = [t(T.DISTRICT_WHERE, kind=kind, name=district.name, former=former)]
        name = f"{kind} {district.name}" if district.name.isdigit() else district.name  # Quận 1
        if not kept:
            lines.append(t(T.DISTRICT_MERGED, former=former, province=now, name=name))
        elif province.absorbed:
            absorbed = ", ".join(province.absorbed)
            lines.append(t(T.DISTRICT_KEPT_WITH, province=now, absorbed=absorbed, name=name))
        else:
            lines.append(t(T.DISTRICT_KEPT, province=now, name=name))
        lines.append(t(T.DISTRICT_COMMUNE))
        lines.append(t(T.DISTRICT_SOURCE))
        buttons: list[Button] = []
        if any(s.province == province.id and not s.example for s in cat.schools.values()):
            buttons.append(Button(t(T.DISTRICT_SCHOOLS, province=now), f"province:{province.id}"))
        return Reply("\n\n".join(lines), (*buttons, *self.r.nav_buttons()))
