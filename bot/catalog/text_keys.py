"""Keys of content/texts.yaml that the code uses; `content check` verifies each exists."""

from __future__ import annotations

from typing import get_args

from bot.catalog.models import Policy


class T:
    """Text keys. Code refers to T.X, never to a bare string, so the check sees every use."""

    GREETING = "greeting"
    MENU_PROMPT = "menu_prompt"
    MENU_TRADES = "menu_trades"
    MENU_POLICIES = "menu_policies"
    MENU_SCHOOLS = "menu_schools"
    MENU_EVENTS = "menu_events"
    MENU_SURVEY = "menu_survey"
    MENU_COUNSELLOR = "menu_counsellor"
    BACK = "back"
    HOME = "home"
    TRADES_PROMPT = "trades_prompt"
    SECTOR_CONG_NGHIEP = "sector_cong_nghiep"
    SECTOR_NONG_NGHIEP = "sector_nong_nghiep"
    SECTOR_DICH_VU = "sector_dich_vu"
    SECTOR_PROMPT = "sector_prompt"
    TRADE_LEVELS = "trade_levels"
    TRADE_WORK_PLACES = "trade_work_places"
    TRADE_SCHOOLS = "trade_schools"
    TRADE_NO_SCHOOLS = "trade_no_schools"
    POLICIES_PROMPT = "policies_prompt"
    POLICY_HISTORICAL = "policy_historical"
    POLICY_UNVERIFIED = "policy_unverified"
    POLICY_REFER = "policy_refer"
    POLICY_EFFECTIVE = "policy_effective"
    POLICY_REVIEWED = "policy_reviewed"
    SCHOOLS_PROMPT = "schools_prompt"
    SCHOOLS_IN_PROVINCE = "schools_in_province"
    SCHOOL_LEVELS = "school_levels"
    SCHOOL_TRADES = "school_trades"
    SCHOOL_CONTACT = "school_contact"
    SCHOOL_EXAMPLE_CONTACT = "school_example_contact"
    SCHOOL_UNVERIFIED = "school_unverified"
    SCHOOL_EXAMPLE = "school_example"
    EVENTS_PROMPT = "events_prompt"
    EVENT_WHEN = "event_when"
    EVENT_WHERE = "event_where"
    EVENT_EXAMPLE_DATES = "event_example_dates"
    LEVELS_BUTTON = "levels_button"
    LEVELS_PROMPT = "levels_prompt"
    SURVEY_SOON = "survey_soon"
    COUNSELLOR = "counsellor"
    SUGGEST = "suggest"
    FALLBACK = "fallback"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NO_TEXT = "no_text"
    UNKNOWN_BUTTON = "unknown_button"
    ERROR = "error"
    SOURCES = "sources"
    NUMBER_HINT = "number_hint"
    NUMBER_OUT_OF_RANGE = "number_out_of_range"
    DID_YOU_MEAN = "did_you_mean"
    CARE = "care"
    THANKS = "thanks"
    BYE = "bye"
    DATA_DELETED = "data_deleted"
    PROVINCE_MERGED = "province_merged"


def policy_group_key(group: str) -> str:
    """Text key of a policy group's menu label."""
    return f"pgroup_{group}"


def all_keys() -> list[str]:
    """Every text key the code uses, including one per policy group."""
    keys = [v for k, v in vars(T).items() if k.isupper() and isinstance(v, str)]
    keys.extend(policy_group_key(g) for g in get_args(Policy.model_fields["group"].annotation))
    return keys
