"""Per-conversation locks across processes for SQLite: byte-range locks on one file.

SQLite has no row locks: holding its write lock (BEGIN IMMEDIATE) for a whole turn would
serialize every user's turn behind every other's. Instead each conversation key maps to one byte
of a lock file beside the database, locked with an open-file-description lock (Linux
F_OFD_SETLK): it excludes every other open of the file, in this process or another, and the
kernel drops it when the holder dies (kill -9 included). Different keys never wait for each other
(a hash collision only makes two keys share a byte). Where OFD locks are missing, only the
in-process lock and the stored version guard a conversation.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import hashlib
import os
import struct
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.core.messages import ConversationKey

_SETLK: int | None = getattr(fcntl, "F_OFD_SETLK", None)
_SPAN = 1 << 40  # byte offsets a key may hash to (locks may lie beyond the end of the file)
_FIRST_WAIT = 0.0005  # seconds; doubling up to _LONGEST_WAIT while another process holds it
_LONGEST_WAIT = 0.02


def _flock(kind: int, offset: int) -> bytes:
    # struct flock {short l_type, l_whence; off_t l_start, l_len; pid_t l_pid} (l_pid 0 for OFD)
    return struct.pack("hhqqi4x", kind, os.SEEK_SET, offset, 1, 0)


def _offset(key: ConversationKey) -> int:
    digest = hashlib.blake2b(f"{key.channel}\0{key.user_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % _SPAN


class FileKeyLocks:
    """Exclusive per-key locks on `path`; hold() waits (without blocking the loop) for its turn.

    Callers serialize one key within the process first (KeyedLocks); this lock only has to wait
    for other processes, or for another store on the same file.
    """

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self._path = path
        self._timeout = timeout
        self._fd: int | None = None

    @property
    def available(self) -> bool:
        """Whether this platform has open-file-description locks."""
        return _SETLK is not None

    def _file(self) -> int:
        if self._fd is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._fd = fd
            weakref.finalize(self, os.close, fd)
        return self._fd

    def _try(self, offset: int) -> bool:
        assert _SETLK is not None
        try:
            fcntl.fcntl(self._file(), _SETLK, _flock(fcntl.F_WRLCK, offset))
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    @asynccontextmanager
    async def hold(self, key: ConversationKey) -> AsyncIterator[None]:
        if _SETLK is None:
            yield
            return
        offset = _offset(key)
        wait, waited = _FIRST_WAIT, 0.0
        while not self._try(offset):
            if waited >= self._timeout:
                raise TimeoutError("conversation is locked by another process")
            await asyncio.sleep(wait)
            waited += wait
            wait = min(wait * 2, _LONGEST_WAIT)
        try:
            yield
        finally:
            fcntl.fcntl(self._file(), _SETLK, _flock(fcntl.F_UNLCK, offset))
