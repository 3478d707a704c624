"""Run the Alembic migrations in db/ (at `serve` start and by `huongnghiep db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parents[2] / "db"


def alembic_config(url: str) -> Config:
    """Alembic configuration without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` (call outside a running event loop)."""
    command.upgrade(alembic_config(url), revision)
