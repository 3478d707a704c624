"""The web app's home-screen icons, drawn here (no image library, nothing downloaded).

`python -m bot.web.icons` writes icon-192.png, icon-512.png and icon-maskable-512.png into
bot/web/static/: a white speech bubble with three dots on the chat's green.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

GREEN = (0x0B, 0x6E, 0x4F)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 3  # per axis, for smooth edges


def _inside_rounded(
    x: float, y: float, x0: float, y0: float, x1: float, y1: float, r: float
) -> bool:
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _shade(x: float, y: float, maskable: bool) -> tuple[int, int, int, int]:
    """The colour at (x, y) in the unit square."""
    if not maskable and not _inside_rounded(x, y, 0, 0, 1, 1, 0.22):
        return (0, 0, 0, 0)
    bubble = _inside_rounded(x, y, 0.2, 0.26, 0.8, 0.66, 0.12)
    # the bubble's tail, down and to the left
    tail = 0.3 <= x <= 0.46 and 0.6 <= y <= 0.78 and (x - 0.3) >= (y - 0.6) * 0.9
    if bubble or tail:
        for dot in (0.36, 0.5, 0.64):
            if (x - dot) ** 2 + (y - 0.46) ** 2 <= 0.048**2:
                return (*GREEN, 255)
        return (*WHITE, 255)
    return (*GREEN, 255)


def draw(size: int, maskable: bool = False) -> bytes:
    """A square PNG (RGBA) of `size` pixels."""
    rows = bytearray()
    step = 1 / (size * SAMPLES)
    for py in range(size):
        rows.append(0)  # filter: none
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px * SAMPLES + sx + 0.5) * step
                    y = (py * SAMPLES + sy + 0.5) * step
                    r, g, b, a = _shade(x, y, maskable)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            alpha = acc[3]
            n = SAMPLES * SAMPLES
            if alpha:
                rows += bytes((acc[0] // alpha, acc[1] // alpha, acc[2] // alpha, alpha // n))
            else:
                rows += b"\0\0\0\0"
    return _png(size, bytes(rows))


def _png(size: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    static = Path(__file__).resolve().parent / "static"
    (static / "icon-192.png").write_bytes(draw(192))
    (static / "icon-512.png").write_bytes(draw(512))
    (static / "icon-maskable-512.png").write_bytes(draw(512, maskable=True))


if __name__ == "__main__":
    main()
