"""Trust checks of content: cited sources, national vs local, invented data, openers, dates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from pydantic import BaseModel
from rapidfuzz import fuzz

from bot.catalog.load import Catalog, Problem
from bot.catalog.models import Faq, Source
from bot.matching.normalize import fold


def where(catalog: Catalog, kind: str, ident: str) -> tuple[str, str]:
    """The file and key a catalog entry was read from, for a problem's location."""
    loc = catalog.origin.get(f"{kind}:{ident}")
    return (loc.file, loc.key) if loc else ("?", ident)


# -- documents ---------------------------------------------------------------------------------

_KINDS = r"(?:Nghị định|Quyết định|Thông tư|Nghị quyết|Chỉ thị|Kế hoạch|Luật|Công văn|Pháp lệnh)"
_KIND = re.compile(_KINDS)
# "238/2025/NĐ-CP", "Nghị định 86/2015", "Luật ... 124/2025/QH15" (not a date: 12/7/2023)
_NUMBER_YEAR = re.compile(r"(?<![\d/.])(\d{1,4})/((?:19|20)\d{2})(?![\d/]\d)")
# "31/NQ-HĐND", "522/QĐ-TTg", "21-CT/TW", "12-NQ/TU", "233/KH-UBND" (numbered without a year)
_NUMBER_KIND = re.compile(r"(?<![\d/.])(\d{1,4})[/-](NQ|QĐ|CT|KH|TT|NĐ|CV)\b")
SAME_TITLE = 90  # token-set similarity (0-100) from which two unnumbered titles are one document


def _numbers(text: str) -> Iterator[tuple[int, str]]:
    """(position, key) of every document number in a text: "238/2025", "522-QĐ"."""
    for m in _NUMBER_YEAR.finditer(text):
        yield m.start(), f"{int(m.group(1))}/{m.group(2)}"
    for m in _NUMBER_KIND.finditer(text):
        yield m.start(), f"{int(m.group(1))}-{m.group(2)}"


def document_keys(text: str) -> set[str]:
    """The numbers of the legal documents a text names."""
    return {key for _, key in _numbers(text)}


def document_identity(document: str) -> str:
    """What makes two citations the same document: its own number when it leads the title
    ("Nghị định 238/2025/NĐ-CP"), else its folded title without parentheses ("Kế hoạch ...
    triển khai Chỉ thị 21-CT/TW" is a plan, not the directive)."""
    found = sorted(_numbers(document))
    if found:
        at, key = found[0]
        if not _KIND.search(document[:at], 1):  # no other document kind before the number
            return f"#{key}"
    return fold(_without_parentheses(document))


def _without_parentheses(text: str) -> str:
    """The text without its (parenthesised) parts; an unclosed "(" hides the rest."""
    out: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def same_document(a: str, b: str) -> bool:
    """Whether two identities (see document_identity) name the same document."""
    if a.startswith("#") or b.startswith("#"):
        return a == b
    return a == b or fuzz.token_set_ratio(a, b) >= SAME_TITLE


def cite(source: Source) -> str:
    """A citation as a user reads it (mirrors bot/core/flows/render.py `cite`)."""
    text = source.document
    if source.issued is not None:
        text += f" ngày {source.issued.day:02d}/{source.issued.month}/{source.issued.year}"
    return f"{text}, {source.article}" if source.article else text


def answer_sources(catalog: Catalog, faq: Faq) -> list[Source]:
    """The sources an FAQ answer cites, in order: the first source of each linked policy, then
    the FAQ's own: what the reply's "Căn cứ" line shows (tests/test_trust.py keeps them equal)."""
    first = [catalog.policies[p].sources[0] for p in faq.policies if p in catalog.policies]
    return first + list(faq.sources)


_OWN_SOURCES_LINE = re.compile(r"(?:📄|\b[Cc]ăn cứ\s*:)")


def _citation_problems(text: str, sources: list[Source]) -> list[str]:
    """Documents the text names that no cited source backs, documents cited twice, and a
    "Căn cứ:" written into the text (the reply adds that line from the sources)."""
    out: list[str] = []
    if _OWN_SOURCES_LINE.search(text):
        out.append("has its own 'Căn cứ:' line: list the documents in sources instead")
    backed: set[str] = set()
    for source in sources:
        backed |= document_keys(f"{source.document} {source.note or ''}")
    for key in sorted(document_keys(text) - backed):
        out.append(f"names document {key} but no cited source backs it (add it to sources)")
    unique: dict[str, Source] = {}
    for source in sources:  # the reply shows an exact repeat once
        unique.setdefault(cite(source), source)
    shown = list(unique.items())
    idents = [document_identity(s.document) for _, s in shown]
    for i, first in enumerate(idents):
        for j in range(i + 1, len(idents)):
            if same_document(first, idents[j]):
                out.append(f"cites one document twice: '{shown[i][0]}' and '{shown[j][0]}'")
    return out


def citations(catalog: Catalog) -> list[Problem]:
    """FAQ answers and policy summaries: every document named has a source; none is repeated."""
    out: list[Problem] = []
    for faq in catalog.faq.values():
        file, key = where(catalog, "faq", faq.id)
        for message in _citation_problems(faq.answer, answer_sources(catalog, faq)):
            out.append(Problem(file, f"{key}.answer", message))
    for policy in catalog.policies.values():
        file, key = where(catalog, "policy", policy.id)
        for message in _citation_problems(policy.summary, list(policy.sources)):
            out.append(Problem(file, f"{key}.summary", message))
    for kind, table in (("trade", catalog.trades), ("event", catalog.events)):
        for ident, item in table.items():
            file, key = where(catalog, kind, ident)
            for number in sorted(document_keys(_strings(item))):
                why = f"names document {number} but has no sources (move it to an FAQ or policy)"
                out.append(Problem(file, key, why))
    return out


# -- national or local -------------------------------------------------------------------------

# a plan, or a document of a People's Committee or Council or a provincial Party committee
_LOCAL = re.compile(r"^Kế hoạch|UBND|HĐND|Tỉnh ủy|/TU\b")


def is_local_document(document: str) -> bool:
    """A provincial, district or ward document (a plan, a People's Council resolution...)."""
    return bool(_LOCAL.search(document))


def local_only(catalog: Catalog) -> list[Problem]:
    """A current policy marked national must rest on at least one national document: a ward's
    or a province's plan says what that place did, not what the country does."""
    out: list[Problem] = []
    for policy in catalog.policies.values():
        if policy.scope != "national" or policy.status != "current":
            continue
        if all(is_local_document(s.document) for s in policy.sources):
            file, key = where(catalog, "policy", policy.id)
            why = "marked national and current but every source is a local document"
            out.append(Problem(file, f"{key}.scope", why))
    return out


# -- dates -------------------------------------------------------------------------------------

_SINCE = re.compile(r"\b[Tt]ừ (?:ngày )?(\d{1,2})/(\d{1,2})/(\d{4})")


def date_logic(catalog: Catalog) -> list[Problem]:
    """An answer saying "từ <date>, ..." must cite a document issued by then: a law signed
    later cannot be what supports it (dated sources only; undated ones are not judged)."""
    out: list[Problem] = []
    for faq in catalog.faq.values():
        issued = [s.issued for s in answer_sources(catalog, faq) if s.issued is not None]
        if not issued:
            continue
        for m in _SINCE.finditer(faq.answer):
            try:
                day = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            except ValueError:
                continue
            if min(issued) > day:
                file, key = where(catalog, "faq", faq.id)
                why = f"says '{m.group(0)}' but every dated source it cites was issued later"
                out.append(Problem(file, f"{key}.answer", why))
    return out


# -- yes/no openers ----------------------------------------------------------------------------

_YES_NO_OPENER = re.compile(r"^(Có|Không|Được|Đúng|Chưa|Rồi)\s*[.,!;:]")
_WH = re.compile(
    r"\b(gi|j|nao|bao nhieu|bao lau|bao gio|o dau|di dau|the nao|ra sao|lam sao|tai sao|"
    r"vi sao|ai)\b"
)


def is_wh_question(text: str) -> bool:
    """Whether a question asks what, which, how, where, when, who or how much (folded)."""
    return bool(_WH.search(fold(text)))


def yes_no_openers(catalog: Catalog) -> list[Problem]:
    """An answer opening with a bare "Có." / "Không." / "Được." while one of its phrasings
    asks something else ("được hỗ trợ gì?"): state the fact instead."""
    out: list[Problem] = []
    for faq in catalog.faq.values():
        opener = _YES_NO_OPENER.match(faq.answer)
        if opener is None:
            continue
        asked = [q for q in (faq.question, *faq.phrasings) if is_wh_question(q)]
        if asked:
            file, key = where(catalog, "faq", faq.id)
            why = f"opens with '{opener.group(0)}' but is asked '{asked[0]}': state the fact"
            out.append(Problem(file, f"{key}.answer", why))
    return out


# -- invented data -----------------------------------------------------------------------------

# a Vietnamese phone number as written (0xxx xxx xxxx, +84 ...), or a number with letters for
# digits ("0272 xxx xxxx")
_PHONE = re.compile(r"(?<![\w/])(?:\+84[ .-]?|0)[\dxX][\dxX .-]{7,14}[\dxX](?![\w/])")
_EXAMPLE_LABELS = {"example", "invalid", "localhost"}  # reserved names (RFC 2606, RFC 6761)
_SEPARATORS = str.maketrans("", "", " .-")
_EXAMPLE_NAME = re.compile(r"\((?:ví dụ|minh họa|demo|example)\)", re.IGNORECASE)


def placeholder(text: str) -> str | None:
    """A made-up phone number or website in a text, or None."""
    for m in _PHONE.finditer(text):
        digits = m.group(0).translate(_SEPARATORS).removeprefix("+84")
        tail = digits[-7:]
        if "x" in digits.lower() or len(set(tail)) == 1 or tail in ("1234567", "0123456"):
            return m.group(0)
    for word in text.split():  # a website: labels between dots, one of them reserved
        host = word.strip(".,;:!?()[]\"'").lower().split("://")[-1].split("/")[0]
        labels = host.split(".")
        if len(labels) > 1 and (_EXAMPLE_LABELS & set(labels) or labels[-1] == "test"):
            return host
    return None


def _strings(value: object) -> str:
    """Every string inside a model, joined (for scanning)."""
    if isinstance(value, BaseModel):
        return _strings(value.model_dump())
    if isinstance(value, dict):
        return "\n".join(_strings(v) for v in value.values())
    if isinstance(value, list | tuple):
        return "\n".join(_strings(v) for v in value)
    return value if isinstance(value, str) else ""


def invented(catalog: Catalog) -> list[Problem]:
    """No example school (menus and school lists show every school), no example or unsourced
    contact, no example event dates, and no placeholder phone number or website in anything a
    user reads."""
    out: list[Problem] = []
    for school in catalog.schools.values():
        file, key = where(catalog, "school", school.id)
        if school.example or _EXAMPLE_NAME.search(school.name):
            why = "example school: menus and school lists would show it (test fixtures only)"
            out.append(Problem(file, key, why))
        contact = school.contact
        if contact.example:
            out.append(Problem(file, f"{key}.contact", "example contact: remove it"))
        elif contact.details() and not (contact.source and contact.checked):
            why = "contact without `source` and `checked`: give both, or leave it empty"
            out.append(Problem(file, f"{key}.contact", why))
    for event in catalog.events.values():
        if event.example_dates:
            file, key = where(catalog, "event", event.id)
            why = "example dates are invented: say what the source gives (or that it gives none)"
            out.append(Problem(file, f"{key}.example_dates", why))
    tables: list[tuple[str, dict[str, BaseModel]]] = [
        ("school", dict(catalog.schools)),
        ("faq", dict(catalog.faq)),
        ("policy", dict(catalog.policies)),
        ("event", dict(catalog.events)),
        ("trade", dict(catalog.trades)),
        ("level", dict(catalog.levels)),
        ("survey", dict(catalog.surveys)),
    ]
    for kind, table in tables:
        for ident, item in table.items():
            found = placeholder(_strings(item))
            if found:
                file, key = where(catalog, kind, ident)
                out.append(Problem(file, key, f"placeholder phone or website '{found}'"))
    for name, text in catalog.texts.items():
        found = placeholder(text)
        if found:
            out.append(Problem("texts.yaml", f"texts.{name}", f"placeholder '{found}'"))
    return out
