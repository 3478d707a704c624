"""Legal documents the bot can describe (content/documents.yaml): the model, how each is
recognised in text, and the content checks that tie documents to the policies citing them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from bot.catalog.models import Confidence, Model, Source, _check_id
from bot.matching.doc_numbers import DocFinder, DocKey, scan
from bot.matching.normalize import fold
from bot.matching.words import words

if TYPE_CHECKING:  # load.py imports this module: no import of it at run time
    from bot.catalog.load import Catalog, Problem

DocKind = Literal[
    "nghi_dinh",
    "nghi_quyet",
    "quyet_dinh",
    "chi_thi",
    "thong_tu",
    "luat",
    "bo_luat",
    "ke_hoach",
    "cong_van",
    "chuong_trinh",
]
# in_force: in force as far as the sources say; replaced: another document took its place;
# ended: its period is over; unknown: the sources do not say (the card says so)
DocStatus = Literal["in_force", "replaced", "ended", "unknown"]


class Document(Model):
    """A legal or planning document: what it is, when it applies, what replaced it."""

    id: str
    kind: DocKind
    code: str = Field(min_length=3)  # its number as written: "81/2021/NĐ-CP", "21-CT/TW"
    title: str  # how the card names it; contains the code
    names: list[str] = Field(default_factory=list)  # a law's names without number ("Luật GDNN")
    issuer: str
    province: str | None = None  # former province id, for a provincial or local document
    issued: dt.date | None = None
    about: str = Field(min_length=20)  # what it regulates, one sentence, Vietnamese
    in_force_from: dt.date | None = None
    in_force_to: dt.date | None = None  # last day it applies
    window: str | None = None  # "các khóa tuyển sinh năm học 2023-2024 đến 2025-2026"
    status: DocStatus
    replaced_by: str | None = None  # document id
    replaced_from: dt.date | None = None
    amends: list[str] = Field(default_factory=list)  # document ids
    implements: list[str] = Field(default_factory=list)  # document ids
    confidence: Confidence
    unverified: list[str] = Field(default_factory=list)  # points not to state as certain
    check_at: str  # where the user can read or check the original
    sources: list[Source] = Field(min_length=1)  # shown on the card
    basis: list[str] = Field(min_length=1)  # where each fact comes from (brief, seed, policies)
    reviewed: dt.date

    _id = field_validator("id")(_check_id)

    @field_validator("code")
    @classmethod
    def _code_has_number(cls, code: str) -> str:
        if not code[:1].isdigit():
            raise ValueError("code must start with the document's number")
        return code

    @model_validator(mode="after")
    def _consistent(self) -> Document:
        if self.code not in self.title:
            raise ValueError(f"title must contain the code '{self.code}'")
        if self.status == "replaced" and self.replaced_by is None:
            raise ValueError("a replaced document names replaced_by")
        if self.replaced_by is not None and self.status != "replaced":
            raise ValueError("replaced_by is set: status must be replaced")
        if self.in_force_from and self.in_force_to and self.in_force_to < self.in_force_from:
            raise ValueError("in_force_to is before in_force_from")
        if self.confidence != "high" and not self.unverified:
            raise ValueError("not high confidence: list what is unverified")
        return self

    @property
    def number(self) -> int:
        """The number the code starts with: 81 for "81/2021/NĐ-CP"."""
        digits = ""
        for ch in self.code:
            if not ch.isdigit():
                break
            digits += ch
        return int(digits)

    @property
    def year(self) -> int | None:
        """The year of its code ("81/2021/NĐ-CP"), else of its issue date."""
        for word in words(self.code)[1:2]:
            if word.digit and len(word.text) == 4:
                return int(word.text)
        return self.issued.year if self.issued else None

    def symbol(self) -> frozenset[str]:
        """Folded words of the code after the number and year ("nd", "cp")."""
        year = str(self.year)
        return frozenset(w.text for w in words(self.code)[1:] if w.text != year)


def former_provinces(catalog: Catalog) -> dict[str, tuple[str, str]]:
    """Former province id ("long_an") -> (its name, the id of the province it is part of now).
    The 63 provinces before 01/7/2025: the 34 kept names and the absorbed ones."""
    out: dict[str, tuple[str, str]] = {}
    for province in catalog.provinces.values():
        short = province.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
        for name in (short, *province.absorbed):
            out[fold(name).replace(" ", "_")] = (name, province.id)
    return out


def doc_keys(catalog: Catalog) -> list[DocKey]:
    """How each document of the catalog is recognised in text."""
    former = former_provinces(catalog)
    keys: list[DocKey] = []
    for doc in catalog.documents.values():
        places: frozenset[str] = frozenset()
        if doc.province is not None and doc.province in former:
            places = frozenset((doc.province, former[doc.province][1]))
        keys.append(
            DocKey(
                doc.id,
                doc.kind,
                doc.number,
                doc.year,
                doc.symbol(),
                tuple(tuple(fold(n).split()) for n in doc.names),
                places,
                current=doc.status == "in_force",
            )
        )
    return keys


def places_of(catalog: Catalog, names: Iterable[str]) -> frozenset[str]:
    """Province ids (former and current) for province names as typed in content."""
    former = former_provinces(catalog)
    wanted = {fold(n).replace(" ", "_") for n in names}
    out: set[str] = set()
    for ident, (_name, current) in former.items():
        if ident in wanted or current in wanted:
            out |= {ident, current}
    return frozenset(out)


def entity_problems(catalog: Catalog, today: dt.date) -> list[Problem]:
    """Cards that point nowhere or are not recognised by their own number, documents cited by a
    policy (with a number) that have no card, districts of an unknown former province. Each is a
    failure of `content check`."""
    from bot.catalog.load import Problem  # load.py imports this module

    out: list[Problem] = []
    finder = DocFinder(doc_keys(catalog))
    former = former_provinces(catalog)

    def where(ident: str, prefix: str) -> tuple[str, str]:
        loc = catalog.origin.get(f"{prefix}:{ident}")
        return (loc.file, loc.key) if loc else ("?", ident)

    for doc in catalog.documents.values():
        file, key = where(doc.id, "doc")
        links = [("replaced_by", doc.replaced_by)] if doc.replaced_by else []
        links += [("amends", i) for i in doc.amends] + [("implements", i) for i in doc.implements]
        for field, ref in links:
            if ref not in catalog.documents:
                out.append(Problem(file, f"{key}.{field}", f"unknown document id '{ref}'"))
            elif ref == doc.id:
                out.append(Problem(file, f"{key}.{field}", "a document cannot point to itself"))
        if doc.province is not None and doc.province not in former:
            msg = f"unknown former province '{doc.province}'"
            out.append(Problem(file, f"{key}.province", msg))
        found = finder.find(doc.title, frozenset((doc.province,)) if doc.province else frozenset())
        if doc.id not in found.known:
            out.append(Problem(file, f"{key}.title", "its title is not recognised as this card"))
        if doc.status == "in_force" and doc.in_force_to is not None and doc.in_force_to < today:
            msg = f"ended {doc.in_force_to.isoformat()} but still marked in_force"
            out.append(Problem(file, f"{key}.status", msg))
    for policy in catalog.policies.values():
        file, key = where(policy.id, "policy")
        places = places_of(catalog, [policy.scope]) if policy.scope != "national" else frozenset()
        for index, source in enumerate(policy.sources):
            if not scan(source.document):
                continue  # a plan without a number (the seeds): nothing to recognise
            found = finder.find(source.document, places)
            if found.unknown or (not found.known and not found.choices):
                msg = f"'{source.document}' has no card in documents.yaml"
                out.append(Problem(file, f"{key}.sources[{index}]", msg))
            elif found.choices and not found.known:
                options = ", ".join(found.choices[0])
                msg = f"'{source.document}' could be several cards ({options}): write it in full"
                out.append(Problem(file, f"{key}.sources[{index}]", msg))
    for district in catalog.districts.values():
        if district.province not in former:
            file, key = where(district.id, "district")
            msg = f"unknown former province '{district.province}'"
            out.append(Problem(file, f"{key}.province", msg))
    return out
