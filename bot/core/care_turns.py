"""The turns that hear a child with care: the care answer, and the short caring reply to a
message right after it (bot/core/care_after.py). The engine detects; this module answers.

Both pause any flow in progress (every answer kept, its button resumes it), so the child's next
words are never taken as an answer to a question; while a counsellor talks with the child, the
message reaches the counsellor too and the talk goes on.
"""

from __future__ import annotations

import logging

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core import care_after
from bot.core.care import RESUME, care_follow_reply, care_reply, care_text, grade
from bot.core.flows.base import FlowRegistry, Turn
from bot.core.flows.handoff import HandoffFlow
from bot.core.flows.render import Renderer
from bot.core.messages import Button, Reply
from bot.matching.care import CareDetector, CareHit

log = logging.getLogger(__name__)


class CareTurns:
    """Care replies within one turn, with the flows they pause and the counsellor they offer."""

    def __init__(
        self, catalog: Catalog, care: CareDetector, flows: FlowRegistry, renderer: Renderer
    ) -> None:
        self.catalog = catalog
        self.care = care
        self.flows = flows
        self.renderer = renderer

    async def answer(self, hit: CareHit, turn: Turn, text: str) -> list[Reply]:
        """The care answer, with "continue" when a flow waits and a counsellor when one can be
        reached; the emergency numbers first when the danger is happening now; the calmer answer,
        with the topic it is about, to everyday pressure over a study choice."""
        state = turn.state
        graded = grade(self.care, text, hit)
        now = graded.now
        # the kind and the patterns of content/safety.yaml that matched, never the message; INFO,
        # not WARNING: `huongnghiep chat` shows warnings in the terminal the child is typing in
        log.info(
            "care answer kind=%s score=%d everyday=%s",
            hit.kind,
            hit.score,
            graded.offer is not None,
            extra={"evidence": hit.evidence},
        )
        handoff = self.flows.find(HandoffFlow)
        if await handoff.care_heard(turn, text):
            return [Reply(care_text(self.catalog, hit, now=now, counsellor_reads=True))]
        self.flows.pause(state)
        care_after.opened(state, turn.now)
        resume = self.flows.resume_button(state)
        home = self.renderer.home_button()
        person = await handoff.care_button()
        offer = self._offer(graded.offer)
        waiting = resume.payload if resume is not None else None
        return [
            care_reply(
                self.catalog,
                hit,
                home,
                waiting is not None,
                resume=waiting or RESUME,
                now=now,
                counsellor=person,
                offer=offer,
            )
        ]

    def _offer(self, payload: str | None) -> Button | None:
        """The button to the topic everyday pressure is about, when the catalog has it."""
        if payload is None:
            return None
        label = self.renderer.label_for(payload)
        return Button(label, payload) if label else None

    async def follow(self, turn: Turn, text: str) -> list[Reply]:
        """A message right after a care answer: still here, the help lines, the way back;
        the flow stays paused and the message is no answer to it."""
        handoff = self.flows.find(HandoffFlow)
        if await handoff.care_heard(turn, text):  # a counsellor is talking with the child
            return [Reply(self.catalog.text(T.CARE_COUNSELLOR_READS))]
        self.flows.pause(turn.state)
        care_after.opened(turn.state, turn.now)  # the window stays open while the child talks
        resume = self.flows.resume_button(turn.state)
        return [
            care_follow_reply(
                self.catalog,
                self.renderer.home_button(),
                resume.payload if resume else None,
                await handoff.care_button(),
            )
        ]
