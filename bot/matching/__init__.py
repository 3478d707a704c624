"""Question matching: normalization of Vietnamese text and fuzzy scoring against the catalog."""
