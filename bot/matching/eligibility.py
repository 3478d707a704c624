"""The eligibility detector: a typed question that already states a family's circumstances
("con liệt sĩ học trung cấp có được miễn học phí không") -> what it says, as the check's answers.

Pure and small: phrases come from content/eligibility.yaml, already normalized (folded,
teencode expanded); a phrase counts only as whole words and not right after a negator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

MAX_CHARS = 4096  # like the care detector: a question is short; the rest is not read
NEGATION_GAP = 2  # words allowed between a negator and the phrase it negates

Facts = dict[str, str | list[str]]


def _find(words: list[str], phrase: list[str]) -> Iterable[int]:
    """Start indexes of `phrase` as whole words in `words`."""
    size = len(phrase)
    for start in range(len(words) - size + 1):
        if words[start : start + size] == phrase:
            yield start


class EligibilityDetector:
    """Reads the circumstances a message states; None when it states none or asks nothing
    about money (then the matcher answers as before)."""

    def __init__(
        self,
        normalize: Callable[[str], str],
        phrases: Mapping[str, Mapping[str, list[str]]],
        topic: list[str],
        negators: list[str],
        triggers: list[str],
        multi: set[str],
    ) -> None:
        self._normalize = normalize
        self._phrases = {
            q: {o: [p.split() for p in ps] for o, ps in options.items()}
            for q, options in phrases.items()
        }
        self._topic = [t.split() for t in topic]
        self._negators = [n.split() for n in negators]
        self._triggers = list(triggers)
        self._multi = set(multi)

    def detect(self, text: str) -> Facts | None:
        """The answers a message gives (question id -> option id, or ids for a multi
        question), when it names a trigger circumstance and asks about money; else None."""
        words = self._normalize(text[:MAX_CHARS]).split()
        if not any(True for t in self._topic for _ in _find(words, t)):
            return None
        facts: Facts = {}
        for question, options in self._phrases.items():
            found = [o for o, ps in options.items() if any(self._said(words, p) for p in ps)]
            if question in self._multi and found:
                facts[question] = found
            elif len(found) == 1:  # two levels named ("trung cấp hay cao đẳng"): not known
                facts[question] = found[0]
        if not any(q in facts for q in self._triggers):
            return None
        return facts

    def _said(self, words: list[str], phrase: list[str]) -> bool:
        """Whether the phrase occurs at least once not negated."""
        return any(not self._negated(words, start) for start in _find(words, phrase))

    def _negated(self, words: list[str], start: int) -> bool:
        """A negator ends at most NEGATION_GAP words before `start`."""
        for negator in self._negators:
            size = len(negator)
            for end in range(max(start - NEGATION_GAP, 0), start + 1):
                if end - size >= 0 and words[end - size : end] == negator:
                    return True
        return False
