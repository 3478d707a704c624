"""Menu screens: the main menu and its drill-downs, addressed by short payloads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from bot.catalog.text_keys import T, policy_group_key
from bot.core.flows.render import Renderer
from bot.core.messages import Button, Reply

V = TypeVar("V")

SECTOR_KEYS = {
    "cong_nghiep": T.SECTOR_CONG_NGHIEP,
    "nong_nghiep": T.SECTOR_NONG_NGHIEP,
    "dich_vu": T.SECTOR_DICH_VU,
}


COUNSELLOR = "menu:counsellor"  # the main menu's "Gặp người tư vấn"


class Menus:
    """Turns a screen payload ("menu:trades", "trade:han", ...) into a reply, or None."""

    def __init__(self, renderer: Renderer) -> None:
        self.r = renderer
        self.catalog = renderer.catalog

    def main(self, greeting: bool = False) -> Reply:
        t = self.r.t
        text = t(T.GREETING) if greeting else t(T.MENU_PROMPT)
        buttons: tuple[Button, ...] = (
            Button(t(T.MENU_TRADES), "menu:trades"),
            Button(t(T.MENU_POLICIES), "menu:policies"),
            Button(t(T.ELIG_MENU), "el:start"),  # eligibility check (issue 11)
            Button(t(T.MENU_SCHOOLS), "menu:schools"),
            Button(t(T.MENU_EVENTS), "menu:events"),
            Button(t(T.MENU_SURVEY), "survey:start"),
            # left out of a turn while no counsellors' group is linked (Engine)
            Button(t(T.MENU_COUNSELLOR), COUNSELLOR),
        )
        if self.catalog.quiz is not None:  # quiz (issue 11): the interest quiz
            buttons = (*buttons, Button(t(T.MENU_QUIZ), "qz:start"))
        if "sau_lop_9_so_sanh" in self.catalog.faq:  # task directory: after grade 9, side by side
            buttons = (*buttons, Button(t(T.MENU_AFTER_9), "faq:sau_lop_9_so_sanh"))
        return Reply(text, buttons)

    def screen(self, payload: str, today: dt.date) -> Reply | None:
        """The reply for a screen payload; None when the payload names nothing we know."""
        kind, _, ident = payload.partition(":")
        handler = self._handlers().get(kind)
        return handler(ident, today) if handler is not None else None

    def _handlers(self) -> dict[str, Callable[[str, dt.date], Reply | None]]:
        return {
            "home": lambda _i, _d: self.main(),
            "menu": self._menu,
            "sector": lambda i, _d: self._sector(i),
            "pgroup": lambda i, _d: self._policy_group(i),
            "province": lambda i, _d: self._directory(f"province:{i}"),
            "dir": lambda i, _d: self._directory(f"dir:{i}"),  # task directory
            "faq": self._faq,
            "policy": self._policy,
            "trade": lambda i, _d: self._item(self.catalog.trades, i, self.r.trade),
            "school": lambda i, _d: self._directory(f"school:{i}"),
            "level": lambda i, _d: self._item(self.catalog.levels, i, self.r.level),
            "event": lambda i, _d: self._item(self.catalog.events, i, self.r.event),
        }

    def _directory(self, payload: str) -> Reply | None:
        """A screen of the school directory (task directory), when its flow runs."""
        kind, _, ident = payload.partition(":")
        if self.r.directory_screen is not None:
            return self.r.directory_screen(payload)
        if kind == "school" and ident in self.catalog.schools:
            return self.r.school(self.catalog.schools[ident])
        return self._province(ident) if kind == "province" else None

    @staticmethod
    def _item(items: dict[str, V], ident: str, render: Callable[[V], Reply]) -> Reply | None:
        item = items.get(ident)
        return render(item) if item is not None else None

    def _faq(self, ident: str, today: dt.date) -> Reply | None:
        faq = self.catalog.faq.get(ident)
        return self.r.faq(faq, today) if faq is not None else None

    def _policy(self, ident: str, today: dt.date) -> Reply | None:
        policy = self.catalog.policies.get(ident)
        return self.r.policy(policy, today) if policy is not None else None

    def _menu(self, ident: str, _today: dt.date) -> Reply | None:
        t, cat = self.r.t, self.catalog
        nav = self.r.nav_buttons()
        if ident == "trades":
            buttons = [Button(t(key), f"sector:{sector}") for sector, key in SECTOR_KEYS.items()]
            buttons.append(Button(t(T.LEVELS_BUTTON), "menu:levels"))
            return Reply(t(T.TRADES_PROMPT), (*buttons, *nav))
        if ident == "levels":
            buttons = [Button(lv.name, f"level:{lv.id}") for lv in cat.levels.values()]
            return Reply(t(T.LEVELS_PROMPT), (*buttons, *nav))
        if ident == "policies":
            groups = list(dict.fromkeys(p.group for p in cat.policies.values()))
            buttons = [Button(t(policy_group_key(g)), f"pgroup:{g}") for g in groups]
            return Reply(t(T.POLICIES_PROMPT), (*buttons, *nav))
        if ident == "schools":
            provinces = list(dict.fromkeys(s.province for s in cat.schools.values()))
            buttons = [
                Button(cat.provinces[p].name, f"province:{p}")
                for p in provinces
                if p in cat.provinces
            ]
            return Reply(t(T.SCHOOLS_PROMPT), (*buttons, *nav))
        if ident == "events":
            buttons = [Button(e.name, f"event:{e.id}") for e in cat.events.values()]
            return Reply(t(T.EVENTS_PROMPT), (*buttons, *nav))
        if ident == "counsellor":
            return Reply(t(T.COUNSELLOR), nav)
        return None

    def _sector(self, sector: str) -> Reply | None:
        if sector not in SECTOR_KEYS:
            return None
        trades = [tr for tr in self.catalog.trades.values() if tr.sector == sector]
        buttons = [Button(tr.name, f"trade:{tr.id}") for tr in trades]
        text = self.r.t(T.SECTOR_PROMPT, sector=self.r.t(SECTOR_KEYS[sector]))
        return Reply(text, (*buttons, *self.r.nav_buttons()))

    def _policy_group(self, group: str) -> Reply | None:
        policies = [p for p in self.catalog.policies.values() if p.group == group]
        if not policies:
            return None
        buttons = [Button(p.title, f"policy:{p.id}") for p in policies]
        text = self.r.t(policy_group_key(group))
        return Reply(text, (*buttons, *self.r.nav_buttons()))

    def _province(self, province_id: str) -> Reply | None:
        province = self.catalog.provinces.get(province_id)
        if province is None:
            return None
        schools = [s for s in self.catalog.schools.values() if s.province == province_id]
        buttons = [Button(s.name, f"school:{s.id}") for s in schools]
        text = self.r.t(T.SCHOOLS_IN_PROVINCE, province=province.name)
        return Reply(text, (*buttons, *self.r.nav_buttons()))
