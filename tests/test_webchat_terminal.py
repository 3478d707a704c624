"""`huongnghiep chat`: the first screen says how to leave, and the exit words end the session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _chat(tmp_path: Path, lines: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HUONGNGHIEP_LOG_LEVEL"}
    env["HUONGNGHIEP_DATA_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        input=lines,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("word", ["thoát", "thoat", "exit", "QUIT", "/exit"])
def test_an_exit_word_ends_the_session(tmp_path: Path, word: str) -> None:
    # inside a survey too, where "thoát" would otherwise cancel the survey and go on
    out = _chat(tmp_path, f"khao sat\n{word}\nhoc phi trung cap\n")
    assert out.returncode == 0, out.stderr
    first, _, rest = out.stdout.partition("> ")
    assert "Chào bạn" in first and "“thoát”" in first and "“exit”" in first
    assert "Tạm biệt bạn" in rest
    assert "238/2025" not in rest  # nothing after the exit word was read
    assert "Đã hủy khảo sát" not in rest
