"""Turn the catalog into match targets: FAQ entries, trades and schools."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.catalog import Catalog, CatalogError, Problem, load_catalog
from bot.catalog.cache import cached
from bot.matching.documents import DocumentIndex
from bot.matching.entities import DistrictIndex, ProvinceIndex
from bot.matching.intent import MODEL_FILE, IntentModel, load_model
from bot.matching.matcher import OUT_OF_SCOPE, Matcher, Target, Thresholds
from bot.matching.money import MONEY_TOPICS
from bot.matching.negation import GroupReader
from bot.matching.resolve import EntityMatcher, PlaceNormalizer


def catalog_targets(catalog: Catalog) -> list[Target]:
    """Every answerable target with the phrasings users might type for it."""
    targets: list[Target] = []
    for faq in catalog.faq.values():
        texts = (faq.question, *faq.phrasings, *faq.keywords)
        targets.append(Target(f"faq:{faq.id}", faq.question, texts))
    for trade in catalog.trades.values():
        texts = (trade.name, f"nghề {trade.name}", *trade.keywords)
        targets.append(Target(f"trade:{trade.id}", f"Nghề {trade.name}", texts))
    for school in catalog.schools.values():
        # task directory: the directory reads school names itself (bot/core/flows/schools.py);
        # only schools given keywords are targets, so 100+ names do not crowd the questions
        if school.keywords:
            texts = (school.name, *school.keywords)
            targets.append(Target(f"school:{school.id}", school.name, texts))
    for topic in catalog.out_of_scope.values():
        targets.append(Target(f"{OUT_OF_SCOPE}{topic.id}", topic.id, tuple(topic.phrasings)))
    return targets


def normalizer_for(catalog: Catalog) -> PlaceNormalizer:
    """The normalizer configured by content/abbreviations.yaml and the province names; former
    districts are read as their former provinces (content/districts.yaml)."""
    provinces = ProvinceIndex(catalog)
    phrases = {**provinces.phrases, **catalog.abbreviations.phrases}
    districts = DistrictIndex(catalog, provinces)
    return PlaceNormalizer(catalog.abbreviations.tokens, phrases, districts)


def build_matcher(catalog: Catalog, thresholds: Thresholds | None = None) -> Matcher:
    """A matcher over the whole catalog, answering document numbers and "which province is this
    former district in" before matching (bot/matching/resolve.py)."""
    normalizer = normalizer_for(catalog)
    groups = group_reader(catalog)
    return EntityMatcher(
        catalog_targets(catalog),
        normalizer,
        thresholds,
        DocumentIndex(catalog),
        normalizer.districts,
        ProvinceIndex(catalog),
        _intent(catalog),
        frozenset(f"faq:{f.id}" for f in catalog.faq.values() if f.topic in MONEY_TOPICS),
        groups,
        target_groups(catalog, groups, normalizer) if groups is not None else None,
    )


def group_reader(catalog: Catalog) -> GroupReader | None:
    """negation: the groups of the eligibility check ("household.ho_ngheo",
    "circumstances.khuyet_tat"), by the detector's phrases and vague phrases."""
    if catalog.eligibility is None:
        return None
    d = catalog.eligibility.detector
    groups: dict[str, list[str]] = {}
    for table in (d.phrases, d.vague):
        for question in d.triggers:
            for option, phrases in table.get(question, {}).items():
                groups.setdefault(f"{question}.{option}", []).extend(phrases)
    return GroupReader(groups)


def target_groups(
    catalog: Catalog, groups: GroupReader, normalizer: PlaceNormalizer
) -> dict[str, frozenset[str]]:
    """negation: the FAQ answers written for a group, by the groups their question names
    ("Hộ nghèo, cận nghèo học nghề được hỗ trợ gì?"); the phrasings are left out: they name
    groups in passing ("học sinh dân tộc thiểu số thuộc hộ nghèo…")."""
    out: dict[str, frozenset[str]] = {}
    for faq in catalog.faq.values():
        named = groups.named(normalizer(faq.question).split())
        if named:
            out[f"faq:{faq.id}"] = named
    return out


def _intent(catalog: Catalog) -> IntentModel | None:
    """The matcher's learned model under the content directory, if there is one."""
    try:
        return load_model(catalog.directory / MODEL_FILE)
    except ValueError as exc:
        raise CatalogError([Problem(MODEL_FILE, "", str(exc))]) from None


@dataclass(frozen=True)
class Built:
    """A content directory's catalog and its matcher."""

    catalog: Catalog
    matcher: Matcher


def load_built(directory: Path, cache_dir: Path | None) -> Built:
    """The catalog and matcher of `directory`, from `cache_dir` while content and code are
    unchanged (bot.catalog.cache); raises CatalogError like load_catalog."""

    def build() -> Built:
        catalog = load_catalog(directory)
        return Built(catalog, build_matcher(catalog))

    return cached(directory, cache_dir, "matcher", Built, build)
