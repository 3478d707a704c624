"""The school directory flow: search by province, level, trade or field, typed or by buttons;
school cards that say honestly whether the school receives requests through the bot."""

from __future__ import annotations

from dataclasses import replace

from bot.catalog.text_keys import T
from bot.core.flows.base import Flow, Tools, Turn
from bot.core.flows.schools_home import (
    NEAR,
    WHERE,
    asks_near,
    level_of,
    near_payload,
    near_query,
    near_schools,
    remember,
    remembered,
    studies,
    where_only,
    where_payload,
    where_to_study,
)
from bot.core.flows.schools_search import (
    BOTH,
    MAX_QUERY_TEXT,
    PLACE,
    QUERY,
    Directory,
    Query,
    both_payload,
    from_both,
)
from bot.core.flows.schools_view import (
    level_picker,
    one_after_another,
    province_picker,
    province_schools,
    school_card,
    searched,
)
from bot.core.messages import Reply
from bot.core.ports import ConversationState
from bot.matching.normalize import fold
from bot.matching.resolve import EntityMatcher

KEY = "directory"  # its state in ConversationState.data
MAX_SCREENS = 20  # navigation history kept for "back" (as the engine keeps)
AFTER_9 = "faq:sau_lop_9_so_sanh"  # the side-by-side screen of what comes after grade 9
# typed words for that screen (folded)
_AFTER_9_WORDS = {
    "sau lop 9",
    "sau lop 9 hoc gi",
    "hoc xong lop 9 thi hoc gi",
    "tot nghiep lop 9 hoc gi",
    "so sanh thpt va trung cap",
    "so sanh thpt trung cap",
    "thpt hay trung cap",
    "thpt hay hoc nghe",
    "nen hoc thpt hay hoc nghe",
    "nen hoc thpt hay trung cap",
    "vao lop 10 hay hoc nghe",
    "lop 10 hay hoc nghe",
}

# typed words for the directory's first screen (folded)
_MENU_WORDS = {
    "truong nghe",
    "cac truong nghe",
    "danh sach truong",
    "danh sach truong nghe",
    "tim truong",
    "tim truong nghe",
    "tra cuu truong",
    "truong nghe o dau",
}


class SchoolsFlow(Flow):
    """Owns the directory's screens ("menu:schools", "dir:…", "province:…", "school:…")."""

    prefixes = ("dir:", "school:", "province:", "trade:")
    payloads = frozenset({"menu:schools"})

    def __init__(self, tools: Tools) -> None:
        self.tools = tools
        self.r = tools.renderer
        self.gate = tools.renderer.participation
        # the matcher's own former districts (the ones its normalizer reads), when it has them
        districts = tools.matcher.districts if isinstance(tools.matcher, EntityMatcher) else None
        self.directory = Directory(
            tools.catalog, tools.provinces, tools.matcher.normalize, districts
        )
        tools.renderer.directory_screen = self._screen

    def waiting(self, state: ConversationState) -> bool:
        return bool(state.data.get(KEY, {}).get("picking"))

    def pause(self, state: ConversationState) -> None:
        state.data.get(KEY, {}).pop("picking", None)

    def command(self, folded: str, state: ConversationState) -> str | None:
        """A typed search ("truong nghe o can tho day dien") or a school's name."""
        self._note_place(folded, state)
        if folded in _AFTER_9_WORDS and AFTER_9.removeprefix("faq:") in self.r.catalog.faq:
            return AFTER_9
        if folded in _MENU_WORDS:
            return "menu:schools"
        places = self.directory.places(folded)
        if len(places) == 1:  # schoolfix: "Nghệ An" is that province's schools
            return f"{PLACE}{places[0].province}:{places[0].near or '-'}"
        if places:  # schoolfix2: "Nghệ An hoặc Hà Tĩnh": both, one after the other
            return both_payload(places)
        if where_only(folded):
            return self._where_after(state)
        queries = self.directory.search(folded)
        query = queries[0] if queries else None
        school = self.directory.school_named(folded)
        if school is not None and (
            query is None
            or query.trade is None
            or not self.directory.trade_beside_name(folded, school)  # the trade is its name's
        ):
            return f"school:{school.id}"
        if query is not None and query.trade and not (query.province or query.level):
            # province (W7): where to study it, in the province the user gave before
            home = remembered(state, self.r.catalog)
            if home is not None:
                return where_payload(query.trade, home)
            return f"trade:{query.trade}"  # the trade's card lists its schools, local first
        if query is None and asks_near(folded):  # "trường nghề nào gần em" (province, W7)
            home = remembered(state, self.r.catalog)
            return near_payload(Query(), home) if home is not None else None
        if query is not None and query.province is None and len(queries) == 1:
            home = remembered(state, self.r.catalog)  # "học hàn ở đâu" (a field, province W7)
            if home is not None:
                return near_payload(query, home)
        if len(queries) > 1:
            return both_payload(queries)
        return query.payload() if query is not None else None

    def _where_after(self, state: ConversationState) -> str | None:
        """Where to study what the last answer was about: its level, in the province the user
        gave, else the directory's first screen. After a trade's card the matcher reads it (the
        card lists the trade's schools)."""
        last = state.screens[-1] if state.screens else None
        if last is not None and last.startswith("trade:"):
            return None
        home = remembered(state, self.r.catalog)
        if home is None:
            return "menu:schools"
        return near_payload(Query(level=level_of(last)), home)

    def _note_place(self, folded: str, state: ConversationState) -> None:
        """A question about studying or schools that names one province (answered here or by
        the catalog: "học cắt gọt kim loại ở Hà Nội"): that province is remembered (W7)."""
        if not folded or len(folded) > MAX_QUERY_TEXT:
            return
        text = self.directory.normalize(folded)
        provinces = {m.province_id for m in self.directory.provinces.mentions(text)}
        if len(provinces) == 1 and studies(text):
            remember(state, self.r.catalog, provinces.pop())

    async def text(self, text: str, turn: Turn) -> list[Reply] | None:
        """A province typed at the province picker (its former name or a district too)."""
        normalized = self.tools.matcher.normalize(fold(text))
        mentions = self.tools.provinces.mentions(normalized)
        if not mentions:
            return None  # not a province: the engine's own path reads it
        return await turn.press(f"dir:p:{mentions[0].province_id}")

    async def payload(self, payload: str, turn: Turn) -> list[Reply]:
        await self.gate.refresh()
        state = turn.state
        memory = state.data.setdefault(KEY, {})
        memory.pop("picking", None)
        place = self._province_of(payload)
        home = remembered(state, self.r.catalog)  # the survey's answer first, if newer
        if place is not None:
            # the place a schools question named (province, W7): the one answered for from now
            remember(state, self.r.catalog, place)
            home = place
        trade = self.r.catalog.trades.get(payload.removeprefix("trade:"))
        if payload.startswith("trade:") and trade is not None:
            reply: Reply | None = self.r.trade(trade, home=home)
        else:
            reply = self._screen(payload)
        if reply is None:
            return [Reply(self.r.t(T.UNKNOWN_BUTTON), (self.r.home_button(),))]
        if payload == "menu:schools":
            memory["picking"] = True
        if not state.screens or state.screens[-1] != payload:
            state.screens.append(payload)  # "back" returns here (menus render it again)
        del state.screens[:-MAX_SCREENS]
        return [reply]

    def _screen(self, payload: str) -> Reply | None:
        kind, _, ident = payload.partition(":")
        cat = self.r.catalog
        if payload == "menu:schools":
            return province_picker(self.r)
        if payload.startswith(WHERE):
            return where_to_study(self.r, payload)
        if payload.startswith(NEAR):
            near = near_query(payload)
            if near is None or near.province is None or not self._valid(near):
                return None
            local = searched(self.r, self.directory, near)
            national = None
            if (near.trade or near.field) and not self.directory.find(near).taught:
                national = searched(self.r, self.directory, replace(near, province=None))
            return near_schools(self.r, local, near.province, national)
        if kind == "school" and ident in cat.schools:
            school = cat.schools[ident]
            return school_card(self.r, school, self.gate.receives(school.id))
        if kind == "province" and ident in cat.provinces:
            payload = Query(ident).payload()
        if payload.startswith(PLACE):
            province, _, former = payload.removeprefix(PLACE).partition(":")
            return province_schools(
                self.r, self.directory, province, None if former in ("", "-") else former
            )
        if payload.startswith("dir:p:"):
            return level_picker(self.r, self.directory, payload.removeprefix("dir:p:"))
        if payload.startswith(BOTH):
            queries = from_both(payload)
            if queries is None or not all(map(self._valid, queries)):
                return None
            return one_after_another(self.r, self.directory, queries)
        query = Query.from_payload(payload) if payload.startswith(QUERY) else None
        if query is None or not self._valid(query):
            return None
        return searched(self.r, self.directory, query)

    def _province_of(self, payload: str) -> str | None:
        """The province a directory screen is about, if one."""
        if payload.startswith(("dir:p:", "province:", WHERE)):
            ident = payload.split(":")[-1]
        elif payload.startswith(NEAR):
            near = near_query(payload)
            ident = near.province if near is not None and near.province else ""
        elif payload.startswith(PLACE):
            ident = payload.split(":")[2]
        elif payload.startswith(QUERY):
            query = Query.from_payload(payload)
            ident = query.province if query is not None and query.province else ""
        else:
            return None
        return ident if ident in self.r.catalog.provinces else None

    def _valid(self, query: Query) -> bool:
        cat = self.r.catalog
        return (
            (query.province is None or query.province in cat.provinces)
            and (query.level is None or query.level in cat.levels)
            and (query.trade is None or query.trade in cat.trades)
            and (query.field is None or query.field in cat.school_fields)
        )
