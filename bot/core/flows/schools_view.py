"""School directory screens: a school's card, the province and level pickers, search results."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.catalog.models import School, shown_source
from bot.catalog.text_keys import T
from bot.core.flows.schools_places import first, resolve, sentence
from bot.core.flows.schools_search import Directory, Found, Query
from bot.core.messages import Button, Reply
from bot.matching.normalize import fold

if TYPE_CHECKING:  # render imports this module
    from bot.core.flows.render import Renderer

LIST_BUTTONS = 8  # schools offered as buttons on one screen
LIST_NAMES = 12  # schools named in the text of one screen


def first_source(school: School) -> str:
    """The first of a school's sources a user may see (the others are in
    content/schools.yaml)."""
    # content check refuses a school with no source a user may see
    return shown_source(school.source) or ""


def school_card(r: Renderer, school: School, receives: bool) -> Reply:
    """A school's card: what a source says of it, how to contact it, and whether it receives
    requests through the bot (only when an operator switched it on)."""
    from bot.core.flows.render import vn_date

    cat = r.catalog
    head = school.name.upper()
    province = cat.provinces.get(school.province)
    province_name = province.name if province is not None else school.province
    former = cat.former_province_name(school)
    head += f"\n{province_name}" + (f" (trước đây: {former})" if former else "")
    lines = [head]
    if school.summary:
        lines.append(school.summary)
    if school.ownership == "public":
        lines.append(r.t(T.DIR_PUBLIC))
    levels = ", ".join(cat.levels[lv].name for lv in school.levels if lv in cat.levels)
    lines.append(r.t(T.SCHOOL_LEVELS, levels=levels))
    if school.trades_named:
        lines.append(r.t(T.DIR_TRADES_NAMED, trades=", ".join(school.trades_named)))
    else:
        lines.append(r.t(T.DIR_NO_TRADES))
    contact = school.contact
    address = contact.address
    # an address in the former province's units ("Phường 7, Thành phố Tân An, Long An"): said,
    # so it is not read as today's (a reviewer)
    if former and address and fold(former) in fold(address):
        address += " " + r.t(T.SCHOOL_OLD_ADDRESS)
    bits = [b for b in (address, contact.phone, contact.website) if b]
    if bits:
        key = T.SCHOOL_EXAMPLE_CONTACT if contact.example else T.SCHOOL_CONTACT
        lines.append(r.t(key, contact=" · ".join(bits)))
    else:  # never a made-up number: say there is none, and who knows
        lines.append(r.t(T.DIR_NO_CONTACT, province=province_name))
    lines.append(r.t(T.DIR_RECEIVES if receives else T.DIR_NOT_RECEIVING))
    if school.example:
        lines.append(r.t(T.SCHOOL_EXAMPLE))
    source = r.t(T.DIR_SOURCE, source=first_source(school), date=vn_date(school.checked))
    lines.append(source)
    buttons: list[Button] = []
    if receives:
        buttons.append(Button(r.t(T.MENU_SURVEY), "survey:start"))
    buttons.append(Button(r.t(T.DIR_MORE_IN, province=province_name), f"dir:p:{school.province}"))
    # a card in the web chat: the name as its title, the source under "Căn cứ"
    return Reply("\n\n".join(lines), (*buttons, *r.nav_buttons()), title=head, source=source)


def province_picker(r: Renderer) -> Reply:
    """Every province, as buttons; a province may also be typed (its former name too)."""
    buttons = [Button(p.name, f"dir:p:{p.id}") for p in r.catalog.provinces.values()]
    return Reply(r.t(T.DIR_PICK_PROVINCE), (*buttons, *r.nav_buttons()))


def level_picker(r: Renderer, directory: Directory, province: str) -> Reply | None:
    """The levels taught in a province's schools (with counts), and "all levels"."""
    place = r.catalog.provinces.get(province)
    if place is None:
        return None
    schools = directory.in_province(province)
    buttons: list[Button] = []
    for level in r.catalog.levels.values():
        count = sum(1 for s in schools if level.id in s.levels)
        if count:
            label = f"{level.name} ({count})"
            buttons.append(Button(label, Query(province, level.id).payload()))
    buttons.append(Button(r.t(T.DIR_ALL_LEVELS, count=len(schools)), Query(province).payload()))
    buttons.append(Button(r.t(T.DIR_OTHER_PROVINCE), "menu:schools"))
    return Reply(r.t(T.DIR_PICK_LEVEL, province=place.name), (*buttons, *r.nav_buttons()))


def _names(schools: list[School], r: Renderer, with_province: bool) -> str:
    shown = schools[:LIST_NAMES]
    lines = []
    for school in shown:
        where = ""
        if with_province and school.province in r.catalog.provinces:
            where = f" ({r.catalog.provinces[school.province].name})"
        lines.append(f"• {school.name}{where}")
    if len(schools) > len(shown):
        lines.append(r.t(T.DIR_AND_MORE, count=len(schools) - len(shown)))
    return "\n".join(lines)


def results(r: Renderer, directory: Directory, query: Query, found: Found) -> Reply:
    """The schools a search found: those a source says teach it, those of that kind of school
    (to confirm), else the others there; honest when there is none."""
    cat = r.catalog
    place = cat.provinces.get(query.province or "")
    where = r.t(T.DIR_IN, province=place.name) if place else r.t(T.DIR_ANYWHERE)
    asked = query.trade or query.field
    what = directory.describe(Query(None, None, query.trade, query.field))
    lines = [r.t(T.DIR_HEAD, what=directory.describe(query) or where)]
    listed: list[School] = []
    national = place is None
    if asked and found.taught:
        lines.append(r.t(T.DIR_TAUGHT, what=what) + "\n" + _names(found.taught, r, national))
        listed += found.taught
    if asked and found.likely:
        lines.append(r.t(T.DIR_LIKELY, what=what) + "\n" + _names(found.likely, r, national))
        listed += found.likely
    if asked and not listed:
        if found.others and place is not None:
            lines.append(r.t(T.DIR_NONE_TAUGHT, what=what, where=where))
            lines.append(_names(found.others, r, national))
            listed += found.others
        else:
            lines.append(r.t(T.DIR_NONE_TAUGHT_ANYWHERE, what=what, where=where))
    if not asked:
        if found.taught:
            lines.append(_names(found.taught, r, national))
            listed += found.taught
        else:
            lines.append(r.t(T.DIR_NONE, where=where))
    if place is not None and not listed:
        lines.append(r.t(T.DIR_ASK_SO, province=place.name))
    buttons = [Button(s.name, f"school:{s.id}") for s in listed[:LIST_BUTTONS]]
    if place is not None:
        buttons.append(Button(r.t(T.DIR_OTHER_LEVEL), f"dir:p:{place.id}"))
    buttons.append(Button(r.t(T.DIR_OTHER_PROVINCE), "menu:schools"))
    return Reply("\n\n".join(lines), (*buttons, *r.nav_buttons()))


def province_schools(
    r: Renderer, directory: Directory, province: str, former: str | None
) -> Reply | None:
    """A province's schools, for a place typed alone (schoolfix); with `former` (a former
    province's id, "long_an", or a former district's, schoolfix2), where it is now, and the
    former province's schools first."""
    return searched(r, directory, Query(province, near=former))


def searched(r: Renderer, directory: Directory, query: Query) -> Reply | None:
    """A search's results; with a former place named (`query.near`), one sentence saying where
    it is now, and that former province's schools first (schoolfix2). None for a former place
    that is not part of the province (a forged or stale payload)."""
    if query.near is None:
        if query.province is not None and query.province not in r.catalog.provinces:
            return None
        return results(r, directory, query, directory.find(query))
    near = resolve(r.catalog, query.province or "", query.near)
    if near is None:
        return None
    found = directory.find(query)
    found = Found(first(found.taught, near), first(found.likely, near), first(found.others, near))
    reply = results(r, directory, query, found)
    head, _, rest = reply.text.partition("\n\n")
    return replace(reply, text="\n\n".join((head, sentence(r.t, near), rest)))


def one_after_another(r: Renderer, directory: Directory, queries: list[Query]) -> Reply | None:
    """Several provinces' schools in one screen, in the order the message named them
    (schoolfix2); each province's first schools as buttons."""
    replies = [searched(r, directory, q) if q.province else None for q in queries]
    shown = [reply for reply in replies if reply is not None]
    if len(shown) != len(queries):
        return None
    each = max(1, LIST_BUTTONS // len(shown))
    buttons: list[Button] = []
    for reply in shown:
        schools = [b for b in reply.buttons if b.payload.startswith("school:")]
        buttons += [b for b in schools if b not in buttons][:each]
    buttons.append(Button(r.t(T.DIR_OTHER_PROVINCE), "menu:schools"))
    text = "\n\n".join(reply.text for reply in shown)
    return Reply(text, (*buttons, *r.nav_buttons()))
