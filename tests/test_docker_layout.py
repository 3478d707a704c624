"""The Docker image's layout, without Docker: copy exactly what the Dockerfile copies, install it
the way the Dockerfile does, start `serve`, read /healthz.

No Docker engine runs on the machines this project is built on, so this test rebuilds the image's
file tree in a temporary directory instead. It reads the COPY lines from the Dockerfile itself,
so a path the image forgets (as `db/` once was) fails here.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def copy_lines() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY line, relative to the build context and WORKDIR."""
    copies: list[tuple[list[str], str]] = []
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not line.upper().startswith("COPY "):
            continue
        words = shlex.split(line, comments=True)
        if words:
            args = [w for w in words[1:] if not w.startswith("--")]
            copies.append((args[:-1], args[-1]))
    return copies


def build_tree(app: Path) -> None:
    """The image's /app: each COPY source placed where the Dockerfile puts it."""
    app.mkdir()
    for sources, dest in copy_lines():
        for source in sources:
            src = ROOT / source
            # "COPY a b ./" puts each source inside the folder; "COPY bot ./bot" names it
            target = app / dest / src.name if dest.endswith("/") or dest == "." else app / dest
            if src.is_dir():
                shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dockerfile_copies_what_serve_needs() -> None:
    copied = {Path(s).parts[0] for sources, _ in copy_lines() for s in sources}
    # everything `serve` reads at run time: the code, the content and the migrations
    assert {"bot", "content", "db", "pyproject.toml"} <= copied, copied


def test_image_tree_installs_and_serves(tmp_path: Path) -> None:
    app = tmp_path / "app"
    build_tree(app)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # The dependencies come from the test environment (a .pth line), so the test installs only
    # the project itself, exactly as the Dockerfile's `pip install -e .` does.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", "."],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    where = subprocess.run(
        [str(python), "-c", "import bot; print(bot.__file__)"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(str(app)), where  # the image's copy, not this checkout
    port = free_port()
    data = tmp_path / "data"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HUONGNGHIEP_", "DATABASE"))},
        "HUONGNGHIEP_DATA_DIR": str(data),
        "HUONGNGHIEP_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [str(venv / "bin" / "huongnghiep"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,  # not /app: the installed package must find its files by itself
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        for _ in range(300):
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = json.loads(r.read())
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        if health is None:
            proc.terminate()
            _, err = proc.communicate(timeout=20)
            raise AssertionError(f"serve from the image tree never answered: {err[-2000:]}")
        assert health["status"] == "ok" and health["database"] == "ok"
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=20)
