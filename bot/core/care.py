"""The care answer: what a child in danger or in crisis reads, before anything else.

Care first (a warm line that depends on the kind of danger), then the help lines (111, 113,
115) and a trusted adult, then a way back: the waiting survey, kept as it was, or the menu.

Everyday pressure over a study choice with no sign of danger ("bố mẹ ép em vào c3 mà em không
muốn") gets a calmer answer: heard, how to talk it over at home, 111 to be listened to, and the
topic it is about (`Grade.offer`); no "mình rất lo", no 113/115. The rule is content/safety.yaml's
`everyday`; whatever it does not cover keeps the full answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.messages import Button, Reply
from bot.matching.care import CareDetector, CareHit

# Kinds about the writer's own state; the others are about someone hurting them.
SELF_KINDS = frozenset({"suicide", "self_harm", "depression", "pressure", "distress"})
RESUME = "sv:resume"


@dataclass(frozen=True)
class Grade:
    """How strongly a message heard with care is answered: `now` when the danger is happening
    now (115 and 113 first); `offer` (a payload) for the calmer answer to everyday pressure."""

    now: bool = False
    offer: str | None = None


def grade(care: CareDetector, text: str, hit: CareHit) -> Grade:
    """The grade of the care answer to one message."""
    if care.happening_now(text):
        return Grade(now=True)
    return Grade(offer=care.everyday(text, hit))


def care_text(
    catalog: Catalog,
    hit: CareHit,
    survey_waiting: bool = False,
    now: bool = False,
    counsellor_reads: bool = False,
    everyday: bool = False,
) -> str:
    """The care answer's text for one detected message; when the danger is happening now, the
    emergency numbers come first; while a counsellor talks with the student, it says they read
    it too; `everyday`: the calmer answer to everyday pressure over a study choice."""
    intro = T.CARE_SELF if hit.kind in SELF_KINDS else T.CARE_HARM
    after = (
        T.CARE_COUNSELLOR_READS
        if counsellor_reads
        else T.CARE_SURVEY_KEPT
        if survey_waiting
        else T.CARE_AFTER
    )
    # when the danger is happening now, 115 and 113 open the answer and are not said twice
    if everyday and not now:
        parts = [T.CARE_EVERYDAY, T.CARE_EVERYDAY_HELP, after]
        return "\n\n".join(catalog.text(key) for key in parts)
    danger = "" if now else catalog.text(T.CARE_DANGER).rstrip() + "\n"  # its own line
    parts = [catalog.text(intro), catalog.text(T.CARE, danger=danger), catalog.text(after)]
    if now:
        parts.insert(0, catalog.text(T.CARE_NOW))
    return "\n\n".join(parts)


def care_reply(
    catalog: Catalog,
    hit: CareHit,
    home: Button,
    survey_waiting: bool,
    resume: str = RESUME,
    now: bool = False,
    counsellor: Button | None = None,
    offer: Button | None = None,
) -> Reply:
    """The care answer with its buttons: continue the survey (when one waits; the button
    presses `resume`), talk to a counsellor (when one can be reached) and the menu; with `offer`
    (the topic everyday pressure is about), the calmer answer, that topic's button first."""
    buttons = (Button(catalog.text(T.CARE_CONTINUE), resume), home) if survey_waiting else (home,)
    if counsellor is not None:
        buttons = (counsellor, *buttons)
    if offer is not None:
        buttons = (offer, *buttons)
    text = care_text(catalog, hit, survey_waiting, now, everyday=offer is not None)
    return Reply(text, buttons)


def care_follow_reply(
    catalog: Catalog,
    home: Button,
    resume: str | None = None,
    counsellor: Button | None = None,
) -> Reply:
    """The short reply to a message right after a care answer: still here, the help lines
    again, and the way back (bot/core/care_after.py)."""
    after = T.CARE_SURVEY_KEPT if resume else T.CARE_FOLLOW_AFTER
    parts = [catalog.text(T.CARE_FOLLOW), catalog.text(after)]
    buttons = (Button(catalog.text(T.CARE_CONTINUE), resume), home) if resume else (home,)
    if counsellor is not None:
        buttons = (counsellor, *buttons)
    return Reply("\n\n".join(parts), buttons)
