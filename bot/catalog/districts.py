"""Former district-level units (content/districts.yaml): abolished on 01/7/2025, still how
people name where they live ("Bến Lức", "thị xã Mỹ Hào")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bot.catalog.models import Model, _check_id

DistrictKind = Literal["quan", "huyen", "thi_xa", "thanh_pho"]


class District(Model):
    """A quận, huyện, thị xã or thành phố thuộc tỉnh as it was before 01/7/2025."""

    id: str
    name: str = Field(min_length=1)  # without its kind: "Bến Lức", "1" (Quận 1)
    kind: DistrictKind
    province: str  # former province id ("long_an"), see bot.catalog.documents.former_provinces
    code: str  # the unit's code in the statistics office's list
    # why the bare name is not enough (a person's or school's name, an ordinary word): it then
    # counts only after a prefix, a place word or before a "which province" question
    common: str | None = None

    _id = field_validator("id")(_check_id)
