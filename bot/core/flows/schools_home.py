"""The province remembered for the conversation (province, review3 W7): the last place the user
gave (the quiz's province, the survey's, a place named in a schools question, a former province
as today's), so that "học cắt gọt kim loại ở đâu" or "trường nghề nào gần em", naming no place,
answers for that province first and says so. Only the province id is kept, in the conversation
state: it goes with the conversation ("xóa dữ liệu của tôi", retention)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.catalog import Catalog
from bot.catalog.models import School, Trade
from bot.catalog.text_keys import T
from bot.core.flows.schools_search import NOT_A_SEARCH, QUERY, Query, find, teaches
from bot.core.messages import Button, Reply
from bot.core.ports import ConversationState

if TYPE_CHECKING:  # render imports the directory's modules
    from bot.core.flows.render import Renderer

HOME = "home_province"  # ConversationState.data: a province id, nothing else
WHERE = "dir:w:"  # dir:w:<trade>:<province>: where to study a trade, in the remembered province
# dir:g:<province>:<level>:<trade>:<field>: a search that named no place ("trường nghề nào gần
# em", "học ngành y ở đâu"), in the remembered province
NEAR = "dir:g:"
ELSEWHERE = 4  # schools elsewhere named when none in the province teaches the trade
_SURVEY = "survey"  # the survey's run in ConversationState.data (survey_rules.RUN_KEY)
_SEEN = "home_seen"  # in a flow's run: its province answer already taken as the remembered one
_KEPT = "home_kept"  # the same, in an eligibility check's run stored before (conversations then)
_LEGACY = "directory"  # the directory kept its own "home" before (conversations stored then)
# a schools question that asks for schools near the user, not in a named place (folded words)
_NEAR_WORDS = (
    "gan e",
    "gan em",
    "gan minh",
    "gan toi",
    "gan nha",
    "gan day",
    "gan nhat",
    "gan cho",
    "gan khu",
    "gan noi",
    "o gan",
    "quanh day",
    "quanh nha",
    "xung quanh",
)
_SCHOOL_WORDS = ("truong", "hoc nghe", "cao dang", "trung cap", "co so dao tao")


def remember(state: ConversationState, catalog: Catalog, province: str | None) -> None:
    """Keep a province the user gave as the one to answer for (an unknown id is ignored)."""
    if province is not None and province in catalog.provinces:
        state.data[HOME] = province


def remembered(state: ConversationState, catalog: Catalog) -> str | None:
    """The province to answer for when a question names none, if the user gave one."""
    adopt_survey(state, catalog)
    found = state.data.get(HOME)
    if not isinstance(found, str):
        legacy = state.data.get(_LEGACY)
        found = legacy.get("home") if isinstance(legacy, dict) else None
    return found if isinstance(found, str) and found in catalog.provinces else None


def adopt_survey(state: ConversationState, catalog: Catalog) -> None:
    """The survey's province answer becomes the remembered one (see `adopt`)."""
    run = state.data.get(_SURVEY)
    if not isinstance(run, dict) or run.get("id") not in catalog.surveys:
        return
    answers = run.get("answers")
    if not isinstance(answers, dict):
        return
    steps = catalog.surveys[run["id"]].steps
    step = next((s for s in steps if s.type == "province"), None)
    if step is not None:
        adopt(state, catalog, run, answers.get(step.id))


def adopt(state: ConversationState, catalog: Catalog, run: dict[str, Any], value: object) -> None:
    """A flow run's province answer (`value`) becomes the remembered one, once per answer given:
    a place named later in a schools question is not overwritten by an older answer. The run
    notes the answer taken; anything but a known province id is ignored."""
    if not isinstance(value, str) or value not in catalog.provinces:
        return
    if run.get(_SEEN, run.get(_KEPT)) != value:
        state.data[HOME] = value
        run[_SEEN] = value


def offer(r: Renderer, province: object, payload: str) -> Button | None:
    """ "Nghệ An (như bạn đã chọn)": a remembered province as the one-tap answer to a province
    question (`payload` followed by its id); None when `province` is no province id."""
    place = r.catalog.provinces.get(province) if isinstance(province, str) else None
    if place is None:
        return None
    return Button(r.t(T.HOME_OFFER, province=place.name), payload + place.id)


def studies(text: str) -> bool:
    """Whether a message is about studying or schools (a place it names is the user's)."""
    padded = f" {' '.join(text.split())} "
    return any(f" {w} " in padded for w in ("hoc", "truong", "nghe", *_SCHOOL_WORDS))


def asks_near(folded: str) -> bool:
    """Whether a message asks for schools near the user ("trường nghề nào gần em")."""
    padded = f" {' '.join(folded.split())} "
    if not any(f" {w} " in padded for w in _SCHOOL_WORDS):
        return False
    if any(f" {w} " in padded for w in NOT_A_SEARCH):
        return False
    return any(f" {w} " in padded for w in _NEAR_WORDS)


def where_payload(trade: str, province: str) -> str:
    return f"{WHERE}{trade}:{province}"


def where_to_study(r: Renderer, payload: str) -> Reply | None:
    """A trade's card for the remembered province: its schools there, saying which place was
    used; or, when the list has none there, that honestly, then schools elsewhere that a source
    says teach it. None for a forged payload."""
    trade_id, _, province_id = payload.removeprefix(WHERE).partition(":")
    cat = r.catalog
    trade, province = cat.trades.get(trade_id), cat.provinces.get(province_id)
    if trade is None or province is None:
        return None
    card = r.trade(trade, province=province.id)
    found = find(cat, Query(province.id, None, trade.id, None))
    body, _, last = card.text.rpartition("\n\n")  # the card's last line names its schools
    note = r.t(T.HOME_USED, province=province.name)
    if found.taught:
        return replace(card, text="\n\n".join((body, note, last)))
    # only schools of its field there, or none: honest about it, then where a source says so
    others = _elsewhere(cat, trade, province.id)
    lines = [body, note, last]
    buttons = list(card.buttons)
    if others:
        names = ", ".join(s.name for s in others)
        lines.append(r.t(T.HOME_ELSEWHERE, province=province.name, schools=names))
        at = len(found.likely[:5])  # after the card's own schools there
        buttons[at:at] = [Button(s.name, f"school:{s.id}") for s in others]
    return replace(card, text="\n\n".join(lines), buttons=tuple(buttons))


def _elsewhere(catalog: Catalog, trade: Trade, province: str) -> list[School]:
    return [
        s
        for s in catalog.schools.values()
        if not s.example and s.province != province and teaches(s, trade)
    ][:ELSEWHERE]


def near_payload(query: Query, province: str) -> str:
    return NEAR + replace(query, province=province, near=None).payload().removeprefix(QUERY)


def near_query(payload: str) -> Query | None:
    """The search of a NEAR payload (None when it is not one, or names no province)."""
    query = Query.from_payload(QUERY + payload.removeprefix(NEAR))
    return query if query is not None and query.province and not query.near else None


def near_schools(
    r: Renderer, reply: Reply | None, province: str, national: Reply | None = None
) -> Reply | None:
    """A search's results (the directory's screen) in the province the user gave before, for a
    question that named no place, saying which province it is; with `national` (the same
    search anywhere, when no school there is known to teach it), that after it."""
    place = r.catalog.provinces.get(province)
    if reply is None or place is None:
        return None
    head, _, rest = reply.text.partition("\n\n")
    note = r.t(T.HOME_NEAR, province=place.name)
    text = "\n\n".join(p for p in (head, note, rest) if p)
    if national is None:
        return replace(reply, text=text)
    schools = [b for b in reply.buttons if b.payload.startswith("school:")][:ELSEWHERE]
    schools += [b for b in national.buttons if b.payload.startswith("school:")][:ELSEWHERE]
    rest_buttons = [b for b in reply.buttons if not b.payload.startswith("school:")]
    return Reply(f"{text}\n\n{national.text}", (*schools, *rest_buttons))


# "(vậy) học ở đâu" and nothing else: where to study what was just answered (a reviewer: "con cao
# dang thi sao" then "z thi hoc o dau" got "chưa trả lời được")
_WHERE_ONLY = frozenset(
    {
        "hoc o dau",
        "o dau",
        "hoc dau",
        "hoc truong nao",
        "truong nao",
        "hoc o truong nao",
        "hoc o dau duoc",
        "o dau day",
        "hoc cho nao",
        "cho nao",
    }
)
_AROUND = frozenset("z v vay the thi con em e a ak ah ad admin nhi nha nhe".split())
_LEVEL_IN_ID = (
    ("cao_dang", "cao_dang"),
    ("_cd", "cao_dang"),
    ("trung_cap", "trung_cap"),
    ("_tc", "trung_cap"),
    ("so_cap", "so_cap"),
)


def where_only(folded: str) -> bool:
    """Whether a message only asks where to study ("z thi hoc o dau", "hoc o dau a")."""
    words = folded.split()
    while words and words[0] in _AROUND:
        words.pop(0)
    while words and words[-1] in _AROUND:
        words.pop()
    return " ".join(words) in _WHERE_ONLY


def level_of(screen: str | None) -> str | None:
    """The level an FAQ answer is about, read from its id ("faq:hp_cao_dang" -> cao_dang);
    None when it names none or two ("faq:khac_nhau_tc_cd")."""
    if not screen or not screen.startswith("faq:"):
        return None
    found = {level for part, level in _LEVEL_IN_ID if part in screen}
    return found.pop() if len(found) == 1 else None
