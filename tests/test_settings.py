"""Settings from the environment: defaults, and values no deployment means refused by name."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.settings import Settings, SettingsError


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8080 and settings.retention_months == 12


def test_empty_values_keep_defaults() -> None:
    assert Settings.from_env({"HUONGNGHIEP_PORT": " "}).port == 8080


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("HUONGNGHIEP_PORT", "abc", "whole number"),
        ("HUONGNGHIEP_PORT", "70000", "between"),
        ("HUONGNGHIEP_RETENTION_MONTHS", "0", "between 1 and 120"),
        ("HUONGNGHIEP_RETENTION_MONTHS", "9999", "between 1 and 120"),
        ("HUONGNGHIEP_WEBHOOK_TIMEOUT", "nan", "number"),
        ("HUONGNGHIEP_WEBHOOK_TIMEOUT", "-1", "between"),
        ("HUONGNGHIEP_RETRY_MAX_ATTEMPTS", "1.5", "whole number"),
    ],
)
def test_unusable_values_are_refused_by_name(name: str, value: str, said: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({name: value})
    assert name in str(err.value) and said in str(err.value)


def test_the_command_line_says_which_setting_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUONGNGHIEP_RETENTION_MONTHS", "-3")
    assert main(["content", "check"]) == 2
    err = capsys.readouterr().err
    assert "HUONGNGHIEP_RETENTION_MONTHS=-3" in err and "Traceback" not in err
