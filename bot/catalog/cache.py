"""A pickle cache of what is built from content/ (the validated catalog, the matcher).

An entry is keyed by a hash of every content file's path and bytes, of the source of the code
that builds it (bot/catalog, bot/matching) and of the Python and library versions: a change to
any of them makes a new key, and an entry under another key is rebuilt. An entry is read only if
it is a regular file owned by this user and writable by no one else, in such a directory, and
its bytes match the digest stored with them; anything else (corrupt, truncated, stale, foreign)
is ignored, and the caller builds the value from content/ as if there were no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pydantic
import yaml

from bot.catalog.load import Catalog, load_catalog

log = logging.getLogger(__name__)

FORMAT = b"HNCACHE2"  # bump when the layout of an entry changes
_BOT = Path(__file__).resolve().parents[1]
CODE_DIRS = (_BOT / "catalog", _BOT / "matching")  # the code whose output is cached

V = TypeVar("V")


def content_key(directory: Path, purpose: str) -> str:
    """Hash of the content files, the code that builds from them and the library versions."""
    digest = hashlib.sha256(FORMAT)
    versions = (purpose, str(directory.resolve()), sys.version, pydantic.VERSION, yaml.__version__)
    digest.update("\0".join(versions).encode())
    for root, pattern in [*((d, "*.py") for d in CODE_DIRS), (directory, "*")]:
        for path in sorted(p for p in root.rglob(pattern) if p.is_file()):
            data = path.read_bytes()
            name = str(path.relative_to(root)).encode()
            digest.update(b"\0%s\0%d\0" % (name, len(data)))
            digest.update(data)
    return digest.hexdigest()


def _private(path: Path) -> bool:
    """Ours and writable by no one else (so no one else could have put code in a pickle)."""
    info = path.stat()
    getuid = getattr(os, "getuid", None)
    owner_ok = getuid is None or info.st_uid == getuid()
    return owner_ok and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read(path: Path, key: str, kind: type[V]) -> V | None:
    """The cached value under `key`, or None if there is none that can be trusted."""
    try:
        if not path.is_file() or not _private(path) or not _private(path.parent):
            return None
        blob = path.read_bytes()
        head = len(FORMAT) + 64 + 32
        if blob[: len(FORMAT)] != FORMAT or blob[len(FORMAT) : len(FORMAT) + 64] != key.encode():
            return None
        payload = blob[head:]
        if hashlib.sha256(payload).digest() != blob[len(FORMAT) + 64 : head]:
            log.warning("content cache %s is corrupt; rebuilding it", path.name)
            return None
        value = pickle.loads(payload)  # noqa: S301 - private file, digest checked above
    except Exception as exc:  # a cache must never stop the bot: anything odd means "no cache"
        log.warning("content cache %s unreadable (%s); rebuilding", path.name, type(exc).__name__)
        return None
    return value if isinstance(value, kind) else None


def write(path: Path, key: str, value: object) -> None:
    """Store `value` under `key` (atomically; a cache that cannot be written is skipped)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(FORMAT + key.encode() + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
    except Exception as exc:
        log.info("content cache %s not written (%s)", path.name, type(exc).__name__)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def cached(
    directory: Path, cache_dir: Path | None, purpose: str, kind: type[V], build: Callable[[], V]
) -> V:
    """`build()`, or what it returned before for the same content and code."""
    if cache_dir is None:
        return build()
    try:
        key = content_key(directory, purpose)
    except OSError:
        return build()  # the content cannot be read: let build() report it
    path = cache_dir / f"content-{purpose}.pickle"
    value = read(path, key, kind)
    if value is None:
        value = build()
        write(path, key, value)
    return value


def load_catalog_cached(directory: Path, cache_dir: Path | None) -> Catalog:
    """load_catalog(directory), from `cache_dir` while content and code are unchanged."""
    return cached(directory, cache_dir, "catalog", Catalog, lambda: load_catalog(directory))
