"""Load content/*.yaml into a Catalog; every error names its file and key path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

try:  # libyaml's parser, when PyYAML was built with it: about 8x faster than the pure-Python one
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

from bot.catalog.districts import District
from bot.catalog.documents import Document
from bot.catalog.eligibility import Eligibility
from bot.catalog.models import (
    Abbreviations,
    Event,
    Faq,
    Level,
    OutOfScope,
    Policy,
    Province,
    Safety,
    School,
    SchoolField,
    Survey,
    Texts,
    Trade,
)
from bot.catalog.quiz import Quiz  # quiz (issue 11)
from bot.catalog.targets import Target, load_targets  # dashboard (issue 12)
from bot.matching.care_model import MODEL_FILE, load_model
from bot.matching.normalize import fold

SUPPORTED_VERSION = 1
SAFETY_VERSION = 2  # patterns, blockers and weights (bot/matching/care.py) replaced phrases
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One content problem, printed as `file:key: message`."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.key}: {self.message}"


class CatalogError(Exception):
    """Raised when content cannot be loaded; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Located:
    """Where an item came from, for messages."""

    file: str
    key: str


@dataclass(frozen=True)
class Catalog:
    """All content, validated. Mappings keep file order."""

    policies: dict[str, Policy]
    levels: dict[str, Level]
    trades: dict[str, Trade]
    schools: dict[str, School]
    provinces: dict[str, Province]
    events: dict[str, Event]
    faq: dict[str, Faq]
    out_of_scope: dict[str, OutOfScope]
    surveys: dict[str, Survey]
    texts: dict[str, str]
    abbreviations: Abbreviations
    safety: Safety
    documents: dict[str, Document] = field(default_factory=dict)  # content/documents.yaml
    districts: dict[str, District] = field(default_factory=dict)  # content/districts.yaml
    eligibility: Eligibility | None = None  # content/eligibility.yaml (eligibility check)
    # task directory: content/school_fields.yaml (optional)
    school_fields: dict[str, SchoolField] = field(default_factory=dict)
    origin: dict[str, Located] = field(default_factory=dict)  # "faq:x" -> where it is defined
    quiz: Quiz | None = None  # content/quiz.yaml: the interest quiz (issue 11)
    targets: dict[str, Target] = field(default_factory=dict)  # content/targets.yaml (dashboard)
    directory: Path = DEFAULT_CONTENT_DIR

    def school_name(self, school_id: str) -> str:
        """A school's name, or its id if the catalog no longer has it (old leads)."""
        school = self.schools.get(school_id)
        return school.name if school is not None else school_id

    def former_province_name(self, school: School) -> str | None:
        """Display name of the former province a school was in, e.g. "Long An"."""
        province = self.provinces.get(school.province)
        if province is None or school.former_province is None:
            return None
        for name in province.absorbed:
            if fold(name).replace(" ", "_") == school.former_province:
                return name
        return None

    def text(self, key: str, **values: object) -> str:
        """A user-facing string by key, formatted with values."""
        template = self.texts[key]
        return template.format(**values) if values else template


# file stem (or folder) -> (list key, model, catalog attribute, id prefix)
_SECTIONS: dict[str, tuple[str, type[BaseModel], str, str]] = {
    "policies": ("policies", Policy, "policies", "policy"),
    "levels": ("levels", Level, "levels", "level"),
    "trades": ("trades", Trade, "trades", "trade"),
    "schools": ("schools", School, "schools", "school"),
    "provinces": ("provinces", Province, "provinces", "province"),
    "events": ("events", Event, "events", "event"),
    "faq": ("faq", Faq, "faq", "faq"),
    "out_of_scope": ("out_of_scope", OutOfScope, "out_of_scope", "oos"),
    "surveys": ("surveys", Survey, "surveys", "survey"),
    "documents": ("documents", Document, "documents", "doc"),
    "districts": ("districts", District, "districts", "district"),
}


class _StrictLoader(_SafeLoader):
    """SafeLoader that rejects a key repeated in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(
    path: Path, rel: str, problems: list[Problem], version: int = SUPPORTED_VERSION
) -> dict[str, Any] | None:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        problems.append(Problem(rel, where, f"invalid YAML: {exc}"))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(rel, "-", "file is not UTF-8"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(rel, "-", "top level must be a mapping with `version`"))
        return None
    if data.get("version") != version:
        problems.append(Problem(rel, "version", f"must be {version}"))
    return data


def _loc(parts: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in parts)


def _validate(model: type[M], raw: Any, rel: str, key: str, problems: list[Problem]) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            sub = _loc(err["loc"])
            problems.append(Problem(rel, f"{key}.{sub}" if sub else key, err["msg"]))
        return None


def _section_files(directory: Path, stem: str) -> Iterator[Path]:
    single = directory / f"{stem}.yaml"
    if single.exists():
        yield single
    folder = directory / stem
    if folder.is_dir():
        yield from sorted(folder.glob("*.yaml"))


def list_items(
    path: Path, rel: str, list_key: str, model: type[M], problems: list[Problem]
) -> Iterator[tuple[str, M]]:
    """The valid items of a content file's list `list_key`, each with its problem key
    ("faq.hp_x", or "faq[3]" without an id); what is wrong goes to `problems`."""
    data = _read_yaml(path, rel, problems)
    if data is None:
        return
    raw_list = data.get(list_key)
    if not isinstance(raw_list, list):
        problems.append(Problem(rel, list_key, "must be a list"))
        return
    for index, raw in enumerate(raw_list):
        key = f"{list_key}[{index}]"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            key = f"{list_key}.{raw['id']}"
        item = _validate(model, raw, rel, key, problems)
        if item is not None:
            yield key, item


def load_catalog(directory: Path | str | None = None) -> Catalog:
    """Load and validate every content file; raise CatalogError listing all problems."""
    root = Path(directory) if directory is not None else DEFAULT_CONTENT_DIR
    problems: list[Problem] = []
    items: dict[str, dict[str, Any]] = {attr: {} for _, _, attr, _ in _SECTIONS.values()}
    origin: dict[str, Located] = {}
    if not root.is_dir():
        raise CatalogError([Problem(str(root), "-", "content directory not found")])

    for stem, (list_key, model, attr, prefix) in _SECTIONS.items():
        files = list(_section_files(root, stem))
        if not files:
            problems.append(Problem(f"{stem}.yaml", "-", "missing"))
        for path in files:
            rel = str(path.relative_to(root))
            for key, item in list_items(path, rel, list_key, model, problems):
                item_id = item.id  # type: ignore[attr-defined]
                full = f"{prefix}:{item_id}"
                if full in origin:
                    first = origin[full]
                    problems.append(
                        Problem(rel, key, f"duplicate id (first in {first.file}:{first.key})")
                    )
                    continue
                origin[full] = Located(rel, key)
                items[attr][item_id] = item

    texts = _load_single(root, "texts.yaml", Texts, problems)
    abbreviations = _load_single(root, "abbreviations.yaml", Abbreviations, problems)
    safety = _load_single(root, "safety.yaml", Safety, problems, SAFETY_VERSION)
    if safety is not None:  # the care detector's learned model, when the content has one
        try:
            safety = safety.model_copy(update={"learned": load_model(root / MODEL_FILE)})
        except ValueError as exc:
            problems.append(Problem(MODEL_FILE, "-", str(exc)))
    eligibility = None  # the eligibility check, when the content has one
    if (root / "eligibility.yaml").exists():
        eligibility = _load_single(root, "eligibility.yaml", Eligibility, problems)
    quiz = _load_single(root, "quiz.yaml", Quiz, problems)  # quiz (issue 11)
    school_fields = _load_fields(root, problems)  # task directory
    targets = load_targets(root, problems)  # dashboard (issue 12)
    if problems or texts is None or abbreviations is None or safety is None:
        raise CatalogError(problems)
    return Catalog(
        quiz=quiz,
        targets=targets,
        school_fields=school_fields,
        texts=dict(texts.texts),
        eligibility=eligibility,
        abbreviations=abbreviations,
        safety=safety,
        origin=origin,
        directory=root,
        **items,
    )


def _load_single(
    root: Path, name: str, model: type[M], problems: list[Problem], version: int = SUPPORTED_VERSION
) -> M | None:
    path = root / name
    if not path.exists():
        problems.append(Problem(name, "-", "missing"))
        return None
    data = _read_yaml(path, name, problems, version)
    if data is None:
        return None
    body = {k: v for k, v in data.items() if k != "version"}
    return _validate(model, body, name, "-", problems)


def _load_fields(root: Path, problems: list[Problem]) -> dict[str, SchoolField]:
    """The directory's fields of study (content/school_fields.yaml), when the file exists."""
    path = root / "school_fields.yaml"
    if not path.exists():
        return {}
    data = _read_yaml(path, path.name, problems)
    raw_list = data.get("fields") if data is not None else None
    if not isinstance(raw_list, list):
        if data is not None:
            problems.append(Problem(path.name, "fields", "must be a list"))
        return {}
    fields: dict[str, SchoolField] = {}
    for index, raw in enumerate(raw_list):
        item = _validate(SchoolField, raw, path.name, f"fields[{index}]", problems)
        if item is not None:
            fields[item.id] = item
    return fields


def today() -> dt.date:
    """The date content validity is judged against (a function so tests can pass another)."""
    return dt.date.today()
