"""python -m bot: same as the `huongnghiep` command."""

from bot.cli import main

raise SystemExit(main())
