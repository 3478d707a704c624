"""The core must stay free of platform, web and database imports."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "bot" / "core"
FORBIDDEN = (
    "telegram",
    "aiohttp",
    "sqlalchemy",
    "alembic",
    "bot.web",
    "bot.channels",
    "bot.storage",
    "bot.leads",
)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_core_imports_nothing_platform_specific() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert files, "bot/core has no modules?"
    offenders = [
        f"{path.relative_to(CORE)}: {name}"
        for path in files
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert offenders == []


def test_the_check_itself_detects_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from aiohttp import web\nimport sqlalchemy.orm\n", encoding="utf-8")
    assert _imports(bad) == ["aiohttp", "sqlalchemy.orm"]
