"""The command-line contracts, run as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.cli import main
from tests.conftest import CONTENT, ROOT


def run(
    *args: str, input_text: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        input=input_text,
        timeout=60,
        check=False,
    )


def test_ask_json_matches_and_names_the_decree() -> None:
    out = run("ask", "--json", "hoc xong lop 9 hoc trung cap co mat hoc phi ko")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"matched", "id", "score", "answer", "suggestions"}
    assert data["matched"] is True and data["id"] == "faq:hp_thcs_trung_cap"
    assert "238/2025/NĐ-CP" in data["answer"] and "miễn" in data["answer"].lower()


def test_ask_json_out_of_scope_is_not_matched() -> None:
    data = json.loads(run("ask", "--json", "giá vàng hôm nay").stdout)
    assert data["matched"] is False and data["id"] is None


def test_content_check_ok_and_failing(tmp_path: Path) -> None:
    ok = run("content", "check", str(CONTENT))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (tmp_path / "texts.yaml").write_text("version: 1\ntexts: {}\n", encoding="utf-8")
    bad = run("content", "check", str(tmp_path))
    assert bad.returncode != 0
    lines = bad.stdout.strip().splitlines()
    assert "policies.yaml:-: missing" in lines
    assert "texts.yaml:texts.greeting: missing (used by the code)" not in lines  # not loaded
    assert all(line.count(":") >= 2 for line in lines)


def test_eval_prints_figures() -> None:
    out = run("eval", "tests/eval/questions.yaml")
    assert out.returncode == 0, out.stderr
    for line in (
        "correct:",
        "wrong confident:",
        "asked back",
        "declined:",
        "out-of-scope answered:",
    ):
        assert line in out.stdout, line
    assert "per category:" in out.stdout and "  hoc_phi " in out.stdout


def test_eval_names_a_missing_file(tmp_path: Path) -> None:
    out = run("eval", str(tmp_path / "nope.yaml"))
    assert out.returncode == 2 and "no such file" in out.stderr and "Traceback" not in out.stderr


def test_main_called_in_process_changes_no_signal(tmp_path: Path) -> None:
    # Tests call main() inside pytest: a default SIGPIPE there let one write to a closed socket
    # kill the whole test run (CI: "make: *** [unit] Broken pipe").
    before = signal.getsignal(signal.SIGPIPE)
    assert main(["eval", str(tmp_path / "nope.yaml")]) == 2
    assert signal.getsignal(signal.SIGPIPE) == before


def test_the_program_piped_into_head_ends_quietly() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "eval", "tests/eval/questions.yaml"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # as `| head -1` does
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    assert first.startswith("correct:")
    assert code in (0, -signal.SIGPIPE) and "Traceback" not in err, err


def test_chat_in_terminal_understands_numbers(tmp_path: Path) -> None:
    env = {"HUONGNGHIEP_DATA_DIR": str(tmp_path)}
    env = {k: v for k, v in {**os.environ, **env}.items() if k != "HUONGNGHIEP_LOG_LEVEL"}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        input="1\nhoc phi trung cap\n",
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "1. Các nghề" in out.stdout
    assert "Bạn quan tâm nhóm nghề nào?" in out.stdout
    assert "INFO" not in out.stdout + out.stderr  # migrations and logs stay out of the chat


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_listens_and_answers_healthz(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "HUONGNGHIEP_DATA_DIR": str(tmp_path / "var")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
        body = json.dumps({"session": "cli-test-session", "text": "hoc nghe han"}).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/chat",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            assert json.loads(r.read())["replies"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def test_school_link_prints_a_one_time_code(tmp_path: Path) -> None:
    env = {"HUONGNGHIEP_DATA_DIR": str(tmp_path), "HUONGNGHIEP_LOG_LEVEL": "WARNING"}
    done = run("school", "link", "cd_long_an", env=env)
    assert done.returncode == 0, done.stderr
    code = done.stdout.strip()
    assert re.fullmatch(r"HN-[A-Z2-9]{8}", code)
    assert f"/link {code}" in done.stderr
    assert run("school", "link", "cd_long_an", env=env).stdout.strip() != code
    unknown = run("school", "link", "no_such_school", env=env)
    assert unknown.returncode == 2 and "unknown school id" in unknown.stderr
    removed = run("school", "link", "cd_long_an", "--remove", env=env)
    assert removed.stdout.strip() == "no Telegram group was linked"
