"""Cross-file content checks: ids, shared phrasings, expired policies, texts, trust rules."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections import defaultdict
from pathlib import Path

from bot.catalog.documents import entity_problems
from bot.catalog.eligibility import eligibility_problems
from bot.catalog.load import Catalog, CatalogError, Problem, load_catalog
from bot.catalog.models import readable_source, related_payload, shown_source
from bot.catalog.quiz import quiz_problems
from bot.catalog.targets import target_problems  # dashboard (issue 12)
from bot.catalog.text_keys import SCREEN_LABELS, all_keys
from bot.catalog.trust import citations, date_logic, invented, local_only, yes_no_openers
from bot.matching.care import CareDetector
from bot.matching.care_model import MODEL_FILE, stale
from bot.matching.normalize import Normalizer, fold

_DATE_WORDS = re.compile(r"hiệu lực|thời gian áp dụng|ngày ban hành", re.IGNORECASE)


def check_directory(
    directory: Path | str | None = None, today: dt.date | None = None
) -> list[Problem]:
    """Every problem in a content directory: load errors first, then cross-file ones."""
    try:
        catalog = load_catalog(directory)
    except CatalogError as exc:
        return exc.problems
    return check_catalog(catalog, today or dt.date.today())


def check_catalog(catalog: Catalog, today: dt.date) -> list[Problem]:
    """Cross-file problems of a loaded catalog."""
    problems: list[Problem] = []
    problems.extend(_unknown_ids(catalog))
    problems.extend(_shared_phrasings(catalog))
    problems.extend(_expired_policies(catalog, today))
    problems.extend(_texts(catalog))
    problems.extend(_surveys(catalog))
    problems.extend(_safety(catalog))
    problems.extend(citations(catalog))
    problems.extend(local_only(catalog))
    problems.extend(date_logic(catalog))
    problems.extend(yes_no_openers(catalog))
    problems.extend(invented(catalog))
    problems.extend(entity_problems(catalog, today))  # entities: documents.yaml, districts.yaml
    problems.extend(eligibility_problems(catalog, today))  # eligibility.yaml (issue 11)
    problems.extend(_quiz(catalog))  # quiz (issue 11): content/quiz.yaml
    problems.extend(target_problems(catalog))  # dashboard (issue 12): content/targets.yaml
    problems.extend(_intent_model(catalog))
    return problems


def _intent_model(catalog: Catalog) -> list[Problem]:
    """The matcher's learned model is readable and was trained on today's phrasings (else
    the matcher decides without it, which is measurably worse: README, Quality)."""
    from bot.matching.intent import MODEL_FILE as INTENT_FILE
    from bot.matching.intent import load_model
    from bot.matching.targets import build_matcher
    from bot.matching.train_data import TRAIN_DIR, extra_docs, train_fingerprint

    try:
        model = load_model(catalog.directory / INTENT_FILE)
    except ValueError as exc:
        return [Problem(INTENT_FILE, "", str(exc))]
    matcher = build_matcher(catalog)
    extra, problems = extra_docs(matcher, catalog.directory)
    if model is None:
        return problems
    if matcher.intent is None:
        why = "the phrasings changed since it was trained: run `huongnghiep match train`"
        return [*problems, Problem(INTENT_FILE, "", why)]
    if model.extra_on != train_fingerprint(extra):
        why = f"{TRAIN_DIR}/ changed since it was trained: run `huongnghiep match train`"
        return [*problems, Problem(INTENT_FILE, "", why)]
    return problems


def _quiz(catalog: Catalog) -> list[Problem]:
    """The interest quiz: items balanced over the six types, every trade reachable."""
    if catalog.quiz is None:
        return [Problem("quiz.yaml", "-", "missing")]
    found = quiz_problems(catalog.quiz, catalog.trades)
    return [Problem("quiz.yaml", key, message) for key, message in found]


def _where(catalog: Catalog, full_id: str) -> tuple[str, str]:
    loc = catalog.origin.get(full_id)
    return (loc.file, loc.key) if loc else ("?", full_id)


def _known_payload(catalog: Catalog, payload: str) -> bool:
    if payload in SCREEN_LABELS:  # the school directory, the eligibility check
        return True
    kind, _, ident = payload.partition(":")
    tables: dict[str, object] = {
        "faq": catalog.faq,
        "trade": catalog.trades,
        "school": catalog.schools,
        "policy": catalog.policies,
        "level": catalog.levels,
        "event": catalog.events,
    }
    table = tables.get(kind)
    return isinstance(table, dict) and ident in table


def _unknown_ids(catalog: Catalog) -> list[Problem]:
    out: list[Problem] = []

    def need(full_id: str, field: str, ref: str, table: dict[str, object], what: str) -> None:
        if ref not in table:
            file, key = _where(catalog, full_id)
            out.append(Problem(file, f"{key}.{field}", f"unknown {what} id '{ref}'"))

    levels: dict[str, object] = dict(catalog.levels)
    trades: dict[str, object] = dict(catalog.trades)
    provinces: dict[str, object] = dict(catalog.provinces)
    policies: dict[str, object] = dict(catalog.policies)
    for trade in catalog.trades.values():
        for lv in trade.levels:
            need(f"trade:{trade.id}", "levels", lv, levels, "level")
    for school in catalog.schools.values():
        full = f"school:{school.id}"
        for lv in school.levels:
            need(full, "levels", lv, levels, "level")
        for tr in school.trades:
            need(full, "trades", tr, trades, "trade")
        need(full, "province", school.province, provinces, "province")
        shown = shown_source(school.source)
        if shown is None:
            file, key = _where(catalog, full)
            # a card shows its first source: "seed NNN" is internal, the document's title is not
            why = "no source a user may see: give a seed's document, 'seed 000 (<title>)'"
            out.append(Problem(file, f"{key}.source", why))
        elif not readable_source(shown):
            file, key = _where(catalog, full)
            why = f"the card shows {shown!r}: give a web address or a Vietnamese description first"
            out.append(Problem(file, f"{key}.source", why))
        if school.former_province and catalog.former_province_name(school) is None:
            file, key = _where(catalog, full)
            out.append(
                Problem(
                    file,
                    f"{key}.former_province",
                    f"'{school.former_province}' is not absorbed by {school.province}",
                )
            )
    for policy in catalog.policies.values():
        if policy.scope != "national":
            need(f"policy:{policy.id}", "scope", policy.scope, provinces, "province")
    known_places = {fold(n) for p in catalog.provinces.values() for n in (p.name, *p.absorbed)}
    for faq in catalog.faq.values():
        full = f"faq:{faq.id}"
        for place in faq.provinces:
            if fold(place) not in known_places:
                file, key = _where(catalog, full)
                out.append(Problem(file, f"{key}.provinces", f"unknown province '{place}'"))
        for pid in faq.policies:
            need(full, "policies", pid, policies, "policy")
        for rel in faq.related:
            if not _known_payload(catalog, related_payload(rel)):
                file, key = _where(catalog, full)
                out.append(Problem(file, f"{key}.related", f"unknown target '{rel}'"))
    for topic in catalog.out_of_scope.values():
        for rel in topic.related:
            if not _known_payload(catalog, related_payload(rel)):
                out.append(
                    Problem("out_of_scope.yaml", f"{topic.id}.related", f"unknown target '{rel}'")
                )
    return out


def _shared_phrasings(catalog: Catalog) -> list[Problem]:
    """The same phrasing (after normalization) under two different answers."""
    normalize = Normalizer(catalog.abbreviations.tokens, catalog.abbreviations.phrases)
    owners: dict[str, set[str]] = defaultdict(set)
    sources: list[tuple[str, str, str]] = []
    for faq in catalog.faq.values():
        for text in (faq.question, *faq.phrasings, *faq.keywords):
            sources.append((f"faq:{faq.id}", text, "phrasings"))
    for trade in catalog.trades.values():
        for text in (trade.name, *trade.keywords):
            sources.append((f"trade:{trade.id}", text, "keywords"))
    for school in catalog.schools.values():
        for text in (school.name, *school.keywords):
            sources.append((f"school:{school.id}", text, "keywords"))
    for topic in catalog.out_of_scope.values():
        for text in topic.phrasings:
            sources.append((f"oos:{topic.id}", text, "phrasings"))
    first_text: dict[str, str] = {}
    for owner, text, _ in sources:
        norm = normalize(text)
        if norm:
            owners[norm].add(owner)
            first_text.setdefault(norm, text)
    out: list[Problem] = []
    for norm, ids in owners.items():
        if len(ids) > 1:
            ordered = sorted(ids)
            for owner in ordered[1:]:
                file, key = _where(catalog, owner)
                out.append(
                    Problem(file, key, f"phrasing '{first_text[norm]}' is also under {ordered[0]}")
                )
    return out


def _expired_policies(catalog: Catalog, today: dt.date) -> list[Problem]:
    out: list[Problem] = []
    for policy in catalog.policies.values():
        file, key = _where(catalog, f"policy:{policy.id}")
        over = policy.window_over_after()
        if policy.status == "current" and over is not None and over < today:
            ended = policy.window_ends or over.isoformat()
            out.append(Problem(file, f"{key}.status", f"ended {ended} but still marked current"))
        if policy.status == "historical" and not policy.window:
            # the historical notice reads "áp dụng cho {window}": it needs the source's words
            out.append(Problem(file, f"{key}.window", "historical policy needs its window"))
        if policy.effective_to and policy.window_ends:
            why = "give effective_to (a day a source gives) or window_ends, not both"
            out.append(Problem(file, f"{key}.window_ends", why))
        dated = policy.effective_from or policy.window
        if not dated and not any(_DATE_WORDS.search(u) for u in policy.unverified):
            out.append(
                Problem(
                    file,
                    f"{key}.effective_from",
                    "no effective date or window: give one, or list it as unverified",
                )
            )
        if policy.confidence != "high" and not (policy.unverified or policy.refer_to):
            out.append(
                Problem(
                    file,
                    f"{key}.unverified",
                    "not high confidence: list what is unverified or where to ask",
                )
            )
    return out


def _texts(catalog: Catalog) -> list[Problem]:
    out: list[Problem] = []
    for key in all_keys():
        if key not in catalog.texts:
            out.append(Problem("texts.yaml", f"texts.{key}", "missing (used by the code)"))
    formatter = string.Formatter()
    for key, value in catalog.texts.items():
        try:
            list(formatter.parse(value))
        except ValueError as exc:
            out.append(Problem("texts.yaml", f"texts.{key}", f"bad placeholder: {exc}"))
    return out


def _surveys(catalog: Catalog) -> list[Problem]:
    """Survey steps: unique ids, options where needed, `when` pointing back, consent first."""
    out: list[Problem] = []
    for survey in catalog.surveys.values():
        file, key = _where(catalog, f"survey:{survey.id}")
        seen: dict[str, set[str]] = {}
        consent_at: int | None = None
        for index, step in enumerate(survey.steps):
            where = f"{key}.steps.{step.id}"
            if step.id in seen:
                out.append(Problem(file, where, "duplicate step id"))
            if step.type in ("single", "multi") and len(step.options) < 2:
                out.append(Problem(file, where, "a choice question needs at least 2 options"))
            if step.type == "info" and step.policy not in catalog.policies:
                out.append(Problem(file, f"{where}.policy", f"unknown policy id '{step.policy}'"))
            if step.type == "consent":
                consent_at = index
            if step.personal and consent_at is None:
                out.append(Problem(file, where, "personal data asked before the consent step"))
            for ref, values in step.when.items():
                if ref not in seen:
                    out.append(Problem(file, f"{where}.when", f"'{ref}' is not an earlier step"))
                elif seen[ref] and not set(values) <= seen[ref]:
                    out.append(Problem(file, f"{where}.when", f"unknown value for '{ref}'"))
            allowed = {o.id for o in step.options}
            if step.type == "province":
                allowed = set(catalog.provinces)
            seen[step.id] = allowed
        if consent_at is None:
            out.append(Problem(file, f"{key}.steps", "no consent step"))
        if survey.minor and not any(s.type == "parent_consent" for s in survey.steps):
            out.append(
                Problem(file, f"{key}.steps", "survey for minors needs a parent_consent step")
            )
    return out


def _safety(catalog: Catalog) -> list[Problem]:
    """The examples of safety.yaml, run through the detector: the care ones must get the care
    answer and the others must not (a guard for whoever edits the patterns)."""
    detector = CareDetector(catalog.safety)
    examples = catalog.safety.examples
    out: list[Problem] = []
    model = catalog.safety.learned
    if model is not None:  # the model was trained on these files: retrain when one changes
        for name in stale(model, catalog.directory.parent, catalog.directory):
            why = "changed since the care model was trained: run `huongnghiep care train`"
            out.append(Problem(MODEL_FILE, name, why))
    for index, phrase in enumerate(catalog.safety.now):
        if phrase != fold(phrase):  # matched on folded words: a mark or capital never matches
            out.append(Problem("safety.yaml", f"now.{index}", f"write it folded: '{fold(phrase)}'"))
    for index, text in enumerate(examples.care):
        if detector.detect(text) is None:
            out.append(Problem("safety.yaml", f"examples.care[{index}]", "no care answer"))
    for name, texts, calm in (
        ("everyday", examples.everyday, True),
        ("not_everyday", examples.not_everyday, False),
    ):
        for index, text in enumerate(texts):
            hit = detector.detect(text)
            if hit is None:
                out.append(Problem("safety.yaml", f"examples.{name}[{index}]", "no care answer"))
            elif (detector.everyday(text, hit) is not None) != calm:
                why = "the full care answer" if calm else "the calmer care answer"
                out.append(Problem("safety.yaml", f"examples.{name}[{index}]", why))
    for index, text in enumerate(examples.not_care):
        hit = detector.detect(text)
        if hit is not None:
            found = ", ".join(hit.evidence)
            out.append(
                Problem("safety.yaml", f"examples.not_care[{index}]", f"care answer ({found})")
            )
    return out
