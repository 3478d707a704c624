"""A province typed at the survey's schools step (surveyinput, review3 W3): "binh duong" names
no school, it asks which schools are there. The step then lists that place's schools that
receive leads (those of a former province first), or says none does; the province is also
offered as the answer to the province question that follows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.catalog import Catalog
from bot.catalog.text_keys import T
from bot.core.flows.eligibility_words import PROVINCE_FILLERS
from bot.core.flows.schools_home import remembered
from bot.core.flows.schools_places import former_id
from bot.core.flows.survey_answers import AnswerReader, clean_text
from bot.core.flows.survey_rules import SurveyRules
from bot.core.ports import ConversationState
from bot.matching.entities import MARKER

PLACE = "school_place"  # run key: {"province": id, "former": name or None} while listed
KNOWN = "known_province"  # run key: {"province": id, "former": name or None}, see survey_known
# run key: the province remembered for the conversation (schools_home), offered first at the
# province question as a one-tap answer ("Nghệ An (như bạn đã chọn)"); the question is still asked
OFFERED = "home_offer"
HOME = "home"  # "sv:home:<province id>": the offered province, pressed
DECLINED = "home_declined"  # run key: a province the student said is not theirs ("nhập lại")


@dataclass(frozen=True)
class Place:
    """A province named alone, maybe by a former name."""

    province: str  # id of today's province
    former: str | None  # the former province's name as the catalog writes it, when one

    def as_dict(self) -> dict[str, str | None]:
        return {"province": self.province, "former": self.former}


def place_of(raw: object) -> Place | None:
    """The Place a run keeps under PLACE or KNOWN (None when absent or malformed)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("province"), str):
        return None
    former = raw.get("former")
    return Place(raw["province"], former if isinstance(former, str) else None)


def place_alone(reader: AnswerReader, text: str) -> Place | None:
    """The province a message names when it says nothing else ("binh duong", "em ở Nam Định");
    None for a school's name with a province in it ("cao đẳng y tế Bình Dương") or two places."""
    normalized = reader.matcher.normalize(clean_text(text))
    mentions = reader.provinces.mentions(normalized)
    tokens = normalized.split()
    if len(mentions) != 1 or tokens.count(MARKER) != 1:
        return None
    key = tokens.index(MARKER)
    if any(word not in PROVINCE_FILLERS for word in tokens[:key] + tokens[key + 2 :]):
        return None
    mention = mentions[0]
    return Place(mention.province_id, mention.name if mention.former else None)


def place_name(catalog: Catalog, t: Callable[..., str], place: Place) -> str:
    """ "Bình Dương (cũ, nay thuộc Thành phố Hồ Chí Minh)" or "Tỉnh Nghệ An"."""
    province = catalog.provinces[place.province].name
    if place.former is None:
        return province
    return t(T.SURVEY_PLACE_FORMER, former=place.former, province=province)


def schools_in(
    catalog: Catalog, rules: SurveyRules, run: dict[str, Any], place: Place
) -> list[str]:
    """The schools a student may pick that are in the place (a former province's first)."""
    here = [s for s in rules.school_choices(run) if catalog.schools[s].province == place.province]
    if place.former is None:
        return here
    former = former_id(place.former)
    return sorted(here, key=lambda s: catalog.schools[s].former_province != former)


def listed(catalog: Catalog, rules: SurveyRules, run: dict[str, Any]) -> list[str] | None:
    """The schools the step lists while a place was typed at it (None: every school)."""
    place = place_of(run.get(PLACE))
    if place is None or place.province not in catalog.provinces:
        return None
    return schools_in(catalog, rules, run, place)


def typed_place(
    catalog: Catalog, rules: SurveyRules, run: dict[str, Any], place: Place, province_open: bool
) -> str | None:
    """A place typed at the schools step: its schools are listed there until the step is
    answered (None), or the text key saying none receives there. The place is offered at the
    province question when that is still to come (`province_open`)."""
    if province_open:
        run[KNOWN] = place.as_dict()
    if not schools_in(catalog, rules, run, place):
        run.pop(PLACE, None)
        return T.SURVEY_SCHOOLS_NONE_IN
    run[PLACE] = place.as_dict()
    return None


def confirm(catalog: Catalog, t: Callable[..., str], run: dict[str, Any], place: Place) -> None:
    """The province question's answer, waiting for "đúng không?" ("Bạn ở Đà Nẵng, đúng không?",
    "Quảng Nam (cũ) nay thuộc Đà Nẵng. …"): typed, or known before the question (KNOWN)."""
    name = catalog.provinces[place.province].name
    if place.former is not None:
        question = t(T.SURVEY_PROVINCE_FORMER, former=place.former, province=name)
    else:
        question = t(T.SURVEY_PROVINCE_CONFIRM, province=name)
    run["pending"] = {"value": place.province, "question": question}


def offer_home(state: ConversationState, catalog: Catalog, run_key: str) -> None:
    """The survey's run (under `run_key`) notes the remembered province to offer at its
    province question (its own province answer is adopted as the remembered one first)."""
    home = remembered(state, catalog)
    run = state.data.get(run_key)
    if isinstance(run, dict) and home is not None and home != run.get(DECLINED):
        run[OFFERED] = home
    elif isinstance(run, dict):
        run.pop(OFFERED, None)


def decline(run: dict[str, Any], province: object) -> None:
    """ "Không, nhập lại" to "Bạn ở …, đúng không?": that province is not offered at the
    question asked again ("như bạn đã chọn" would contradict the student)."""
    run[DECLINED] = province
    if run.get(OFFERED) == province:
        run.pop(OFFERED, None)
