"""Where a school search is (schoolfix2): the former province or former district a message named
inside today's province, the one sentence that says where it is now, and its schools first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.catalog import Catalog
from bot.catalog.districts import District
from bot.catalog.models import Province, School
from bot.catalog.text_keys import T
from bot.matching.entities import DistrictIndex, ProvinceMention
from bot.matching.normalize import fold

MAX_PLACES = 3  # provinces listed one after the other for one message
_DISTRICT_KINDS = {  # as the former district's own screen names them (bot/core/documents.py)
    "quan": T.DISTRICT_QUAN,
    "huyen": T.DISTRICT_HUYEN,
    "thi_xa": T.DISTRICT_THI_XA,
    "thanh_pho": T.DISTRICT_THANH_PHO,
}


def former_id(name: str) -> str:
    """The id of a former province by its name ("Long An" -> "long_an"), as districts.yaml and
    schools.yaml (former_province) write it."""
    return fold(name).replace(" ", "_")


def short_name(province: Province) -> str:
    """A province's name without "Thành phố " ("Hà Nội")."""
    return province.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")


def own_id(province: Province) -> str:
    """The former-province id of a province that kept its name ("hung_yen")."""
    return former_id(short_name(province))


@dataclass(frozen=True)
class Near:
    """A former province, or a former district, named inside today's province."""

    province: Province  # today's province
    former: str  # id of the former province it was (or is) in: "long_an", "hung_yen"
    former_name: str  # "Long An"
    district: District | None  # the former district named, if one

    @property
    def merged(self) -> bool:
        """Whether the former province was merged into another (not the one that kept its name)."""
        return self.former_name in self.province.absorbed


def resolve(catalog: Catalog, province_id: str, near: str) -> Near | None:
    """What `near` (a former province's id or a former district's id) names inside the province,
    or None when it is not part of that province (a forged or stale payload)."""
    province = catalog.provinces.get(province_id)
    if province is None:
        return None
    names = {former_id(n): n for n in (short_name(province), *province.absorbed)}
    district = catalog.districts.get(near)
    former = district.province if district is not None else near
    if former not in names:
        return None
    found = Near(province, former, names[former], district)
    if district is None and not found.merged:
        return None  # a province that kept its name is no former place
    return found


def sentence(t: Callable[..., str], near: Near) -> str:
    """One short sentence saying where the place named is now (content/texts.yaml)."""
    province = near.province
    if near.district is None:
        return t(T.PROVINCE_MERGED, former=near.former_name, province=province.name)
    city = province.kind == "thanh_pho"
    former_key = T.FORMER_THANH_PHO if city and not near.merged else T.FORMER_TINH
    now = t(T.FORMER_THANH_PHO if city else T.FORMER_TINH, name=short_name(province))
    kind = t(_DISTRICT_KINDS[near.district.kind])
    if not near.merged:
        return t(T.DIR_DISTRICT_KEPT, kind=kind, name=near.district.name, province=now)
    former = t(former_key, name=near.former_name)
    return t(T.DIR_DISTRICT_MERGED, kind=kind, name=near.district.name, former=former, province=now)


def first(schools: Sequence[School], near: Near) -> list[School]:
    """The schools, those of the former province named first (stable otherwise)."""
    own = own_id(near.province)
    return sorted(schools, key=lambda s: (s.former_province or own) != near.former)


def nears(
    catalog: Catalog, districts: DistrictIndex, folded: str, mentions: Sequence[ProvinceMention]
) -> list[str | None]:
    """For each province mention, the former place it came from: a former district's id (the
    normalizer read "Bến Lức" as "Long An"), a former province's id, or None (today's province
    by its own name). `folded` is the text the normalizer read."""
    by_former: dict[str, str] = {}
    for found in districts.mentions(folded):
        by_former.setdefault(found.district.province, found.district.id)
    out: list[str | None] = []
    for mention in mentions:
        province = catalog.provinces.get(mention.province_id)
        if province is None:
            out.append(None)
            continue
        former = former_id(mention.name) if mention.former else own_id(province)
        out.append(by_former.get(former, former if mention.former else None))
    return out
