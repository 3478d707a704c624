"""Turn the catalog into match targets: FAQ entries, trades and schools."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.catalog import Catalog, load_catalog
from bot.catalog.cache import cached
from bot.matching.entities import ProvinceIndex
from bot.matching.matcher import OUT_OF_SCOPE, Matcher, Target, Thresholds
from bot.matching.normalize import Normalizer


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
        texts = (school.name, *school.keywords)
        targets.append(Target(f"school:{school.id}", school.name, texts))
    for topic in catalog.out_of_scope.values():
        targets.append(Target(f"{OUT_OF_SCOPE}{topic.id}", topic.id, tuple(topic.phrasings)))
    return targets


def normalizer_for(catalog: Catalog) -> Normalizer:
    """The normalizer configured by content/abbreviations.yaml and the province names."""
    phrases = {**ProvinceIndex(catalog).phrases, **catalog.abbreviations.phrases}
    return Normalizer(catalog.abbreviations.tokens, phrases)


def build_matcher(catalog: Catalog, thresholds: Thresholds | None = None) -> Matcher:
    """A matcher over the whole catalog."""
    return Matcher(catalog_targets(catalog), normalizer_for(catalog), thresholds)


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
