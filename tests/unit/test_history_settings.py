"""The M3 history settings: a date and a number of days, or one line naming the setting."""

from __future__ import annotations

from datetime import date

import pytest

from ledgerlink.errors import ConfigurationError
from ledgerlink.settings import Settings


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)


def test_defaults_read_all_history_and_a_quarter_of_gl_again(monkeypatch):
    monkeypatch.delenv("INFOR_HISTORY_START", raising=False)
    monkeypatch.delenv("INFOR_GL_REREAD_DAYS", raising=False)
    assert settings().infor_history_start is None
    assert settings().infor_gl_reread_days == 92


def test_values_are_read_from_their_settings():
    assert settings(INFOR_HISTORY_START="2019-01-01").infor_history_start == date(2019, 1, 1)
    assert settings(INFOR_GL_REREAD_DAYS="31").infor_gl_reread_days == 31


@pytest.mark.parametrize(
    ("name", "value", "problem", "fix"),
    [
        ("INFOR_HISTORY_START", "01/01/2019", "is not a date", "use YYYY-MM-DD"),
        ("INFOR_GL_REREAD_DAYS", "0", "is not a number of days", "at least 1 (default 92)"),
        ("INFOR_GL_REREAD_DAYS", "a year", "is not a number of days", "use a whole number"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting_and_the_fix(name, value, problem, fix):
    config = settings(**{name: value})
    with pytest.raises(ConfigurationError) as caught:
        _ = config.infor_history_start, config.infor_gl_reread_days
    message = str(caught.value)
    assert message.startswith(f"{name}={value} {problem}")
    assert fix in message and "\n" not in message
