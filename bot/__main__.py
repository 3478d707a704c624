"""python -m bot: same as the `huongnghiep` command."""

from bot.cli import run

raise SystemExit(run())
