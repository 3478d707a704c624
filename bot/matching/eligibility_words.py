"""Words that say a circumstance a message names is not the student's (eligfix2): the name of
an office, a place or a day ("Phòng Lao động - Thương binh và Xã hội", "nghĩa trang liệt sĩ"), a
group talked about ("học sinh mồ côi", "người khuyết tật"), a restriction or a report ("chỉ có hộ
nghèo mới được…", "nghe nói…", "phòng bảo…").

Pure: phrases come from content/eligibility.yaml (detector.not_said), already normalized.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MASK = "_"  # stands for a word of a name: no phrase, person or topic word is "_"
ONLY_GAP = 2  # words allowed between "chỉ (có)" and the phrase it restricts ("chỉ có nhà hộ…")
ONLY_AFTER = 4  # words allowed between the phrase and "mới" ("chỉ có hộ nghèo, dân tộc mới…")
REPORT_GAP = 8  # words a report ("nghe nói") reaches forward


@dataclass(frozen=True)
class NotSaid:
    """Content: `names` never tick (masked before reading); a phrase right after a `groups`
    noun is a group talked about, unless a person or a `links` word ("là") comes before the
    noun ("em là học sinh mồ côi"); after `reported` words, or between `only` and `only_after`
    ("chỉ có … mới"), it is someone's report; a person right before `asking` asks, and is not
    who the message is about; `own_only` options count only as the student's own: someone
    else's ("anh trai em vừa xuất ngũ") says nothing about the student."""

    names: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)
    only: list[str] = field(default_factory=list)
    only_after: list[str] = field(default_factory=list)
    asking: list[str] = field(default_factory=list)
    own_only: Mapping[str, list[str]] = field(default_factory=dict)


def _split(phrases: list[str]) -> list[tuple[str, ...]]:
    return sorted({tuple(p.split()) for p in phrases if p.split()}, key=len, reverse=True)


def _ending_at(words: list[str], stop: int, phrases: list[tuple[str, ...]]) -> int | None:
    """The start of the longest phrase ending right before `stop`."""
    for phrase in phrases:
        begin = stop - len(phrase)
        if begin >= 0 and tuple(words[begin:stop]) == phrase:
            return begin
    return None


class NotTheStudents:
    """Reads, around one mention of a circumstance, whether it speaks of a group or repeats
    someone's words rather than saying it of the student."""

    def __init__(self, content: NotSaid) -> None:
        self.content = content
        self._names = _split(content.names)
        self._groups = _split(content.groups)
        self._links = _split(content.links)
        self._reported = _split(content.reported)
        self._only = _split(content.only)
        self._only_after = _split(content.only_after)
        self._asking = _split(content.asking)

    def mask(self, words: list[str]) -> list[str]:
        """The words, with every word of a name replaced by MASK."""
        out = list(words)
        start = 0
        while start < len(out):
            size = next((len(n) for n in self._names if tuple(out[start : start + len(n)]) == n), 0)
            if size:
                out[start : start + size] = [MASK] * size
                start += size
            else:
                start += 1
        return out

    def own_only(self, question: str, option: str) -> bool:
        return option in self.content.own_only.get(question, [])

    def asks(self, words: list[str], end: int) -> bool:
        """A person ending at `end` is the one asking ("cho em hỏi", "mình muốn hỏi")."""
        return any(tuple(words[end : end + len(a)]) == a for a in self._asking)

    def general(
        self,
        words: list[str],
        start: int,
        end: int,
        persons: list[tuple[int, int]],
        alone: bool = True,
    ) -> bool:
        """The mention words[start:end] speaks of a group, repeats a report or a
        restriction, or (`alone`) stands in a message naming nobody; `persons`: where the
        message names someone (begin, end). "Là con thương binh…", "thuộc diện hộ nghèo…"
        with nobody named are the writer's own (the subject left out)."""

        def person_between(a: int, b: int) -> bool:
            return any(a <= begin and stop <= b for begin, stop in persons)

        def group_at(stop: int) -> bool:
            """A group noun ends at `stop`, and nobody, no link stands right before it."""
            noun = _ending_at(words, stop, self._groups)
            if noun is None or any(end == noun for _, end in persons):
                return False
            return _ending_at(words, noun, self._links) is None

        if group_at(start):
            return True
        noun = _ending_at(words, start, self._groups)
        link = _ending_at(words, start if noun is None else noun, self._links)
        if link is not None and group_at(link):  # "sinh viên là người dân tộc (thiểu số)"
            return True
        linked = link is not None
        for stop in range(start, max(start - REPORT_GAP, 0) - 1, -1):
            if _ending_at(words, stop, self._reported) is not None:
                if not person_between(stop, start):
                    return True
                break
        for stop in range(start, max(start - ONLY_GAP, 0) - 1, -1):
            if _ending_at(words, stop, self._only) is None or person_between(stop, start):
                continue
            after = words[end : end + ONLY_AFTER + 1]
            stops = range(len(after) + 1)
            if any(_ending_at(after, i, self._only_after) is not None for i in stops):
                return True
        return alone and not persons and not linked
