"""School directory search: what a typed question asks (province, level, trade or field) and
the schools that fit. Pure functions over the catalog: no I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.catalog import Catalog
from bot.catalog.models import School, SchoolField, Trade
from bot.core.flows.schools_places import MAX_PLACES, nears
from bot.matching.entities import MARKER, DistrictIndex, ProvinceIndex, ProvinceMention
from bot.matching.normalize import fold

QUERY = "dir:q:"  # dir:q:<province>:<level>:<trade>:<field>[:<former place>], "-" for none
BOTH = "dir:b:"  # dir:b:<query>|<query>…: provinces listed one after the other (schoolfix2)
PLACE = "dir:n:"  # dir:n:<province>:<former province or "-">: a place typed alone (schoolfix)
MAX_QUERY_TEXT = 160  # longer messages are questions, not searches
LEVEL_WORDS = {"cao dang": "cao_dang", "trung cap": "trung_cap", "so cap": "so_cap"}
# a message asks where to study / which schools
_ASK = (
    "truong nghe",
    "truong nao",
    "truong gi",
    "hoc o dau",
    "hoc dau",
    "o dau",
    "o dau day",
    "day o dau",
    "dao tao o dau",
    "co truong",
    "danh sach truong",
    "tim truong",
    "cac truong",
    "nhung truong",
    "co so dao tao",
    "noi nao day",
    "cho nao day",
    "truong day",
    "truong cao dang",
    "truong trung cap",
    "cao dang nao",
    "trung cap nao",
)
# ... but not when it asks about money, rules or the levels themselves (other answers do)
NOT_A_SEARCH = (
    "hoc phi",
    # costs: "mỗi năm hết bao nhiêu tiền, cả ăn ở" is a question about money, not a list
    "bao nhieu tien",
    "het bao nhieu",
    "chi phi",
    "ton bao nhieu",
    "ton kem",
    "mat tien",
    "tien an",
    "mien",
    "giam",
    "ho tro",
    "vay",
    "chinh sach",
    "diem chuan",
    "la gi",
    "bao lau",
    "may nam",
    "khac gi",
    "khac nhau",
    "so sanh",
    "dieu kien",
    "ho so",
    "lien thong",
    "bang cap",
    "luong",
    "nen hoc",
    "hay khong",
    "co tot",
    "tai sao",
    "vi sao",
    # whether a school is real and licensed ("Trường Trung cấp … Sài Gòn có lừa đảo không" got
    # the city's list: a reviewer); the answer on checking a school's licence says how
    "lua dao",
    "co that",
    "cap phep",
    "giay phep",
    "co phep",
    "hop phap",
)
# schoolfix: words around a place that ask nothing else ("em ở Hà Tĩnh muốn học nghề"): a message
# of these and one province (or former district) asks for that province's schools (normalized)
_PLACE_ONLY = frozenset(
    "em e minh toi con chau ban nha o tai que song dang hien tinh thanh pho tp muon hoc nghe "
    "di a ah ak nhe nha oi ad voi thi khu vuc vung".split()
)
# schoolfix2: words between two places ("Nghệ An hoặc Hà Tĩnh") (normalized)
_JOINERS = frozenset("hoac hay va voi roi cung la".split())
# words that look like a field but are not one ("số điện thoại" is no "điện")
_NOT_A_FIELD = ("so dien thoai", "dien thoai", "dien bien")


def teaches(school: School, trade: Trade) -> bool:
    """Whether a source says the school teaches the trade: our trade id, the trade's name in
    what the source names, or a trade the source names (two words or more: "Điều dưỡng", not
    "Điện") inside the trade's name ("Điều dưỡng viên")."""
    name = fold(trade.name)
    if trade.id in school.trades:
        return True
    for named in map(fold, school.trades_named):
        # whole words: "Hàn" is not inside "Quản trị nhà hàng" (a reviewer saw a tourism college
        # offered for welding)
        if _has(named, name) or (len(named.split()) >= 2 and _has(name, named)):
            return True
    return False


def field_of(catalog: Catalog, trade: Trade) -> SchoolField | None:
    """The field of study a trade belongs to (content/school_fields.yaml), if any."""
    return next((f for f in catalog.school_fields.values() if trade.id in f.trades), None)


def _has(text: str, phrase: str) -> bool:
    """Whether a phrase occurs as whole words in text (both folded, single-spaced)."""
    return f" {phrase} " in f" {text} "


def find(catalog: Catalog, query: Query) -> Found:
    """Schools for a search (real schools only); with a trade or field, those a source says
    teach it, then those of its field (to confirm with the school), then the others. The trade
    card and the directory's screens both read this, so they name the same schools."""
    pool = [
        s
        for s in catalog.schools.values()
        if not s.example
        and (query.province is None or s.province == query.province)
        and (query.level is None or query.level in s.levels)
    ]
    trade = catalog.trades.get(query.trade or "")
    field = catalog.school_fields.get(query.field or "")
    if trade is not None and field is None:  # a trade's field finds the likely schools
        field = field_of(catalog, trade)
    if trade is None and field is None:
        return Found(pool, [], [])
    taught: list[School] = []
    likely: list[School] = []
    for school in pool:
        named = [fold(n) for n in school.trades_named]
        if trade is not None and teaches(school, trade):
            taught.append(school)
        elif field is not None:
            if set(field.trades) & set(school.trades) or any(
                _has(n, w) for n in named for w in field.named
            ):
                # teaches the field; for a trade asked, a school of its field is likely
                (likely if trade is not None else taught).append(school)
            elif any(w in fold(school.name) for w in field.school_names):
                likely.append(school)
    chosen = {s.id for s in (*taught, *likely)}
    return Found(taught, likely, [s for s in pool if s.id not in chosen])


@dataclass(frozen=True)
class Query:
    """A directory search: any of province, level, trade and field (ids); `near` is the former
    province or former district named inside the province (schoolfix2), its schools first."""

    province: str | None = None
    level: str | None = None
    trade: str | None = None
    field: str | None = None
    near: str | None = None

    def payload(self) -> str:
        parts = (self.province, self.level, self.trade, self.field)
        near = f":{self.near}" if self.near else ""
        return QUERY + ":".join(p or "-" for p in parts) + near

    @classmethod
    def from_payload(cls, payload: str) -> Query | None:
        parts = payload.removeprefix(QUERY).split(":")
        if not payload.startswith(QUERY) or len(parts) not in (4, 5):
            return None
        if len(parts) == 5 and parts[4] in ("", "-"):
            return None  # a fifth slot names a former place, or is not there
        province, level, trade, field_id, *near = (None if p in ("", "-") else p for p in parts)
        return cls(province, level, trade, field_id, near[0] if near else None)


def both_payload(queries: list[Query]) -> str:
    """One screen listing several provinces' schools, one after the other (schoolfix2)."""
    return BOTH + "|".join(q.payload().removeprefix(QUERY) for q in queries)


def from_both(payload: str) -> list[Query] | None:
    """The searches of a `both_payload`, or None when one of them is not a search."""
    parts = payload.removeprefix(BOTH).split("|")
    if not payload.startswith(BOTH) or not 2 <= len(parts) <= MAX_PLACES:
        return None
    queries = [Query.from_payload(QUERY + part) for part in parts]
    return [q for q in queries if q is not None] if None not in queries else None


@dataclass(frozen=True)
class Found:
    """Schools for a query: those a source says teach what was asked, those whose kind (name)
    suggests it (to confirm with the school), and the others that fit province and level."""

    taught: list[School]
    likely: list[School]
    others: list[School]


class Directory:
    """Reads searches from typed text and finds schools, over one catalog."""

    def __init__(
        self,
        catalog: Catalog,
        provinces: ProvinceIndex,
        normalize: Callable[[str], str],
        districts: DistrictIndex | None = None,
    ) -> None:
        self.catalog = catalog
        self.provinces = provinces
        self.normalize = normalize
        self.districts = districts or DistrictIndex(catalog, provinces)
        self.schools = [s for s in catalog.schools.values() if not s.example]
        names: dict[str, str] = {}
        for school in self.schools:
            for phrase in (school.name, *school.keywords):
                folded = fold(phrase).removeprefix("truong ").strip()
                if len(folded.split()) >= 3:  # "cao dang x": never a bare "cao dang"
                    names.setdefault(normalize(folded), school.id)
        self._names = sorted(names.items(), key=lambda kv: -len(kv[0]))
        words = [
            (fold(word), trade.id)
            for trade in catalog.trades.values()
            for word in (trade.name, *trade.keywords)
        ]
        # a short keyword ("hàn") counts only after "nghề" ("nghề hàn"): alone it is too often
        # another word ("hạn")
        pairs = [(w, t) for w, t in words if len(w) >= 4] + [(f"nghe {w}", t) for w, t in words]
        self._trade_words = sorted(set(pairs), key=lambda kv: (-len(kv[0]), kv[0]))

    # -- reading a message -----------------------------------------------------------------

    def place_only(self, folded: str) -> ProvinceMention | None:
        """The province a message names and nothing else ("Nghệ An", "em ở huyện Mường Tè muốn
        học nghề"), if one (schoolfix): it asks for that province's schools, not for a school
        whose name contains the province's (Cao đẳng Nghề An Giang). A former district alone
        is None: its own card says where it is now."""
        mentions = self._places(folded)
        return mentions[0] if len(mentions) == 1 else None

    def places(self, folded: str) -> list[Query]:
        """The provinces a message names and nothing else, in order: one ("em ở Bến Lức"), or
        a few ("Nghệ An hoặc Hà Tĩnh", schoolfix2), each with the former place it named."""
        return self._queries(folded, Query(), self._places(folded))

    def _places(self, folded: str) -> list[ProvinceMention]:
        if not folded or len(folded) > MAX_QUERY_TEXT:
            return []
        tokens = self.normalize(folded).split()
        mentions = self.provinces.mentions(" ".join(tokens))
        if not mentions:
            return []
        rest = [
            t for i, t in enumerate(tokens) if t != MARKER and not (i and tokens[i - 1] == MARKER)
        ]
        allowed = _PLACE_ONLY if len(mentions) == 1 else _PLACE_ONLY | _JOINERS
        if any(t not in allowed for t in rest):
            return []
        if not rest and not any(_has(folded, p) for p in self.provinces.phrases):
            return []  # a former district typed alone ("huyện Mường Tè")
        return mentions

    def _queries(self, folded: str, query: Query, mentions: list[ProvinceMention]) -> list[Query]:
        """The search in each province named (the first MAX_PLACES of them, once each)."""
        out: list[Query] = []
        for mention, near in zip(
            mentions, nears(self.catalog, self.districts, folded, mentions), strict=True
        ):
            if all(q.province != mention.province_id for q in out):
                out.append(replace(query, province=mention.province_id, near=near))
        return out[:MAX_PLACES]

    def school_named(self, folded: str) -> School | None:
        """The school a short message names ("cao dang lao cai"), if one."""
        text = self.normalize(folded)
        for name, school_id in self._names:
            if _has(text, name):
                return self.catalog.schools[school_id]
        return None

    def trade_beside_name(self, folded: str, school: School) -> bool:
        """Whether a trade is named outside the school's own name ("Trường Cao đẳng Công nghệ
        và Du lịch" names no trade: "du lịch" is its name's; "… Du lịch có dạy hàn không" does)."""
        text = f" {self.normalize(folded)} "
        for name, school_id in self._names:
            if school_id == school.id:
                text = text.replace(f" {name} ", " ")
        return any(_has(text.strip(), w) for w, _ in self._trade_words)

    def search(self, folded: str) -> list[Query]:
        """The search a message asks for, in each province it names (schoolfix2: with the
        former place named), or [] when it asks something else."""
        query = self.read(folded)
        if query is None or query.province is None:
            return [query] if query is not None else []
        mentions = self.provinces.mentions(self._searched(folded))
        return self._queries(folded, query, mentions) or [query]

    def _searched(self, folded: str) -> str:
        text = self.normalize(folded)
        for phrase in _NOT_A_FIELD:
            text = f" {text} ".replace(f" {phrase} ", " ").strip()
        return text

    def read(self, folded: str) -> Query | None:
        """The search a message asks for ("truong nghe o can tho day dien"), or None when it
        asks something else (fees, rules, a trade's description)."""
        if not folded or len(folded) > MAX_QUERY_TEXT:
            return None
        text = self.normalize(folded)
        if any(_has(text, p) for p in NOT_A_SEARCH):
            return None
        text = self._searched(folded)
        mentions = self.provinces.mentions(text)
        province = mentions[0].province_id if mentions else None
        level = next((lv for w, lv in LEVEL_WORDS.items() if _has(text, w)), None)
        trade = next((t for w, t in self._trade_words if _has(text, w)), None)
        found = None if trade else self._field(text)
        field = found.id if found is not None else None
        asks = any(_has(text, p) for p in _ASK)
        school_word = _has(text, "truong") or level is not None
        if asks and (province or level or trade or field):
            return Query(province, level, trade, field)
        if school_word and province:  # "cao đẳng nghề Hà Nam học điện" (schoolfix2)
            return Query(province, level, trade, field)
        return None

    def _field(self, text: str) -> SchoolField | None:
        best: tuple[int, SchoolField] | None = None
        for item in self.catalog.school_fields.values():
            for word in item.words:
                if _has(text, word) and (best is None or len(word) > best[0]):
                    best = (len(word), item)
        return best[1] if best else None

    # -- finding schools ---------------------------------------------------------------------

    def in_province(self, province: str | None, level: str | None = None) -> list[School]:
        """The schools of a province (all when None), at a level when given."""
        return [
            s
            for s in self.schools
            if (province is None or s.province == province) and (level is None or level in s.levels)
        ]

    def find(self, query: Query) -> Found:
        """Schools for a search; with a trade or field, those that teach it first."""
        return find(self.catalog, query)

    def describe(self, query: Query) -> str:
        """What was searched, in words: "Điện, điện tử · cao đẳng · Cần Thơ"."""
        cat = self.catalog
        bits: list[str] = []
        if query.trade in cat.trades:
            bits.append(cat.trades[query.trade].name)
        if query.field in cat.school_fields:
            bits.append(cat.school_fields[query.field].name)
        if query.level in cat.levels:
            bits.append(cat.levels[query.level].name.lower())
        if query.province in cat.provinces:
            bits.append(cat.provinces[query.province].name)
        return " · ".join(bits)
