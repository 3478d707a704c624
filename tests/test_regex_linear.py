"""No regular expression (or text scanner) run on user or platform input is super-linear.

Every compiled pattern in bot/ is found (module attributes, plus an AST scan for `re` calls
anywhere else) and must be listed in COVERED, so a new pattern cannot be forgotten. Each is fed
strings built from its own building blocks (its literal runs and samples of its character
classes, alone, in pairs and as runs of one character, each followed by a failing tail) at
lengths growing to MAX_LENGTH, with fullmatch and findall. Linear time grows r times when the
length does; the test allows 2.5 r (r up to 4), counts the thread's CPU time (not the wall
clock) and re-measures a suspicious step before failing, so a loaded machine cannot make it
flake, while a quadratic pattern (16x for 4x the length) or an exponential one fails (shown
below on the old patterns).
"""

from __future__ import annotations

import ast
import functools
import gc
import importlib
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from re import _parser as sre_parse  # the stdlib's own parser: blocks come from the pattern
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot
from bot.catalog import load_catalog
from bot.core.flows.survey_answers import _LETTER, MAX_PARTS, _parts, clean_text, yes_no
from bot.core.messages import clean_input
from bot.core.numbers import several_numbers, single_number
from bot.logs import mask_phones
from bot.matching.doc_numbers import scan
from bot.matching.entities import DistrictIndex, ProvinceIndex
from bot.matching.matcher import Matcher
from bot.matching.normalize import fold
from bot.matching.words import words

ROOT = Path(bot.__file__).resolve().parent
MAX_LENGTH = 4096  # a Telegram message; the engine reads at most 1,000 characters
# fine steps while short: an exponential pattern must be caught before one step costs minutes
SIZES = (8, 10, 12, 14, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 96, 128, 256, 512, 1024, 2048)
SIZES = (*SIZES, MAX_LENGTH)
SLACK = 2.5  # a length r times longer may take 2.5 r times as long (linear: r; quadratic: r^2)
FLOOR = 2e-6  # seconds: below this a measurement is timer noise
CONFIRMATIONS = 3  # a suspicious step must be confirmed this many times, each a best of 7
MAX_BLOCKS = 12
TAILS = ("x", "!", "1")  # a last character the pattern may reject, after everything it accepted
GENERIC = (" ", "a", "à", "1", ",", "-", "\n", "\x00", "và", "+84", "@")
CATEGORY_SAMPLES = {
    "CATEGORY_DIGIT": "1",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " \n",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "!",
}

# Every pattern run on text from outside, where it runs, and extra blocks beyond those derived
# from the pattern itself (a new pattern fails test_every_pattern_is_covered until listed here).
COVERED: dict[str, tuple[str, ...]] = {
    "bot.core.engine._HAS_WORD": ("!?",),  # every typed message
    "bot.core.flows.survey_answers._LETTER": ("1 ",),  # typed survey answers
    "bot.core.flows.survey_answers._SPLIT": ("hàn, ", " va ", "voi"),  # list answers
    "bot.core.flows.survey_answers._NAME_WORD": ("a'", "a’", "a-", "aʼ", "'-"),  # names
    "bot.matching.normalize._NON_WORD": ("a!", "à "),  # fold(): every message
    "bot.matching.normalize._REPEATS": ("aa", "aab", "aaa"),
    "bot.matching.normalize._LETTER_DIGIT": ("a1", "1a"),
    "bot.matching.normalize._TAG": ("<b", "<a ", "</", "<a x=1", ">"),
    "bot.channels.webchat._SESSION_RE": ("a" * 63 + "!",),  # the web session id
    # -- handoff (issue 12): office hours (a setting) and the event stream's Last-Event-ID --
    "bot.core.flows.handoff_hours._PERIOD": ("mon-fri 07:30-17:00", "sat ", "07:30", "  "),
    "bot.web.events._EVENT_ID": ("1" * 16 + "x",),
    "bot.storage.schools.LINK_CODE_PATTERN": ("HN-", "HNA", "HN-ABCD2345"),  # group messages
    # parent (issue 12): a parent's code in any short message; generated codes
    "bot.core.flows.parent_words._SQUEEZE": (" -", "a -_.", "ph-abcd-2345"),
    "bot.core.flows.parent_words._BODY": ("abcd2345", "abcd234!"),
    "bot.storage.parent_codes._TRIPLE": ("aab", "aaa", "ab"),
    "bot.logs._PHONE": ("0 ", "84.", "+84 ", "(091) ", "0912 345 67"),  # every log record
    # questions the bot could not answer, masked before they are kept
    "bot.core.unanswered._EMAIL": ("a@b.c", "a.", "@", "a@b", ".a"),
    "bot.core.unanswered._DIGITS": ("1 ", "1.", "1-", "12", "1  "),
    "bot.channels.telegram._COMMAND": ("/a", "/a@", "/a@b ", "a_"),  # every Telegram message
    "bot.channels.zalo_oa._TIMESTAMP": ("1" * 17,),  # the webhook's timestamp
    "bot.channels.base.PLATFORM_ID": ("a" * 65, "1.", ":-"),  # ids in every platform event
    "bot.catalog.models.ID_RE": ("a_",),  # content ids (not user text)
    "bot.catalog.check._DATE_WORDS": ("hiệu ", "thời gian "),  # content (not user text)
    # content-audit: the trust checks of `content check` (content, not user text)
    "bot.catalog.trust._KIND": ("Luật ", "Kế hoạch "),
    "bot.catalog.trust._NUMBER_YEAR": ("1/2020", "12/7/2023", "/20"),
    "bot.catalog.trust._NUMBER_KIND": ("31/NQ", "21-CT", "1-"),
    "bot.catalog.trust._OWN_SOURCES_LINE": ("Căn cứ ", "căn cứ:"),
    "bot.catalog.trust._LOCAL": ("UBND ", "/TU"),
    "bot.catalog.trust._SINCE": ("Từ 1/3/2025", "từ ngày ", "1/"),
    "bot.catalog.trust._YES_NO_OPENER": ("Có ", "Không."),
    "bot.catalog.trust._WH": ("bao nhieu ", "o dau", "gi "),
    "bot.catalog.trust._PHONE": ("0272 000 0000", "+84 ", "0x", "09 "),
    "bot.catalog.trust._EXAMPLE_NAME": ("(ví dụ", "("),
    # a school's source on its card (content, not user text)
    "bot.catalog.models._SEED": ("seed 000 ", "seeds 1, 2 and 3", "seed 1 (", "seed 1: ", "và "),
}
# `re` calls that are not module-level patterns: where, and how this test gets the pattern.
DYNAMIC: dict[str, str] = {
    "bot/matching/normalize.py:Normalizer.__init__": "phrase alternation built from content",
}


# -- finding every pattern ------------------------------------------------------------------------


def _modules() -> Iterator[Any]:
    for info in pkgutil.walk_packages(bot.__path__, "bot."):
        if not info.name.endswith("__main__"):
            yield importlib.import_module(info.name)


def discovered() -> dict[int, tuple[re.Pattern[str], set[str]]]:
    """Compiled patterns held by bot modules: id -> (pattern, the names it goes by)."""
    found: dict[int, tuple[re.Pattern[str], set[str]]] = {}
    for module in _modules():
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found.setdefault(id(value), (value, set()))[1].add(f"{module.__name__}.{name}")
    return found


def _re_calls() -> Iterator[tuple[str, str, ast.AST]]:
    """(file, enclosing scope, node) of every use of the re module outside a module-level
    `NAME = re.compile(...)`, and every other way of importing a regex engine."""
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {
            id(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
        }
        scopes: list[tuple[ast.AST, str]] = [(tree, "")]
        while scopes:
            node, scope = scopes.pop()
            for child in ast.iter_child_nodes(node):
                inner = scope
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    inner = f"{scope}.{child.name}".lstrip(".")
                if isinstance(child, ast.ImportFrom) and child.module in ("re", "regex"):
                    yield rel, inner, child
                if isinstance(child, ast.Import) and any(
                    a.name == "regex" or (a.name == "re" and a.asname) for a in child.names
                ):
                    yield rel, inner, child
                if (
                    isinstance(child, ast.Call)
                    and isinstance(child.func, ast.Attribute)
                    and isinstance(child.func.value, ast.Name)
                    and child.func.value.id == "re"
                    and child.func.attr not in ("escape",)
                    and not (id(child) in top_level and child.func.attr == "compile")
                ):
                    yield rel, inner, child
                scopes.append((child, inner))


def test_every_pattern_is_covered() -> None:
    missing = [
        sorted(names) for _pattern, names in discovered().values() if not names & COVERED.keys()
    ]
    assert not missing, f"patterns not in COVERED (add them with their building blocks): {missing}"
    known = {name for _p, names in discovered().values() for name in names}
    assert not COVERED.keys() - known, "COVERED names a pattern that no longer exists"


def test_no_other_regex_call_site() -> None:
    sites = {f"{rel}:{scope}" for rel, scope, _node in _re_calls()}
    assert sites == DYNAMIC.keys(), (
        "a `re` call outside a module-level pattern: make it one (then list it in COVERED), "
        f"or list the site in DYNAMIC with a test of its pattern. Sites: {sorted(sites)}"
    )


# -- adversarial strings --------------------------------------------------------------------------


def _class_samples(items: Any) -> set[str]:
    out: set[str] = set()
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            out |= {"x", "!", " ", "1"}  # whichever of these the class leaves out
        elif name == "LITERAL":
            out.add(chr(av))
        elif name == "RANGE":
            out.add(chr(av[0]))
        elif name == "CATEGORY":
            out |= set(CATEGORY_SAMPLES.get(str(av), ""))
    return out


def _walk(items: Any, blocks: set[str]) -> None:
    run: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(av))
            continue
        if run:
            blocks.add("".join(run))
            run = []
        if name == "NOT_LITERAL":
            blocks |= {chr(av), "x", "!"}
        elif name == "IN":
            blocks |= _class_samples(av)
        elif name == "ANY":
            blocks.add("x")
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _walk(av[2], blocks)
        elif name == "SUBPATTERN":
            _walk(av[-1], blocks)
        elif name == "ATOMIC_GROUP":
            _walk(av, blocks)
        elif name == "BRANCH":
            for alternative in av[1]:
                _walk(alternative, blocks)
        elif name in ("ASSERT", "ASSERT_NOT"):
            _walk(av[1], blocks)
        elif name == "GROUPREF_EXISTS":
            _walk(av[1], blocks)
            if av[2] is not None:
                _walk(av[2], blocks)
    if run:
        blocks.add("".join(run))


def building_blocks(pattern: re.Pattern[str]) -> list[str]:
    """The pattern's literal runs and class samples (at most MAX_BLOCKS: shortest and longest)."""
    blocks: set[str] = set()
    _walk(sre_parse.parse(pattern.pattern, pattern.flags), blocks)
    ordered = sorted(blocks, key=lambda b: (len(b), b))
    step = max(1, -(-len(ordered) // MAX_BLOCKS))
    return ordered[::step]  # a long alternation: an even sample


def families(blocks: list[str], extra: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(head, unit): the adversarial strings are a head, then the unit repeated, then a tail.

    Units are blocks alone and in pairs, and a block followed by a run of one character (the
    issue 9 input "1   1   1 ... x" is "1" then "  "); heads are single blocks before a run
    of another ("1" then spaces, then "x": work at every space, redone at every start)."""
    runs = [b * 2 for b in blocks if len(b) == 1]
    found = dict.fromkeys(("", unit) for unit in (*blocks, *extra, *GENERIC))
    for first in blocks:
        for second in (*blocks, *runs):
            if first != second and first != second[:1]:
                found["", first + second] = None
        for run in runs:
            if first != run[:1]:
                found[first, run[:1]] = None
    return list(found)


def hostile(head: str, unit: str, tail: str, length: int) -> str:
    """`head`, then `unit` repeated, then `tail` (which the pattern may reject): `length`
    characters in all."""
    body = head + unit * (length // len(unit) + 1)
    return body[: length - len(tail)] + tail


# -- measuring growth -----------------------------------------------------------------------------


@contextmanager
def no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _time(func: Callable[[str], object], text: str, repeats: int = 1) -> float:
    # this thread's CPU time, not the wall clock: on a machine busy with other processes (CI
    # beside other jobs) a wall-clock step of 1024 -> 4096 characters was once seen at 16x,
    # three times over, on a scanner that is linear
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        func(text)
        best = min(best, time.thread_time() - start)
    return max(best, FLOOR)


def superlinear_step(func: Callable[[str], object], make: Callable[[int], str]) -> str | None:
    """None when `func`'s time grows linearly over SIZES, else the step that did not."""
    times: dict[int, float] = {}
    for size in SIZES:
        times[size] = _time(func, make(size))
        for before in [b for b in times if size <= 4 * b < 4 * size]:
            limit = SLACK * size / before
            if times[size] <= limit * times[before]:
                continue
            for _ in range(CONFIRMATIONS):  # re-measure, best of 7, before believing it
                times[before] = _time(func, make(before), 7)
                times[size] = _time(func, make(size), 7)
                if times[size] <= limit * times[before]:
                    break
            else:
                ratio = times[size] / times[before]
                return f"{before} -> {size} characters took {ratio:.0f}x (at most {limit:.0f}x)"
    return None


def pattern_ops(pattern: re.Pattern[str]) -> Callable[[str], object]:
    # findall tries every start, as search, sub and split do; fullmatch must reach the end
    return lambda s: (pattern.fullmatch(s), pattern.findall(s))


def check(func: Callable[[str], object], shapes: list[tuple[str, str]]) -> str | None:
    """The first string shape that makes `func` super-linear, or None."""
    with no_gc():
        for head, unit in shapes:
            for tail in TAILS:
                step = superlinear_step(func, lambda n, h=head, u=unit, t=tail: hostile(h, u, t, n))
                if step is not None:
                    return f"{head!r} + {unit!r} * k + {tail!r}: {step}"
    return None


# -- the tests ------------------------------------------------------------------------------------


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for pattern, names in discovered().values():
        covered = sorted(names & COVERED.keys())
        if covered:
            out.append((covered[0], pattern))
    return sorted(out, key=lambda p: p[0])


@pytest.mark.parametrize(("name", "pattern"), _patterns(), ids=[n for n, _ in _patterns()])
def test_pattern_is_linear(name: str, pattern: re.Pattern[str]) -> None:
    bad = check(pattern_ops(pattern), families(building_blocks(pattern), COVERED[name]))
    assert not bad, f"{name} ({pattern.pattern!r}) is super-linear on: {bad}"


def test_normalizer_phrases_are_linear(matcher: Matcher) -> None:
    phrases = getattr(matcher.normalize, "_phrase_re", None)
    assert isinstance(phrases, re.Pattern), "the normalizer builds its phrase pattern"
    keys = sorted(getattr(matcher.normalize, "_phrase_map", {}), key=len)
    extra = (keys[0], keys[-1], keys[-1][:-1], " ".join(keys[-1].split()[:-1]) + " ")
    bad = check(pattern_ops(phrases), families(building_blocks(phrases), extra))
    assert not bad, f"the normalizer's phrase pattern is super-linear on: {bad}"


SCANNERS: dict[str, tuple[Callable[[str], object], tuple[str, ...]]] = {
    "single_number": (single_number, ("1", " ", ".", ")", "1 ")),
    "several_numbers": (several_numbers, ("1", "   ", "1   ", "1 và ", "1,", "1va", ", ")),
    "clean_input": (clean_input, ("\x00", "\uffff", "\ud800", "à", "a")),
    "clean_text": (clean_text, ("\u200b", " ", "a ")),
    "fold": (fold.__wrapped__, ("à", "Đ", "aaa", "a1", "!")),
    "yes_no": (yes_no, ("em ", "nha ", "khong ", "co ")),
    "mask_phones": (mask_phones, ("0", "0912345678", "+84 ", "0 ", "(0")),
    # entities: every typed message is read for document numbers and former districts
    "words": (words, ("a", "Đ", "1", "/", "a1", "-")),
    "doc_numbers.scan": (scan, ("nđ 81/2021/NĐ-CP ", "81/", "nghị định ", "1-", "luật ", "số ")),
    # the quick test first, then the reading with diacritics it lets through (apart: the quick
    # test saying no to short texts and yes to longer ones is a step, not a growth rate)
    "districts.quick": (
        lambda text: _districts().may_name(fold(text).split()),
        ("ben luc ", "chau thanh ", "tan ", "1 ", "vinh phuc "),
    ),
    "districts": (
        lambda text: _districts().read(text),
        ("Bến Lức ", "ở ", "huyện ", "thị xã ", "Vĩnh Phúc ", "Châu Thành ", "thuộc tỉnh nào "),
    ),
}


@functools.cache
def _districts() -> DistrictIndex:
    catalog = load_catalog()
    return DistrictIndex(catalog, ProvinceIndex(catalog))


@pytest.mark.parametrize("name", sorted(SCANNERS))
def test_scanner_is_linear(name: str) -> None:
    func, extra = SCANNERS[name]
    bad = check(func, families(list(extra)))
    assert not bad, f"{name} is super-linear on: {bad}"


# -- the test can fail ----------------------------------------------------------------------------

# The several-numbers pattern of issue 9: "1" + "   1" * 15 + " x" held the loop for 11 s.
OLD_NUMBERS = re.compile(r"^\s*\d{1,3}(?:\s*(?:[,;/+&]|\s|và|va)\s*\d{1,3})+\s*$", re.IGNORECASE)
OLD_NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.)]?\s*$")  # quadratic on "1" + spaces + "x"
OLD_SPLIT = re.compile(r"\s*(?:[,;/+\n]|\bvà\b|\bva\b|\bvoi\b|\bvới\b)\s*", re.IGNORECASE)


@pytest.mark.parametrize(
    "pattern", [OLD_NUMBERS, OLD_NUMBER, OLD_SPLIT], ids=["exponential", "quadratic", "split"]
)
def test_the_check_catches_backtracking(pattern: re.Pattern[str]) -> None:
    bad = check(pattern_ops(pattern), families(building_blocks(pattern)))
    assert bad, f"{pattern.pattern!r} should have been caught"


# -- the scanners read what the old patterns read -----------------------------------------------

PIECES = ["1", "23", "456", "7890", "٣", " ", "  ", "\n", "\u00a0", ",", ";", "/", "+", "&"]
PIECES += ["và", "va", "VA", "Và", "và,", "x", ".", ")", "-", "0"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=8).map("".join))
def test_numbers_are_read_as_the_old_patterns_read_them(text: str) -> None:
    several = OLD_NUMBERS.match(text)
    assert several_numbers(text) == (re.findall(r"\d{1,3}", text) if several else None)
    single = OLD_NUMBER.match(text)
    assert single_number(text) == (single.group(1) if single else None)


ITEMS = ["hàn", "điện", "cơ khí", " ", ",", ";", "/", "+", "\n", "và", "va", "với", "voi", "VÀ"]
ITEMS += ["vali", "avà", "1", "x"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ITEMS), max_size=12).map("".join))
def test_list_answers_are_split_as_the_old_pattern_split_them(text: str) -> None:
    old = [p for p in OLD_SPLIT.split(clean_text(text)) if p and _LETTER.search(p)]
    assert _parts(text) == old[:MAX_PARTS]
