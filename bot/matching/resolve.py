"""Entities resolved before matching: a document number gets that document's card, a "which
province" question about a former district gets the district's answer; anything else is matched
as usual, with former districts read as the provinces they were in.

Why before matching and not as matcher targets: a number is an exact key. As a target, a card
would be scored on the words around the number ("còn hiệu lực không" is also in the phrasings of
Nghị quyết 31's answers, which is how "Nghị định 81/2021 còn hiệu lực không" got an answer about
Nghị quyết 31), and a card could win on those words alone, without any number. Here a card is
given only for a number (or a law's name) that names it, and never otherwise: cards are not
targets at all.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from bot.matching.accents import Key
from bot.matching.beyond import beyond_scope, outside_learning
from bot.matching.doc_numbers import Found
from bot.matching.documents import DocumentIndex
from bot.matching.entities import MARKER, DistrictIndex, DistrictMention, ProvinceIndex
from bot.matching.intent import IntentModel, ranked
from bot.matching.matcher import Match, Matcher, Scored, Suggestions, Target, Thresholds
from bot.matching.money import asks_fees, asks_pay, mentions_money
from bot.matching.negation import GroupReader, spell_negations
from bot.matching.normalize import Normalizer
from bot.matching.trade_names import TRADE, TradeNames

DOC = "doc:"
DISTRICT = "district:"
# words asking about the document itself, not about a topic it rules on (normalized text)
_ABOUT_DOCUMENT = (
    "hieu luc",
    "ap dung",
    "het han",
    "con han",
    "thay the",
    "thay boi",
    "bai bo",
    "sua doi",
    "la gi",
    "noi gi",
    "noi ve",
    "quy dinh gi",
    "noi dung",
    "ban hanh",
    "ngay nao",
    "khi nao",
    "nam nao",
    "con khong",
    "con dung",
    "la van ban",
    "van ban nao",
)

PAY = "faq:luong_sau_tot_nghiep"  # the answer on pay (no figure a source gives, where to look)


class PlaceNormalizer(Normalizer):
    """The normalizer, reading each former district as the former province it was in."""

    def __init__(
        self,
        tokens: dict[str, str],
        phrases: dict[str, str],
        districts: DistrictIndex,
    ) -> None:
        super().__init__(tokens, phrases)
        self.districts = districts

    def _normalize_uncached(self, text: str) -> str:
        return super()._normalize_uncached(self.districts.rewrite(text))


class EntityMatcher(Matcher):
    """A Matcher that answers document numbers and district questions before matching."""

    def __init__(
        self,
        targets: Iterable[Target],
        normalizer: Normalizer,
        thresholds: Thresholds | None,
        documents: DocumentIndex,
        districts: DistrictIndex,
        provinces: ProvinceIndex,
        intent: IntentModel | None = None,
        money: frozenset[str] = frozenset(),
        groups: GroupReader | None = None,
        target_groups: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        super().__init__(targets, normalizer, thresholds, intent)
        self.money = money  # ids of the answers that speak of money
        # negation: the groups a message may name, and the targets each group defines
        self.groups = groups
        self.target_groups = dict(target_groups or {})
        self.documents = documents
        self.districts = districts
        self.provinces = provinces
        self._index = {t.id: i for i, t in enumerate(self.targets)}
        # each target's phrasings, normalized once by Matcher (its training documents)
        phrasings: dict[str, list[list[str]]] = defaultdict(list)
        for ident, toks in self.training_docs:
            phrasings[ident].append(toks)
        self.trade_names = TradeNames(
            (ident, toks) for ident, toks in phrasings.items() if ident.startswith(TRADE)
        )
        # an answer written for university words keeps questions that use them
        # (bot/matching/beyond.py)
        self._written = {
            ident: f" {' | '.join(' '.join(t) for t in toks)} " for ident, toks in phrasings.items()
        }

    def match(
        self, text: str, fits: Callable[[str], bool] | None = None
    ) -> Match | Suggestions | None:
        """A card for a document the text names, the district's answer to "which province is
        X in", or the usual match (`fits` as in Matcher.match); None for a question about
        university or study abroad that no answer was written for, or on a subject answered only
        for learners that names no learning (bot/matching/beyond.py); never an answer written for
        a group the message says its writer is not in."""
        narrowed = self._not_negated(text, fits)
        answer = self._resolved(text, narrowed)
        if answer is None and narrowed is not fits:
            return self._money_instead(text, narrowed)
        if answer is None or (isinstance(answer, Match) and answer.id.startswith((DOC, DISTRICT))):
            return answer
        normalized = self.normalize(text)
        if outside_learning(normalized) is not None:
            return None  # every answer on these subjects is for learners (beyond.py)
        found = beyond_scope(normalized)
        if found is None:
            return answer
        ids = [answer.id] if isinstance(answer, Match) else [o.id for o in answer.options]
        written = f" {found[1]} "
        return answer if any(written in self._written.get(i, "") for i in ids) else None

    def _not_negated(
        self, text: str, fits: Callable[[str], bool] | None
    ) -> Callable[[str], bool] | None:
        """`fits`, minus the targets written for a group the message names only in a
        negation ("nhà em không thuộc hộ nghèo": not the answer for poor households) and
        that name no group the message says (bot/matching/negation.py)."""
        if self.groups is None or not self.target_groups:
            return fits
        negative, said = self.groups.read(self.normalize(spell_negations(text)).split())
        if not negative:
            return fits
        out = {
            t for t, named in self.target_groups.items() if named & negative and not named & said
        }
        if not out:
            return fits
        keep = fits or (lambda _: True)
        return lambda ident: ident not in out and keep(ident)

    def _money_instead(self, text: str, fits: Callable[[str], bool] | None) -> Suggestions | None:
        """negation: nothing answers once the negated group's answers are set aside ("nếu nhà
        em không thuộc hộ nghèo thì có được hỗ trợ gì không"): ask back with the general money
        answers (no other group's) closest to the question without the negated group, when it
        is about money (else None, as before)."""
        if self.groups is None or not mentions_money(self.normalize.tokens(text)):
            return None
        words = self.normalize(spell_negations(text)).split()
        rest = " ".join(self.groups.without_negated(words))  # the question, minus the group
        said = self.groups.read(words)[1]
        fit = fits or (lambda _: True)

        def keep(ident: str) -> bool:  # the general answers, and those of a group said
            named = self.target_groups.get(ident)
            return fit(ident) and (named is None or bool(named & said))

        if self.intent is not None:
            candidates = ranked(self.intent, self.topic_tokens(rest), 12)
        else:
            candidates = [(s.id, s.score) for s in self.rank(rest, limit=12)]
        options = tuple(
            Scored(ident, self._labels[ident], round(score, 4))
            for ident, score in candidates
            if ident in self.money and ident in self._labels and keep(ident)
        )[:3]
        return Suggestions(options, options[0].score) if options else None

    def beyond(self, text: str) -> str | None:
        """The out-of-scope topic whose pointer answers a question about university or study
        abroad, or on a subject answered only for learners (content/out_of_scope.yaml), if the
        text is one."""
        normalized = self.normalize(text)
        found = beyond_scope(normalized) or outside_learning(normalized)
        return found[0] if found else None

    def _resolved(
        self, text: str, fits: Callable[[str], bool] | None
    ) -> Match | Suggestions | None:
        mentions = self.provinces.mentions(self.normalize(text))
        found = self.documents.find(text, mentions)
        if found:
            return self._documents(text, found, fits)
        for mention in self.districts.mentions(text):
            if mention.asked_where and not self._names_province(text, mention):
                district = mention.district
                return Match(f"{DISTRICT}{district.id}", district.name, 1.0)
        answer = super().match(text, fits)
        if isinstance(answer, Suggestions) and not mentions:  # a place: the engine's lists
            return self._named_trade(text, answer) or answer
        if isinstance(answer, Match) and answer.id not in self.money:
            fees = self._fees_asked(text, answer, fits)
            if fees is not None:
                return fees
        if isinstance(answer, Match) and answer.id.startswith("faq:"):
            return self._trade_beside(text, answer, fits)
        if isinstance(answer, Match) and answer.id.startswith(TRADE):
            return self._pay_asked(text, answer, fits) or answer
        return answer

    def _pay_asked(
        self, text: str, answer: Match, fits: Callable[[str], bool] | None
    ) -> Match | None:
        """A trade's card does not speak of pay: a pay question naming a trade ("luong tho han bn
        1 thang z" got the welding card) gets the answer on pay, the trade's card beside it."""
        if PAY not in self._labels or (fits is not None and not fits(PAY)):
            return None
        if not asks_pay(self.normalize.tokens(text)):
            return None
        trade = Scored(answer.id, answer.label, answer.score)
        return Match(PAY, self._labels[PAY], answer.score, (trade,))

    def _trade_beside(self, text: str, answer: Match, fits: Callable[[str], bool] | None) -> Match:
        """A general answer to a question naming one trade ("hoc nghe han ra truong co de xin
        viec ko" gets the answer on jobs after vocational school) offers that trade's card
        first beside it, so its own facts are one tap away."""
        ident = self._one_trade(text, self.normalize.tokens(text))
        if ident is None:
            return answer
        label = self._labels.get(ident)
        if label is None or (fits is not None and not fits(ident)):
            return answer
        if any(c.id == ident for c in answer.close):
            return answer
        close = (Scored(ident, label, answer.score), *answer.close[:1])
        return Match(answer.id, answer.label, answer.score, close)

    def _fees_asked(
        self, text: str, answer: Match, fits: Callable[[str], bool] | None
    ) -> Suggestions | None:
        """A question about fees, loans or costs answered from a topic that does not speak of
        money ("liên thông lên đại học có được miễn học phí không" got the answer on credit
        transfer): ask back, offering that answer and the money answers the question is
        closest to (bot/matching/money.py)."""
        tokens = self.normalize.tokens(text)
        if not asks_fees(tokens):
            return None
        keep = fits or (lambda _: True)
        if self.intent is not None:
            candidates = [ident for ident, _ in ranked(self.intent, self.topic_tokens(text), 12)]
        else:
            candidates = [s.id for s in self.rank(text, limit=12)]
        options = [
            Scored(ident, self._labels[ident], answer.score)
            for ident in candidates
            if ident in self.money and ident in self._labels and keep(ident)
        ][:2]
        if not options:
            return None
        first = Scored(answer.id, answer.label, answer.score)
        return Suggestions((first, *options), answer.score)

    def _named_trade(self, text: str, asked: Suggestions) -> Match | None:
        """The card of the one trade the question names, when asking back would offer it and
        the question is not about money (bot/matching/trade_names.py); the other options stay
        as buttons beside it."""
        tokens = self.normalize.tokens(text)
        ident = self._one_trade(text, tokens)
        if ident is None or mentions_money(tokens):
            return None
        for option in asked.options:
            if option.id == ident:
                close = tuple(o for o in asked.options if o.id != ident)[:2]
                return Match(option.id, option.label, option.score, close)
        return None

    def _one_trade(self, text: str, tokens: list[str]) -> str | None:
        """The one trade whose name the message holds as written, or None (none, or two)."""
        named = self.trade_names.named(text, tokens, self._conflicts)
        return next(iter(named)) if len(named) == 1 else None

    def _conflicts(self, ident: str, marked: list[Key]) -> list[str]:
        """The syllables of a message target `ident` writes only with other diacritics."""
        return self._spellings.conflicts(self._index[ident], marked)

    def topic_tokens(self, text: str) -> list[str]:
        tokens = self.query_tokens(text)
        keep = [
            tok
            for i, tok in enumerate(tokens)
            if tok != MARKER and not (i and tokens[i - 1] == MARKER)
        ]
        return keep or tokens

    def _names_province(self, text: str, mention: DistrictMention) -> bool:
        """The message names a province besides the district: its writer knows where it is and
        asks something else ("ở thành phố Tân An, trước thuộc tỉnh Long An, nay…")."""
        text = unicodedata.normalize("NFC", text)  # the mention's offsets are in this form
        rest = f"{text[: mention.start]} {text[mention.end :]}"
        return bool(self.provinces.mentions(self.normalize(rest)))

    def card(self, ident: str, score: float = 1.0) -> Scored:
        """A document card as a candidate."""
        return Scored(f"{DOC}{ident}", self.documents.titles[ident], score)

    def _with_card(self, answer: Match, ident: str) -> Match:
        """An answer, with the document's card offered beside it."""
        close = (self.card(ident, answer.score), *answer.close[:1])
        return Match(answer.id, answer.label, answer.score, close)

    def _documents(
        self, text: str, found: Found, fits: Callable[[str], bool] | None
    ) -> Match | Suggestions | None:
        answer = super().match(text, fits)
        matched = answer if isinstance(answer, Match) else None
        about = self.documents.about.get(matched.id, frozenset()) if matched else frozenset()
        if len(found.known) > 1:  # "NĐ 81/2021 và NĐ 238/2025": which one?
            return Suggestions(tuple(self.card(i) for i in found.known[:3]), 1.0)
        if found.known:
            ident = found.known[0]
            if matched and ident in about:
                return self._with_card(matched, ident)  # an answer about this very document
            if matched and not self._about_document(text) and self._has_topic(text, found):
                return self._with_card(matched, ident)  # a topic, citing the document
            return Match(f"{DOC}{ident}", self.documents.titles[ident], 1.0)
        if found.choices:
            options = found.choices[0]
            if matched:
                picked = [i for i in options if i in about]
                if len(picked) == 1:
                    return self._with_card(matched, picked[0])
            return Suggestions(tuple(self.card(i) for i in options[:3]), 1.0)
        # a number of a document we have no card for: the question is about a text we do not
        # know, so no answer of ours (built on other documents) is given as if it were about it
        return None

    def _about_document(self, text: str) -> bool:
        normalized = f" {self.normalize(text)} "
        return any(f" {cue} " in normalized for cue in _ABOUT_DOCUMENT)

    def _has_topic(self, text: str, found: Found) -> bool:
        """The text without its document numbers still matches an answer."""
        text = unicodedata.normalize("NFC", text)  # the offsets of refs are in this form
        rest: list[str] = []
        last = 0
        for ref in found.refs:
            rest.append(text[last : ref.start])
            last = ref.end
        rest.append(text[last:])
        return isinstance(super().match(" ".join(rest)), Match)
