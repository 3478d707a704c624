"""Catalog answers: the matcher's decision for a typed question, and the reply that answers it."""

from __future__ import annotations

from dataclasses import replace

from bot.catalog import Catalog
from bot.catalog.models import Province, School, related_payload
from bot.catalog.text_keys import T
from bot.core.flows.menus import Menus
from bot.core.flows.schools_search import NOT_A_SEARCH
from bot.core.messages import Button, Reply
from bot.core.ports import Clock
from bot.matching.entities import ProvinceIndex
from bot.matching.feelings import feeling
from bot.matching.followup import in_context
from bot.matching.matcher import OUT_OF_SCOPE, Match, Matcher, Suggestions
from bot.matching.normalize import fold

# the general "which school near me" answer: with a province named, that province's list is the
# answer (or, where the list has none, whom to ask there)
SCHOOL_FINDER = "faq:tim_truong_gan_nha"
_VOCATIONAL = ("truong nghe", "cao dang", "trung cap", "so cap", "hoc nghe", "day nghe")
# a short message of a passing mood that nothing answers ("em buồn lắm" got "chưa trả lời
# được": a reviewer) gets the answer on such moods; signs of distress reach the care answer
# before any of this (content/safety.yaml)
MOOD_TOPIC = "chan_nan"
MOOD_WORDS = 8


class CatalogAnswers:
    """Questions typed outside any flow, answered from the catalog."""

    def __init__(
        self,
        catalog: Catalog,
        matcher: Matcher,
        menus: Menus,
        provinces: ProvinceIndex,
        clock: Clock,
    ) -> None:
        self.catalog = catalog
        self.matcher = matcher
        self.menus = menus
        self.provinces = provinces
        self.clock = clock

    def match(self, text: str, previous: str | None = None) -> Match | Suggestions | None:
        """The matcher's decision, once answers about other provinces than the message names
        are set aside; a question about schools in a province the matcher is not sure of gets
        that province's schools (or, when the list has none there, is declined: see pointer).
        Right after the FAQ answer `previous`, a follow-up is read in its context."""

        def fits(target: str) -> bool:
            return self._fits_places(target, text)

        result = self.matcher.match(text, fits)
        faq = self.catalog.faq.get(previous.removeprefix("faq:")) if previous else None
        # a question about schools in a named province is one of its own (see below)
        if previous is not None and faq is not None and self._schools_asked_in(text) is None:
            result = in_context(self.matcher, previous, faq.question, text, result, fits)
        if isinstance(result, Match) and result.id != SCHOOL_FINDER:
            return result
        province = self._schools_asked_in(text)
        if province is None:
            return result
        if any(s.province == province.id for s in self.catalog.schools.values()):
            return Match(f"province:{province.id}", province.name, 1.0)
        return None

    def _schools_asked_in(self, text: str) -> Province | None:
        """The province a message asks schools of ("truong nghe o ha noi"), if it does."""
        normalized = self.matcher.normalize(text)
        if "truong" not in normalized.split():
            return None
        # vocational schools only (task directory: every province now has some; a question
        # about upper-secondary or universities there is not theirs)
        padded = f" {normalized} "
        if not any(f" {w} " in padded for w in _VOCATIONAL):
            return None
        if any(f" {w} " in padded for w in NOT_A_SEARCH):  # fees, support: other answers
            return None
        mentions = self.provinces.mentions(normalized)
        return self.catalog.provinces.get(mentions[0].province_id) if mentions else None

    def pointer(self, text: str) -> Reply | None:
        """For a question the bot declines: where it is answered, when its out-of-scope topic
        says so ("điểm chuẩn đại học" points to the universities), with related entries; for
        schools in a province the list does not cover, whom to ask there."""
        province = self._schools_asked_in(text)
        if province is not None:
            return Reply(self.catalog.text(T.NO_SCHOOLS_IN_PROVINCE, province=province.name), ())
        ident = self.matcher.beyond(text) or (MOOD_TOPIC if mood_only(text) else None)
        if ident is None:
            ranked = self.matcher.rank(text, limit=1)
            if not ranked or not ranked[0].id.startswith(OUT_OF_SCOPE):
                return None
            ident = ranked[0].id.removeprefix(OUT_OF_SCOPE)
        topic = self.catalog.out_of_scope.get(ident)
        if topic is None or topic.answer is None:
            return None
        buttons = []
        for rel in topic.related:
            payload = related_payload(rel)
            faq = self.catalog.faq.get(payload.removeprefix("faq:"))
            if faq is not None:
                buttons.append(Button(faq.question, payload))
        return Reply(" ".join(topic.answer.split()), tuple(buttons))

    def _fits_places(self, target_id: str, text: str) -> bool:
        """False when an answer is about certain provinces and the message names only others."""
        kind, _, ident = target_id.partition(":")
        school = self.catalog.schools.get(ident) if kind == "school" else None
        if school is not None:  # schoolfix: "Nghệ An" is no "Cao đẳng Nghề An Giang"
            return self._school_fits(school, text)
        faq = self.catalog.faq.get(ident) if kind == "faq" else None
        if faq is None or not faq.provinces:
            return True
        named = self.provinces.mentions(self.matcher.normalize(text))
        if not named:
            return True
        wanted = {fold(p) for p in faq.provinces}
        return any(fold(m.name) in wanted for m in named)

    def _school_fits(self, school: School, text: str) -> bool:
        """False when a message names provinces and not the school's (today's or former), nor
        its province's name as words ("nghe an giang" reads as Nghệ An, yet names An Giang)."""
        named = self.provinces.mentions(self.matcher.normalize(text))
        if not named or any(m.province_id == school.province for m in named):
            return True
        province = self.catalog.provinces.get(school.province)
        names = [province.name] if province is not None else []
        former = self.catalog.former_province_name(school)
        names += [former] if former else []
        padded = f" {' '.join(fold(text).split())} "
        return any(f" {fold(n)} " in padded for n in names)

    def reply(self, text: str, match: Match) -> Reply | None:
        """The answer for a confident match, with province facts the question names and the
        close runners-up offered as "Ý bạn là…" buttons."""
        cat = self.catalog
        mentions = self.provinces.mentions(self.matcher.normalize(text))
        kind, _, ident = match.id.partition(":")
        if kind == "trade" and ident in cat.trades and mentions:  # schools there, not elsewhere
            reply: Reply | None = self.menus.r.trade(cat.trades[ident], mentions[0].province_id)
        else:
            reply = self.menus.screen(match.id, self.clock.now().date())
        if reply is None:
            return None
        lines = [reply.text]
        # "Ý bạn là…" first, then schools of the province named (task directory: a province may
        # have many schools, and they must not push the alternatives out)
        extra: list[Button] = [
            Button(cat.text(T.DID_YOU_MEAN, label=alt.label), alt.id) for alt in match.close
        ]
        for mention in mentions:
            province = cat.provinces[mention.province_id]
            if mention.former and not (mention.name in reply.text and province.name in reply.text):
                lines.append(
                    cat.text(T.PROVINCE_MERGED, former=mention.name, province=province.name)
                )
            extra.extend(
                Button(s.name, f"school:{s.id}")
                for s in cat.schools.values()
                if s.province == province.id and not s.example and match.id.startswith("faq:")
            )
        seen = {b.payload for b in reply.buttons}
        unique: list[Button] = []
        for button in extra:
            if button.payload not in seen:
                seen.add(button.payload)
                unique.append(button)
        # a card stays a card (title, source) with the notes added
        return replace(reply, text="\n\n".join(lines), buttons=(*unique[:4], *reply.buttons))


def mood_only(text: str) -> bool:
    """A short message that speaks of a passing mood ("em buồn lắm", "chán quá đi")."""
    folded = fold(text)
    if not folded or len(folded.split()) > MOOD_WORDS:
        return False
    return feeling(text) is not None
