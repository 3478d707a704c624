"""The dashboard's tables, built from the people who count (bot.storage.stats): by grade,
province, former province, former district, commune, plan, trade; the vocational share next
to the targets; the funnel; the leads' states. Every count goes through dashboard_cells."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.catalog import Catalog
from bot.catalog.documents import former_provinces
from bot.catalog.targets import Target
from bot.catalog.text_keys import T
from bot.leads.records import Names
from bot.matching.entities import DistrictIndex, ProvinceIndex
from bot.matching.normalize import fold
from bot.storage.lead_status import NEW, STATUSES
from bot.storage.stats import Person, Snapshot
from bot.web.dashboard_cells import SMALL, Shown, one, percent, protect, share

SEEN_MAX = 20_000  # (province, commune answer) pairs whose place is remembered


@dataclass(frozen=True)
class Row:
    """A row: its label and its cells (counts as shown, or plain texts: shares, sources)."""

    label: str
    cells: list[Shown | str]


@dataclass
class Table:
    """One table: an id (its anchor and export name), a title, column headers (the first is
    the label column's), rows, a note, and which column a bar chart draws (None: no chart)."""

    id: str
    title: str
    header: list[str]
    rows: list[Row] = field(default_factory=list)
    note: str = ""
    chart: int | None = 0
    aside: int | None = None  # a cell shown under the row's label on the page (a source)


class Places:
    """Where a person lives, from their answers: the province today, the former province and
    former district where the answers tell them (a province that absorbed none is its own
    former province; a former district named in the commune answer gives both)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.former = former_provinces(catalog)  # id -> (name, province today)
        self.own: dict[str, str] = {}  # province today that absorbed none -> its former id
        for ident, (_name, today) in self.former.items():
            if not catalog.provinces[today].absorbed:
                self.own[today] = ident
        self.districts = DistrictIndex(catalog, ProvinceIndex(catalog))
        self._seen: dict[tuple[str, str], tuple[str | None, str | None]] = {}

    def of(self, answers: dict[str, Any]) -> tuple[str | None, str | None]:
        """(former province id, former district id), None where unknown."""
        province = answers.get("province")
        if not isinstance(province, str) or province not in self.catalog.provinces:
            return None, None
        commune = answers.get("commune")
        text = commune if isinstance(commune, str) else ""
        key = (province, text)
        if key not in self._seen:
            if len(self._seen) >= SEEN_MAX:  # what students type has no end: stay bounded
                self._seen.clear()
            self._seen[key] = self._resolve(province, text)
        return self._seen[key]

    def _resolve(self, province: str, commune: str) -> tuple[str | None, str | None]:
        for mention in self.districts.mentions(commune) if commune else []:
            district = mention.district
            if self.former.get(district.province, ("", ""))[1] == province:
                return district.province, district.id
        return self.own.get(province), None


class Tables:
    """Builds every table of the dashboard for one snapshot."""

    def __init__(self, catalog: Catalog, places: Places) -> None:
        self.catalog = catalog
        self.names = Names(catalog)
        self.places = places
        self.grades = sorted({s.grade for s in catalog.surveys.values()})

    def t(self, key: str, **values: object) -> str:
        return self.catalog.texts[key].format(**values)

    def grade_label(self, grade: int) -> str:
        return self.t(T.DASH_GRADE, grade=grade)

    # -- helpers -----------------------------------------------------------------------

    def _by_grade(
        self,
        ident: str,
        title: str,
        label_head: str,
        counts: dict[str, Counter[int]],
        order: Sequence[str],
        note: str = "",
        totals: bool = True,
    ) -> Table:
        """Rows by some key, a column per grade and their total, a total row."""
        matrix = [[counts[key][g] for g in self.grades] for key in order]
        header = [label_head, *(self.grade_label(g) for g in self.grades), self.t(T.DASH_TOTAL)]
        table = Table(ident, title, header, note=note, chart=len(self.grades))
        if not matrix:
            return table
        shown = protect(matrix, row_totals=True, column_totals=totals)
        labels = [*order, self.t(T.DASH_ALL)] if totals else list(order)
        table.rows = [Row(label, list(cells)) for label, cells in zip(labels, shown, strict=True)]
        return table

    @staticmethod
    def _count(people: Sequence[Person], key: Callable[[Person], str]) -> dict[str, Counter[int]]:
        counts: dict[str, Counter[int]] = {}
        for person in people:
            counts.setdefault(key(person), Counter())[person.grade] += 1
        return counts

    # -- the tables ----------------------------------------------------------------------

    def all(self, snap: Snapshot) -> list[Table]:
        """Every table, the funnel first."""
        return [self.funnel(snap), *self.of_people(snap.people)]

    def of_people(self, people: Sequence[Person]) -> list[Table]:
        """Every table but the funnel (which also counts the runs in progress)."""
        tables = [
            self.targets(people),
            self.by_grade(people),
            self.by_province(people),
            self.by_former_province(people),
            self.by_district(people),
            self.by_commune(people),
        ]
        tables += [self.by_plan(people, survey) for survey in self.catalog.surveys]
        tables += [self.by_trade(people), self.lead_states(people)]
        return tables

    def by_grade(self, people: Sequence[Person]) -> Table:
        counts = Counter(p.grade for p in people)
        table = Table("theo-lop", self.t(T.DASH_T_GRADE), [self.t(T.DASH_H_GRADE),
                      self.t(T.DASH_H_PEOPLE)])  # fmt: skip
        shown = protect([[counts[g]] for g in self.grades], column_totals=True)
        labels = [*(self.grade_label(g) for g in self.grades), self.t(T.DASH_ALL)]
        table.rows = [Row(label, list(c)) for label, c in zip(labels, shown, strict=True)]
        return table

    def by_province(self, people: Sequence[Person]) -> Table:
        unknown = self.t(T.DASH_UNKNOWN)

        def key(p: Person) -> str:
            province = p.answers.get("province")
            return self.names.province(province) if isinstance(province, str) else unknown

        counts = self._count(people, key)
        order = sorted((k for k in counts if k != unknown), key=fold)
        order += [unknown] if unknown in counts else []
        return self._by_grade("theo-tinh", self.t(T.DASH_T_PROVINCE),
                              self.t(T.DASH_H_PROVINCE), counts, order)  # fmt: skip

    def by_former_province(self, people: Sequence[Person]) -> Table:
        unknown = self.t(T.DASH_UNKNOWN_FORMER)

        def key(p: Person) -> str:
            former, _ = self.places.of(p.answers)
            return self.places.former[former][0] if former else unknown

        counts = self._count(people, key)
        order = sorted((k for k in counts if k != unknown), key=fold)
        order += [unknown] if unknown in counts else []
        return self._by_grade("theo-tinh-cu", self.t(T.DASH_T_FORMER), self.t(T.DASH_H_FORMER),
                              counts, order, note=self.t(T.DASH_N_FORMER))  # fmt: skip

    def by_district(self, people: Sequence[Person]) -> Table:
        unknown = self.t(T.DASH_UNKNOWN_DISTRICT)

        def key(p: Person) -> str:
            _, district = self.places.of(p.answers)
            if district is None:
                return unknown
            d = self.catalog.districts[district]
            return f"{d.name} ({self.places.former[d.province][0]})"

        counts = self._count(people, key)
        order = sorted((k for k in counts if k != unknown), key=fold)
        order += [unknown] if unknown in counts else []
        return self._by_grade("theo-huyen-cu", self.t(T.DASH_T_DISTRICT),
                              self.t(T.DASH_H_DISTRICT), counts, order,
                              note=self.t(T.DASH_N_DISTRICT))  # fmt: skip

    def by_commune(self, people: Sequence[Person]) -> Table:
        """Communes as typed: a commune fewer than 5 people named is pooled with the others
        (what a child typed is never shown unless 5 people typed the same place)."""
        none, pooled = self.t(T.DASH_NO_COMMUNE), self.t(T.DASH_OTHER_COMMUNES)
        spelling: dict[str, str] = {}

        def key(p: Person) -> str:
            commune = p.answers.get("commune")
            if not isinstance(commune, str) or not commune.strip():
                return none
            province = p.answers.get("province")
            place = self.names.province(province) if isinstance(province, str) else ""
            folded = f"{fold(commune.strip())}|{place}"
            spelling.setdefault(folded, f"{commune.strip()[:60]}, {place}".strip(", "))
            return folded

        counts = self._count(people, key)
        merged: dict[str, Counter[int]] = {}
        for k, c in counts.items():
            label = none if k == none else spelling[k] if c.total() >= SMALL else pooled
            merged.setdefault(label, Counter()).update(c)
        order = sorted((k for k in merged if k not in (none, pooled)), key=fold)
        order += [k for k in (pooled, none) if k in merged]
        return self._by_grade("theo-xa", self.t(T.DASH_T_COMMUNE), self.t(T.DASH_H_COMMUNE),
                              merged, order, note=self.t(T.DASH_N_COMMUNE))  # fmt: skip

    def by_plan(self, people: Sequence[Person], survey_id: str) -> Table:
        survey = self.catalog.surveys[survey_id]
        options = [o for s in survey.steps if s.id == "plan" for o in s.options]
        mine = [p for p in people if p.survey_id == survey_id]
        counts = Counter(str(p.answers.get("plan")) for p in mine)
        rows = [(o.label, counts[o.id]) for o in options]
        known = {o.id for o in options}
        missing = sum(n for plan, n in counts.items() if plan not in known)
        if missing:
            rows.append((self.t(T.DASH_UNKNOWN), missing))
        table = Table(f"du-dinh-{survey_id}", self.t(T.DASH_T_PLAN, survey=survey.title),
                      [self.t(T.DASH_H_PLAN), self.t(T.DASH_H_PEOPLE), self.t(T.DASH_H_SHARE)],
                      note=self.t(T.DASH_N_SHARE))  # fmt: skip
        shown = protect([[n] for _, n in rows], column_totals=True)
        total = shown[-1][0]
        for (label, _), (cell,) in zip(rows, shown, strict=False):
            table.rows.append(Row(label, [cell, share(cell, total)]))
        table.rows.append(Row(self.t(T.DASH_ALL), [total, ""]))
        return table

    def by_trade(self, people: Sequence[Person]) -> Table:
        def trades(p: Person) -> list[str]:
            chosen = p.answers.get("trades")
            return [str(t) for t in chosen] if isinstance(chosen, list) else []

        counts: dict[str, Counter[int]] = {}
        for person in people:
            for trade in dict.fromkeys(trades(person)):
                counts.setdefault(self.names.trade(trade), Counter())[person.grade] += 1
        order = sorted(counts, key=lambda k: (-counts[k].total(), fold(k)))
        return self._by_grade("theo-nghe", self.t(T.DASH_T_TRADE), self.t(T.DASH_H_TRADE),
                              counts, order, note=self.t(T.DASH_N_TRADE), totals=False)  # fmt: skip

    def funnel(self, snap: Snapshot) -> Table:
        return self.funnel_of(self.funnel_counts(snap.people), snap.in_progress)

    @staticmethod
    def funnel_counts(people: Sequence[Person]) -> tuple[int, int, int, int, int]:
        """People who submitted, agreed to be contacted, reached a school, were contacted by
        it, enrolled."""
        return (
            len(people),
            sum(p.lead for p in people),
            sum(p.reached for p in people),
            sum(p.contacted for p in people),
            sum(p.enrolled for p in people),
        )

    def funnel_of(self, counts: tuple[int, int, int, int, int], in_progress: int) -> Table:
        """The funnel from `funnel_counts` and the runs in progress."""
        submitted, lead, reached, contacted, enrolled = counts
        stages = [
            (T.DASH_F_STARTED, submitted + in_progress),
            (T.DASH_F_SUBMITTED, submitted),
            (T.DASH_F_LEAD, lead),
            (T.DASH_F_REACHED, reached),
            (T.DASH_F_CONTACTED, contacted),
            (T.DASH_F_ENROLLED, enrolled),
        ]
        table = Table("pheu", self.t(T.DASH_T_FUNNEL), [self.t(T.DASH_H_STAGE),
                      self.t(T.DASH_H_PEOPLE), self.t(T.DASH_H_OF_SUBMITTED)],
                      note=self.t(T.DASH_N_FUNNEL))  # fmt: skip
        cells = [one(n) for _, n in stages]
        for (key, _), cell in zip(stages, cells, strict=True):
            of = share(cell, cells[1], complement=False) if key != T.DASH_F_STARTED else ""
            table.rows.append(Row(self.t(key), [cell, of]))
        return table

    def lead_states(self, people: Sequence[Person]) -> Table:
        """Leads (one per person and school) by where they are: waiting for a parent, declined,
        at the school by the portal's status, withdrawn."""
        counts: Counter[str] = Counter()
        for person in people:
            for status, mark in person.leads:
                counts[
                    f"portal_status_{mark}" if status == "active" else f"dash_lead_{status}"
                ] += 1
        order = [f"portal_status_{s}" for s in STATUSES]
        order += ["dash_lead_awaiting_parent", "dash_lead_declined", "dash_lead_expired",
                  "dash_lead_withdrawn", "dash_lead_deleted"]  # fmt: skip
        order += sorted(k for k in counts if k not in order)
        texts = self.catalog.texts

        def label(key: str) -> str:
            if key.startswith("portal_status_"):
                return self.t(T.DASH_AT_SCHOOL, status=texts.get(key, key))
            return texts.get(key, key.removeprefix("dash_lead_"))

        rows = [(label(k), counts[k]) for k in order]
        if not any(counts.values()):
            rows = [(label(f"portal_status_{NEW}"), 0)]
        table = Table("luot-chuyen", self.t(T.DASH_T_LEADS), [self.t(T.DASH_H_STATE),
                      self.t(T.DASH_H_LEADS)], note=self.t(T.DASH_N_LEADS))  # fmt: skip
        shown = protect([[n] for _, n in rows], column_totals=True)
        labels = [*(label for label, _ in rows), self.t(T.DASH_ALL)]
        table.rows = [Row(label, list(c)) for label, c in zip(labels, shown, strict=True)]
        return table

    # -- targets -------------------------------------------------------------------------

    def targets(self, people: Sequence[Person]) -> Table:
        """Each target next to the share of its grade's respondents in its area who plan a
        level it counts; for a former province now part of a larger one, the whole province
        today too (for reference: most answers do not say which former province)."""
        table = Table("chi-tieu", self.t(T.DASH_T_TARGETS), [
            self.t(T.DASH_H_AREA), self.t(T.DASH_H_RESPONDENTS), self.t(T.DASH_H_VOCATIONAL),
            self.t(T.DASH_H_SHARE), self.t(T.DASH_H_TARGET), self.t(T.DASH_H_SOURCE),
        ], note=self.t(T.DASH_N_TARGETS), chart=None, aside=4)  # fmt: skip
        located = [(p, *self.places.of(p.answers)) for p in people]
        referenced: set[tuple[str, int]] = set()
        for target in self.catalog.targets.values():
            mine = [p for p, former, district in located if p.grade == target.grade
                    and former == target.province
                    and (target.district is None or district == target.district)]  # fmt: skip
            table.rows.append(self._target_row(target, mine))
            today = self.places.former[target.province][1]
            if target.district is None and self.catalog.provinces[today].absorbed:
                if (today, target.grade) in referenced:
                    continue
                referenced.add((today, target.grade))
                whole = [p for p, _, _ in located if p.grade == target.grade
                         and p.answers.get("province") == today]  # fmt: skip
                label = self.t(T.DASH_WHOLE_PROVINCE, province=self.names.province(today),
                               grade=self.grade_label(target.grade))  # fmt: skip
                none = self.t(T.DASH_NO_TARGET)
                table.rows.append(self._share_row(label, whole, target.plans, none, ""))
        return table

    def _target_row(self, target: Target, people: Sequence[Person]) -> Row:
        area = self.places.former[target.province][0]
        if target.district is not None:
            area = f"{self.catalog.districts[target.district].name} ({area})"
        label = f"{area}, {self.grade_label(target.grade)}"
        source = self.t(T.DASH_SOURCE, seed=target.source.seed[:3], section=target.source.section,
                        year=target.school_year)  # fmt: skip
        return self._share_row(label, people, target.plans, percent(target.value, 2), source)

    @staticmethod
    def _share_row(
        label: str, people: Sequence[Person], plans: Sequence[str], target: str, source: str
    ) -> Row:
        vocational = sum(1 for p in people if p.answers.get("plan") in plans)
        # the others are a hidden cell of the row: a shown total may not give them away
        part, _, whole = protect([[vocational, len(people) - vocational]], row_totals=True)[0]
        return Row(label, [whole, part, share(part, whole), target, source])
