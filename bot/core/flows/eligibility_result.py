"""The eligibility check's answer: which rules of content/eligibility.yaml apply to the answers
given, and the reply that says what applies, what may, what has ended and what does not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.catalog import Catalog
from bot.catalog.eligibility import Eligibility, EligRule, Facts, policy_ended, source_of
from bot.catalog.text_keys import T
from bot.core.flows.render import Renderer, cite, vn_date
from bot.core.messages import Button, Reply

MAX_POLICY_BUTTONS = 3
# content/eligibility.yaml ids: the loan outcome, and the household question's "none of these"
LOAN = "loan"
HOUSEHOLD = "household"
NO_HOUSEHOLD = "khong"


@dataclass
class Verdict:
    """The rules that apply, sorted by how they are said."""

    sure: list[EligRule] = field(default_factory=list)  # applies, said as fact
    open: list[EligRule] = field(default_factory=list)  # may apply: the sources leave it open
    ended: list[EligRule] = field(default_factory=list)  # its window is over

    def all(self) -> list[EligRule]:
        return [*self.sure, *self.open, *self.ended]

    def outcomes(self) -> set[str]:
        """Outcomes said as fact."""
        return {r.outcome for r in self.sure}


def moot(elig: Eligibility, verdict: Verdict) -> set[str]:
    """Outcomes not worth saying because another applies (no reduction once exempt)."""
    certain = verdict.outcomes()
    return {o.id for o in elig.outcomes if o.moot_after is not None and o.moot_after in certain}


def evaluate(elig: Eligibility, catalog: Catalog, facts: Facts, today: dt.date) -> Verdict:
    """Every rule whose conditions hold; a rule of an ended policy is never current, whatever
    the file says (content check also refuses it)."""
    verdict = Verdict()
    order = {o.id: i for i, o in enumerate(elig.outcomes)}
    for rule in sorted(elig.rules, key=lambda r: order.get(r.outcome, len(order))):
        if not rule.matches(facts):
            continue
        policy = catalog.policies.get(rule.policy)
        if policy is None:
            continue
        if rule.historical or policy_ended(policy, today):
            verdict.ended.append(rule)
        elif rule.sure:
            verdict.sure.append(rule)
        else:
            verdict.open.append(rule)
    return verdict


UNKNOWN = "chua_biet"  # the option every question may have for "I do not know"


def qualifying(
    elig: Eligibility, catalog: Catalog, facts: Facts, verdict: Verdict, today: dt.date
) -> list[EligRule]:
    """Unsure rules that qualify a sure outcome of a direct answer, reading what the user did
    not say as "Chưa biết" ("học xong lớp 9 vào trung cấp", school unsaid: whether a private
    school exempts is unconfirmed)."""
    unknown = dict(facts)
    for question in elig.questions:
        if question.id not in unknown and question.option(UNKNOWN) is not None:
            unknown[question.id] = UNKNOWN
    shown = {r.outcome for r in verdict.sure}
    widened = evaluate(elig, catalog, unknown, today)
    return [r for r in widened.open if r.outcome in shown]


class ResultView:
    """Turns answers into the result reply."""

    def __init__(self, catalog: Catalog, renderer: Renderer, elig: Eligibility) -> None:
        self.catalog = catalog
        self.r = renderer
        self.elig = elig

    def described(self, facts: Facts) -> str:
        """The answers as the user reads them: "Trung cấp · Công lập · Cần Thơ"."""
        parts: list[str] = []
        for question in self.elig.questions:
            value = facts.get(question.id)
            if value is None:
                continue
            if question.type == "province":
                province = self.catalog.provinces.get(str(value))
                parts.extend([province.name] if province else [])
                continue
            for ident in [value] if isinstance(value, str) else value:
                option = question.option(ident)
                if option is not None:
                    parts.append(option.label)
        return " · ".join(parts)

    def line(self, rule: EligRule) -> str:
        """ "• says (document, date, article)", unless `says` already names the document."""
        policy = self.catalog.policies[rule.policy]
        source = source_of(rule, policy)
        says = " ".join(rule.says.split())
        if source.document in says:
            return f"• {says}"
        return f"• {says} ({cite(source)})"

    def lines(self, rules: list[EligRule]) -> list[str]:
        return list(dict.fromkeys(self.line(r) for r in rules))  # two rules, one sentence

    def direct(self, facts: Facts, verdict: Verdict, caveats: Sequence[EligRule] = ()) -> Reply:
        """The answer to a question that stated its circumstances: what is certain already,
        and what qualifies it (`caveats`: unsure rules with the same outcome)."""
        t = self.r.t
        blocks = [t(T.ELIG_YOU_SAID, facts=self.described(facts))]
        blocks.extend(self._sure_blocks(verdict))
        if caveats:
            blocks.append("\n".join([t(T.ELIG_ASK_MORE), *self.lines(list(caveats))]))
        blocks.append(t(T.ELIG_DIRECT))
        buttons = (Button(t(T.ELIG_FULL), "el:full"), *self._policy_buttons(verdict))
        return Reply("\n\n".join(blocks), (*buttons, self.r.home_button()))

    def household_help(self, facts: Facts, today: dt.date) -> str:
        """answers (review3 W8): at the household question, what is certain already from the
        answers given so far (whatever the household), then who certifies a household."""
        verdict = evaluate(self.elig, self.catalog, facts, today)
        skip = moot(self.elig, verdict)
        rules = [r for r in verdict.sure if r.outcome not in skip]
        help_text = self.r.t(T.ELIG_HOUSEHOLD_HELP)
        if not rules:
            return help_text
        intro = self.r.t(T.ELIG_SO_FAR, facts=self.described(facts))
        return "\n\n".join(["\n".join([intro, *self.lines(rules)]), help_text])

    def full(self, facts: Facts, verdict: Verdict) -> Reply:
        """The whole answer, once every question was answered or skipped."""
        t = self.r.t
        blocks = [t(T.ELIG_RESULT_TITLE), t(T.ELIG_YOU_SAID, facts=self.described(facts))]
        blocks.extend(self._sure_blocks(verdict))
        skip = moot(self.elig, verdict)
        unsure = [r for r in verdict.open if r.outcome not in skip]
        if unsure:
            blocks.append("\n".join([t(T.ELIG_ASK_MORE), *self.lines(unsure)]))
        if verdict.ended:
            blocks.append("\n".join([t(T.ELIG_ENDED), *self.lines(verdict.ended)]))
        missing = self._not_applying(facts, verdict)
        if missing:
            blocks.append("\n".join([t(T.ELIG_NOT_APPLY), *missing]))
        if not verdict.sure and not verdict.open:
            blocks.append(t(T.ELIG_NOTHING))
        blocks.extend(f"ℹ️ {note}" for note in self._notes(facts))
        papers = self._papers(verdict)
        if papers:
            blocks.append("\n".join([t(T.ELIG_PAPERS), *(f"• {p}" for p in papers)]))
        blocks.append(t(T.ELIG_ASK_AT, where=self._ask_at(verdict)))
        reviewed = [self.catalog.policies[r.policy].reviewed for r in verdict.all()]
        if reviewed:
            blocks.append(t(T.POLICY_REVIEWED, date=vn_date(min(reviewed))))
        buttons = (Button(t(T.ELIG_AGAIN), "el:start"), *self._policy_buttons(verdict))
        return Reply("\n\n".join(blocks), (*buttons, self.r.home_button()))

    def _sure_blocks(self, verdict: Verdict) -> list[str]:
        blocks: list[str] = []
        skip = moot(self.elig, verdict)
        for outcome in self.elig.outcomes:
            rules = [r for r in verdict.sure if r.outcome == outcome.id and r.outcome not in skip]
            if rules:
                blocks.append("\n".join([outcome.title, *self.lines(rules)]))
        return blocks

    def _not_applying(self, facts: Facts, verdict: Verdict) -> list[str]:
        """For each kind of answer that does not apply: what it would take (never a guess:
        a kind whose rules do not cover the chosen level is left to the level's note)."""
        out: list[str] = []
        skip = moot(self.elig, verdict)
        said = verdict.outcomes() | {r.outcome for r in verdict.open}
        level = facts.get("level")
        for outcome in self.elig.outcomes:
            if outcome.id in skip:
                out.append(f"• {' '.join((outcome.moot or '').split())}")
                continue
            if outcome.id in said:
                continue
            if outcome.id == "provincial":
                out.append(f"• {self._provincial(facts, verdict)}")
                continue
            if outcome.none is None or not self._covers(outcome.id, level):
                continue
            if outcome.id == LOAN and facts.get(HOUSEHOLD) == NO_HOUSEHOLD:
                # answers (review3 C11): "Không thuộc các hộ trên" was an answer, not silence
                out.append(f"• {self.r.t(T.ELIG_LOAN_NOT_HOUSEHOLD)}")
                continue
            out.append(f"• {' '.join(outcome.none.split())}")
        return out

    def _covers(self, outcome: str, level: str | list[str] | None) -> bool:
        """Whether some rule of this outcome can apply at this level."""
        for rule in self.elig.rules:
            if rule.outcome != outcome:
                continue
            levels = rule.when.get("level")
            if levels is None or level is None or level in levels:
                return True
        return False

    def _provincial(self, facts: Facts, verdict: Verdict) -> str:
        province = self.catalog.provinces.get(str(facts.get("province") or ""))
        if province is None:
            return self.r.t(T.ELIG_NO_PROVINCE)
        return self.r.t(T.ELIG_NO_PROVINCE_POLICY, province=province.name)

    def _notes(self, facts: Facts) -> list[str]:
        notes: list[str] = []
        for question in self.elig.questions:
            value = facts.get(question.id)
            for ident in [] if value is None else [value] if isinstance(value, str) else value:
                option = question.option(ident)
                if option is not None and option.note:
                    notes.append(" ".join(option.note.split()))
        return notes

    def _papers(self, verdict: Verdict) -> list[str]:
        wanted = {p for r in (*verdict.sure, *verdict.open) for p in r.papers}
        return [p.label for p in self.elig.papers if p.id in wanted]

    def _ask_at(self, verdict: Verdict) -> str:
        where = [self.catalog.policies[r.policy].refer_to for r in verdict.all()]
        unique = list(dict.fromkeys(w for w in where if w))
        return "; ".join(unique) if unique else self.r.t(T.ELIG_ASK_AT_DEFAULT)

    def _policy_buttons(self, verdict: Verdict) -> list[Button]:
        ids = list(dict.fromkeys(r.policy for r in verdict.all()))[:MAX_POLICY_BUTTONS]
        return [Button(f"📄 {self.catalog.policies[p].title}", f"policy:{p}") for p in ids]
