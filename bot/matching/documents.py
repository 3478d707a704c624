"""The catalog's documents as seen from messages and answers: which document a message names,
which answers are about a document (their phrasings name it) and which rest on it (cite it)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.catalog import Catalog
from bot.catalog.documents import doc_keys, places_of
from bot.matching.doc_numbers import DocFinder, Found
from bot.matching.entities import ProvinceMention
from bot.matching.normalize import fold


class DocumentIndex:
    """Document references resolved against content/documents.yaml."""

    def __init__(self, catalog: Catalog) -> None:
        self.finder = DocFinder(doc_keys(catalog))
        self.titles = {d.id: d.title for d in catalog.documents.values()}
        self.about: dict[str, frozenset[str]] = {}  # "faq:x" -> documents its phrasings name
        self.cited_by: dict[str, list[str]] = {}  # document id -> "faq:x" / "policy:y", in order
        self._faq(catalog)
        self._policies(catalog)

    def _names(self, texts: Iterable[str], places: frozenset[str]) -> list[str]:
        out: list[str] = []
        for text in texts:
            for ident in self.finder.find(text, places).known:
                if ident not in out:
                    out.append(ident)
        return out

    def _cite(self, payload: str, documents: Iterable[str]) -> None:
        for ident in documents:
            citing = self.cited_by.setdefault(ident, [])
            if payload not in citing:
                citing.append(payload)

    def _faq(self, catalog: Catalog) -> None:
        cites: list[tuple[str, list[str]]] = []
        for faq in catalog.faq.values():
            places = places_of(catalog, faq.provinces)
            named = self._names((faq.question, *faq.phrasings, *faq.keywords), places)
            if named:
                self.about[f"faq:{faq.id}"] = frozenset(named)
            texts = [faq.answer, *(s.document for s in faq.sources)]
            for pid in faq.policies:
                policy = catalog.policies.get(pid)
                if policy is not None:
                    texts.extend(s.document for s in policy.sources)
            cites.append((f"faq:{faq.id}", self._names(texts, places)))
        # answers about a document first, then those that only cite it
        for payload, documents in sorted(cites, key=lambda c: c[0] not in self.about):
            self._cite(payload, documents)

    def _policies(self, catalog: Catalog) -> None:
        for policy in catalog.policies.values():
            places = places_of(catalog, [policy.scope]) if policy.scope != "national" else None
            texts = [policy.summary, *(s.document for s in policy.sources)]
            self._cite(f"policy:{policy.id}", self._names(texts, places or frozenset()))

    def find(self, text: str, mentions: Iterable[ProvinceMention] = ()) -> Found:
        """The documents `text` names; provinces it names pick between local documents."""
        places: set[str] = set()
        for mention in mentions:
            places |= {mention.province_id, mention.name}
        return self.finder.find(text, frozenset(fold(p).replace(" ", "_") for p in places))
