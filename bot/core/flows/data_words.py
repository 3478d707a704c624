"""Typed requests about one's own data, as people write them (datarights, review3 C4).

"e muon xoa het thong tin cua e" or "cho e doi ten voi" are the commands "xóa dữ liệu" and
"đổi tên" wrapped in who asks and how politely: `wish` takes the wrapping off, so the request
is read like the short command, and only the short commands listed count (never a search).
"""

from __future__ import annotations

# who asks, and the asking, before the request ("em muốn", "cho mình", "bot ơi giúp tớ")
_BEFORE = frozenset(
    "e em toi minh to tui con chau bot ad admin oi cho giup hay xin vui long lam on muon can "
    "duoc dc da ban".split()
)
# after it: whose, and politeness ("của em", "đi", "với", "giúp em", "được không ạ")
_AFTER = frozenset(
    "cua e em toi minh to tui con chau di voi giup nha nhe a ak luon duoc dc khong ko k "
    "nhi ha".split()
)

DELETE = "delete_data"  # the data-rights flow's "Bạn muốn xóa dữ liệu?"
# the requests themselves, folded, after `wish`
_DELETE = ("du lieu", "thong tin", "thong tin ca nhan", "du lieu ca nhan", "tai khoan")
WORDS = {
    **dict.fromkeys(
        [
            "xoa du lieu cua toi",
            "xoa thong tin cua toi",
            "xoadulieu",
            *(f"xoa {what}" for what in _DELETE),
            *(f"xoa {all_} {what}" for all_ in ("het", "toan bo", "tat ca") for what in _DELETE),
        ],
        DELETE,
    ),
    **dict.fromkeys(
        [
            "xem du lieu cua toi",
            "xem du lieu",
            "du lieu cua toi",
            "thong tin cua toi",
            "xem lai du lieu",
            "xem thong tin da gui",
            "xem thong tin da luu",
        ],
        "data:view",
    ),
    **dict.fromkeys(
        ["rut lai dong y", "rut dong y", "rut lai su dong y", "huy dong y"], "data:withdraw"
    ),
}


def wish(folded: str) -> str:
    """The request in a folded message, without who asks and the politeness around it:
    "e muon xoa het thong tin cua e" -> "xoa het thong tin"."""
    words = folded.split()
    while len(words) > 1 and words[0] in _BEFORE:
        words.pop(0)
    while len(words) > 1 and words[-1] in _AFTER:
        words.pop()
    return " ".join(words)


def command(folded: str, words: dict[str, str]) -> str | None:
    """The payload of a typed request among `words`: as typed, or once unwrapped."""
    return words.get(folded) or words.get(wish(folded))
