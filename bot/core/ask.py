"""A typed question answered from the catalog: the replies a conversation shows (an answer, a
question back, a pointer elsewhere) and, without any conversation, what `huongnghiep ask` prints.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, replace

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.care import care_text, grade
from bot.core.flows.answers import CatalogAnswers, mood_only
from bot.core.messages import Button, Reply, clean_input
from bot.core.ports import ConversationState
from bot.matching.care import CareDetector
from bot.matching.feelings import Feeling, feeling
from bot.matching.followup import InContext, is_follow_up
from bot.matching.matcher import Match, Suggestions
from bot.matching.normalize import fold

# the FAQ answer just given, for reading a follow-up in its context (bot/matching/followup.py):
# {"id": "faq:x", "at": iso time}; a follow-up comes soon or not at all
LAST_ANSWER = "last_answer"
FOLLOW_UP_WINDOW = dt.timedelta(minutes=15)


def answered(state: ConversationState, screen: str, now: dt.datetime) -> None:
    """An FAQ answer or a trade's card was shown (typed or pressed): the next question may
    follow up on it."""
    if screen.startswith(("faq:", "trade:")):
        state.data[LAST_ANSWER] = {"id": screen, "at": now.isoformat()}
    else:
        state.data.pop(LAST_ANSWER, None)


def last_answer(state: ConversationState, now: dt.datetime) -> str | None:
    """The FAQ answer or trade a message may follow up on: shown within the window, else
    None."""
    raw = state.data.get(LAST_ANSWER)
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    try:
        at = dt.datetime.fromisoformat(str(raw.get("at")))
    except ValueError:
        return None
    return str(raw["id"]) if dt.timedelta(0) <= now - at <= FOLLOW_UP_WINDOW else None


# "where" in a follow-up, folded: "học ở đâu", "trường nào dạy", "chỗ nào học"
_WHERE = (("o", "dau"), ("truong", "nao"), ("cho", "nao"), ("noi", "nao"))


def where_for_trade(catalog: Catalog, previous: str | None, text: str) -> str | None:
    """Right after a trade's card, "học ở đâu" asks where to learn that trade: the question
    with the trade named ("học ở đâu nghề Hàn"), for the schools search to read; else None."""
    trade = catalog.trades.get(previous.removeprefix("trade:")) if previous else None
    if trade is None or not previous or not previous.startswith("trade:"):
        return None
    words = fold(text).split()
    pairs = set(itertools.pairwise(words))
    if not is_follow_up(text) or not pairs & set(_WHERE):
        return None
    return f"{text} nghề {trade.name}"


@dataclass(frozen=True)
class Answered:
    """The replies for a question, and the screen to push for "back" (a confident answer's)."""

    replies: list[Reply]
    screen: str | None = None
    # asked back: the options offered (bot/core/unanswered.py keeps such a question)
    offered: tuple[str, ...] = ()


def answer_question(
    catalog: Catalog,
    answers: CatalogAnswers,
    home: Button,
    text: str,
    in_flow: bool = False,
    previous: str | None = None,
    parent: bool = False,
) -> Answered | None:
    """An answer, a question back or a pointer; None when nothing answers the text. While a
    flow's question waits (`in_flow`), choices are named, not numbered: the question's own list
    follows and is the turn's only one (surveyinput, review3 C2). `previous`: the FAQ answer
    just given, in whose context a follow-up is read; `parent`: a parent writes (asking back
    addresses them as "anh/chị")."""
    found = _answered(catalog, answers, home, text, in_flow, previous, parent)
    if found is None or in_flow:
        return found
    # a short mood nothing else answers gets the answer on moods (a pointer): that is heard enough
    pointed = found.screen is None and not found.offered
    heard = None if pointed and mood_only(text) else feeling(text)
    if heard is None:
        return found
    key = T.FEELING_PARENT if parent else _FEELINGS[heard]
    return replace(found, replies=[Reply(catalog.text(key)), *found.replies])


# a feeling said next to a question is acknowledged before the answer (a reviewer: "em buồn lắm
# vì bị điểm kém, học nghề có được không" got the suggestions and no word about the sadness)
_FEELINGS: dict[Feeling, str] = {"sad": T.FEELING_SAD, "worried": T.FEELING_WORRIED}


def _answered(
    catalog: Catalog,
    answers: CatalogAnswers,
    home: Button,
    text: str,
    in_flow: bool,
    previous: str | None,
    parent: bool,
) -> Answered | None:
    """answer_question's replies, before any feeling is acknowledged."""
    result = answers.match(text, previous)
    if isinstance(result, Match):
        reply = answers.reply(text, result)
        if reply is not None and isinstance(result, InContext):
            # read from the question before: said, so a wrong reading shows at once
            read = catalog.text(T.FOLLOW_UP_READ, question=result.label)
            reply = replace(reply, text=f"{read}\n\n{reply.text}")
        if reply is not None:
            return Answered([reply], result.id)
    if isinstance(result, Suggestions) and in_flow:
        items = "\n".join(f"• {o.label}" for o in result.options)
        offered = tuple(o.id for o in result.options)
        reply = Reply(catalog.text(T.SUGGEST_IN_FLOW, items=items))
        return Answered([reply], offered=offered)
    if isinstance(result, Suggestions):
        buttons = tuple(Button(o.label, o.id) for o in result.options)
        ask_back = catalog.text(T.SUGGEST_PARENT if parent else T.SUGGEST)
        offered = tuple(o.id for o in result.options)
        return Answered([Reply(ask_back, (*buttons, home))], offered=offered)
    pointer = answers.pointer(text) if result is None else None
    if pointer is not None:
        return Answered([Reply(pointer.text, (*pointer.buttons, home))])
    return None


@dataclass(frozen=True)
class AskResult:
    """What `huongnghiep ask --json` prints."""

    matched: bool
    id: str | None
    score: float
    answer: str
    suggestions: list[str]


def ask(catalog: Catalog, care: CareDetector, answers: CatalogAnswers, text: str) -> AskResult:
    """One question answered without conversation state (for the CLI and tools)."""
    text = clean_input(text)  # what Inbound does for every channel
    hit = care.detect(text)
    if hit is not None:
        graded = grade(care, text, hit)
        said = care_text(catalog, hit, now=graded.now, everyday=graded.offer is not None)
        return AskResult(False, None, 0.0, said, [])
    result = answers.match(text)
    if isinstance(result, Match):
        reply = answers.reply(text, result)
        if reply is not None:
            return AskResult(True, result.id, result.score, reply.text, [])
    if isinstance(result, Suggestions):
        suggestions = [o.label for o in result.options]
        return AskResult(False, None, result.score, catalog.text(T.SUGGEST), suggestions)
    pointer = answers.pointer(text) if result is None else None
    if pointer is not None:
        return AskResult(False, None, 0.0, pointer.text, [b.label for b in pointer.buttons])
    return AskResult(False, None, 0.0, catalog.text(T.FALLBACK), [])
