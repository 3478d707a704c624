"""Content catalog: YAML files in content/ loaded into frozen, validated models."""

from bot.catalog.load import Catalog, CatalogError, Problem, load_catalog

__all__ = ["Catalog", "CatalogError", "Problem", "load_catalog"]
