"""Interest quiz replies: an item, the province question, and the result (types, trades, schools).

A run is the JSON-safe dict kept in ConversationState.data["quiz"] (see quiz.py); the result is
computed from its answers and province each time it is shown, so it never goes stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.catalog import Catalog
from bot.catalog.models import School, Trade
from bot.catalog.quiz import DISLIKE, LIKE, UNSURE, Quiz, fitting_trades, scores, top_types
from bot.catalog.text_keys import T
from bot.core.flows.render import Renderer
from bot.core.flows.schools_home import offer
from bot.core.flows.schools_search import Query, field_of, find, teaches
from bot.core.messages import Button, Reply
from bot.matching.normalize import fold

QZ = "qz:"  # payload prefix of every quiz button
HOME = "home"  # "qz:home:<province id>": the remembered province offered, pressed
MAX_SCHOOLS = 5  # schools listed (and offered as buttons) in a result
TRADES_PER_SCHOOL = 3  # trades named beside each school
# words in a school's name that name many trades besides its field ("Kinh tế - Kỹ thuật")
_BROAD = ("ky thuat", "cong nghe", "cong nghiep", "bach khoa", "tong hop", "da nganh")
SURVEY_TICKS = 3  # trades ticked in the survey that follows (its trades step takes 3)


@dataclass(frozen=True)
class Result:
    """What a finished run comes to."""

    top: list[str]  # type codes, best first; empty when nothing was liked
    trades: list[Trade]  # fitting trades, best first (at most quiz.max_trades)
    schools: list[tuple[School, list[Trade]]]  # in the student's province, with trades taught
    # province (C7): no source names a school there teaching them; `schools` are those to ask,
    # of their fields first, never one of another field only (a medical college for welding)
    to_ask: bool = False


class QuizView:
    """Builds the quiz's replies for one catalog."""

    def __init__(self, catalog: Catalog, renderer: Renderer) -> None:
        self.catalog = catalog
        self.r = renderer

    @property
    def quiz(self) -> Quiz:
        assert self.catalog.quiz is not None  # the flow runs only with a quiz
        return self.catalog.quiz

    # -- questions ------------------------------------------------------------------------------

    def question(self, run: dict[str, Any], note: str | None = None) -> list[Reply]:
        """The current item with its three answers (and "previous" after the first)."""
        t, items = self.r.t, self.quiz.items
        index = run["current"]
        text = t(T.QUIZ_QUESTION, n=index + 1, total=len(items), item=items[index].text)
        buttons = [
            Button(t(T.QUIZ_LIKE), f"{QZ}a:{index}:{LIKE}"),
            Button(t(T.QUIZ_UNSURE), f"{QZ}a:{index}:{UNSURE}"),
            Button(t(T.QUIZ_DISLIKE), f"{QZ}a:{index}:{DISLIKE}"),
        ]
        if index > 0:
            buttons.append(Button(t(T.QUIZ_BACK), f"{QZ}back"))
        return [*([Reply(note)] if note else []), Reply(text, tuple(buttons))]

    def province_question(self, note: str | None = None, home: str | None = None) -> list[Reply]:
        """Where the student lives (for schools nearby), or skip; the remembered province
        (`home`, schools_home) offered first as a one-tap answer."""
        t = self.r.t
        offered = offer(self.r, home, f"{QZ}{HOME}:")
        buttons = (
            *([offered] if offered is not None else []),
            Button(t(T.QUIZ_PROVINCE_SKIP), f"{QZ}skip"),
            Button(t(T.QUIZ_BACK), f"{QZ}back"),
        )
        text = t(T.QUIZ_PROVINCE, total=len(self.quiz.items))
        return [*([Reply(note)] if note else []), Reply(text, buttons)]

    # -- the result -----------------------------------------------------------------------------

    def result_of(self, run: dict[str, Any]) -> Result:
        """The types, trades and local schools a run's answers and province come to."""
        answers = {k: v for k, v in run["answers"].items() if isinstance(v, int)}
        top = top_types(scores(self.quiz, answers))
        province = run.get("province")
        schools = [
            s
            for s in self.catalog.schools.values()
            if province is not None and s.province == province and not s.example
        ]
        local = frozenset(t for s in schools for t in s.trades)
        trades = (
            fitting_trades(self.catalog.trades.values(), top, self.quiz.max_trades, local)
            if top
            else []
        )
        ids = [tr.id for tr in trades]
        # province (C7): a source names the trade for the school (its id or its name)
        taught = [(s, [tr for tr in trades if teaches(s, tr)]) for s in schools]
        # the schools teaching most of the fitting trades first, and the best-fitting trades
        taught = [(s, ts) for s, ts in taught if ts]
        taught.sort(key=lambda st: (-len(st[1]), min(ids.index(tr.id) for tr in st[1]), st[0].name))
        if taught or province is None:
            return Result(top, trades, taught[:MAX_SCHOOLS])
        # none named: to ask, the schools there of these trades' fields, then those nothing
        # tells about; never one a source or its name places in another field only
        likely: dict[str, School] = {}
        for trade in trades:
            for school in find(self.catalog, Query(province, None, trade.id, None)).likely:
                likely.setdefault(school.id, school)
        fields = {f.id for tr in trades if (f := field_of(self.catalog, tr)) is not None}
        unknown = [s for s in schools if s.id not in likely and self._unknown(s, fields)]
        ask = [
            *sorted(likely.values(), key=lambda s: s.name),
            *sorted(unknown, key=lambda s: s.name),
        ]
        fitted: list[tuple[School, list[Trade]]] = [(s, []) for s in ask]
        return Result(top, trades, fitted[:MAX_SCHOOLS], to_ask=True)

    def _unknown(self, school: School, fields: set[str]) -> bool:
        """Whether nothing places a school outside these fields: no source names its trades,
        and its name names no other field alone ("Cao đẳng Y tế" for welding does; "Kinh tế -
        Kỹ thuật" names technical trades too)."""
        if school.trades or school.trades_named:
            return False  # a source names its trades, and none of these
        name = fold(school.name)
        named = {
            f.id
            for f in self.catalog.school_fields.values()
            if any(f" {w} " in f" {name} " for w in f.school_names)
        }
        broad = any(f" {w} " in f" {name} " for w in _BROAD)
        return not named or broad or bool(named & fields)

    def ticks(self, run: dict[str, Any]) -> list[str]:
        """The trades to tick in the survey that follows."""
        return [tr.id for tr in self.result_of(run).trades[:SURVEY_TICKS]]

    def result(self, run: dict[str, Any]) -> list[Reply]:
        """The result: types explained, the first page of trades, schools, what next."""
        t = self.r.t
        result = self.result_of(run)
        if not result.top:
            buttons = (Button(t(T.QUIZ_RESTART), f"{QZ}restart"), self.r.home_button())
            return [Reply(t(T.QUIZ_NO_LIKES), buttons)]
        kinds = [k for code in result.top if (k := self.quiz.type_of(code)) is not None]
        names = kinds[-1].name
        if len(kinds) > 1:
            names = ", ".join(k.name for k in kinds[:-1]) + f" và {names}"
        lines = [t(T.QUIZ_RESULT_HEAD, names=names)]
        lines.extend(f"• {k.name}: {k.description}" for k in kinds)
        lines.append(t(T.QUIZ_RESULT_NOTE))
        types = Reply("\n\n".join(lines))
        page = self.trades_page(result, 0, T.QUIZ_TRADES)
        return [types, page, self._schools(run, result)]

    def trades_page(self, result: Result, page: int, head: str) -> Reply:
        """One page of fitting trades, each with its levels."""
        size = self.quiz.trades_per_page
        shown = result.trades[page * size : (page + 1) * size]
        lines = [f"• {tr.name}: {self._levels(tr)}" for tr in shown]
        return Reply(self.r.t(head) + "\n" + "\n".join(lines))

    def more(self, run: dict[str, Any]) -> list[Reply]:
        """The next page of trades (run["page"] already moved), then what next."""
        result = self.result_of(run)
        page = self.trades_page(result, run.get("page", 0), T.QUIZ_TRADES_MORE)
        return [page, Reply(self.r.t(T.MENU_PROMPT), self.after_buttons(run, result))]

    def has_more(self, run: dict[str, Any]) -> bool:
        """Whether fitting trades remain after the page shown."""
        shown = (int(run.get("page", 0)) + 1) * self.quiz.trades_per_page
        return len(self.result_of(run).trades) > shown

    def _levels(self, trade: Trade) -> str:
        levels = self.catalog.levels
        return ", ".join(levels[lv].name.lower() if lv in levels else lv for lv in trade.levels)

    def _schools(self, run: dict[str, Any], result: Result) -> Reply:
        t = self.r.t
        province = self.catalog.provinces.get(run.get("province") or "")
        if province is None:
            text = t(T.QUIZ_SCHOOLS_NO_PROVINCE)
        elif not result.schools:
            text = t(T.QUIZ_NO_SCHOOLS_IN, province=province.name)
        elif result.to_ask:
            lines = [t(T.QUIZ_SCHOOLS_ASK, province=province.name)]
            lines.extend(f"• {school.name}" for school, _ in result.schools)
            text = "\n".join(lines)
        else:
            lines = [t(T.QUIZ_SCHOOLS, province=province.name)]
            for school, trades in result.schools:
                names = ", ".join(tr.name for tr in trades[:TRADES_PER_SCHOOL])
                extra = "…" if len(trades) > TRADES_PER_SCHOOL else ""
                lines.append(f"• {school.name}: {names}{extra}")
            text = "\n".join(lines)
        return Reply(text, self.after_buttons(run, result))

    def after_buttons(self, run: dict[str, Any], result: Result) -> tuple[Button, ...]:
        """Survey first; then the schools, more trades, another province, again, home."""
        t = self.r.t
        buttons = [Button(t(T.MENU_SURVEY), f"{QZ}survey")]
        buttons.extend(Button(s.name, f"school:{s.id}") for s, _ in result.schools)
        shown = (int(run.get("page", 0)) + 1) * self.quiz.trades_per_page
        if len(result.trades) > shown:
            buttons.append(Button(t(T.QUIZ_MORE_TRADES), f"{QZ}more"))
        key = T.QUIZ_OTHER_PROVINCE if run.get("province") else T.QUIZ_CHOOSE_PROVINCE
        buttons.append(Button(t(key), f"{QZ}province"))
        buttons.append(Button(t(T.QUIZ_RESTART), f"{QZ}restart"))
        buttons.append(self.r.home_button())
        return tuple(buttons)
