"""Settings: embedded defaults, refusal of default secrets, clear messages."""

import pytest

from planner.settings import DEFAULT_SECRET_KEY, SettingsError, load_settings


def test_development_runs_on_embedded_defaults(monkeypatch):
    monkeypatch.setenv("PLANNER_ENV", "development")
    monkeypatch.delenv("PLANNER_SECRET_KEY", raising=False)
    settings = load_settings()
    assert settings.secret_key == DEFAULT_SECRET_KEY
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(
        "var/planner.db"
    )
    assert settings.redis_url == ""


@pytest.mark.parametrize("env", ["production", "test"])
def test_default_secret_is_refused_outside_development(monkeypatch, env):
    monkeypatch.setenv("PLANNER_ENV", env)
    monkeypatch.delenv("PLANNER_SECRET_KEY", raising=False)
    with pytest.raises(SettingsError, match="PLANNER_SECRET_KEY"):
        load_settings()


def test_short_secret_is_refused_in_production(monkeypatch):
    monkeypatch.setenv("PLANNER_ENV", "production")
    monkeypatch.setenv("PLANNER_SECRET_KEY", "short")
    with pytest.raises(SettingsError, match="at least 32"):
        load_settings()


@pytest.mark.parametrize(
    "name, value, fragment",
    [
        ("PLANNER_PORT_UNUSED", "1", None),
        ("PLANNER_PORT", "abc", "PLANNER_PORT"),
        ("PLANNER_ENV", "staging", "PLANNER_ENV"),
        ("PLANNER_DATABASE_URL", "mysql://x", "PLANNER_DATABASE_URL"),
        ("PLANNER_DEFAULT_TIME_ZONE", "Mars/Base", "PLANNER_DEFAULT_TIME_ZONE"),
    ],
)
def test_malformed_settings_name_the_variable(monkeypatch, name, value, fragment):
    monkeypatch.setenv(name, value)
    if fragment is None:
        load_settings()  # unknown PLANNER_ variables are ignored
        return
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert fragment in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_postgresql_urls_use_psycopg3(monkeypatch):
    monkeypatch.setenv("PLANNER_DATABASE_URL", "postgresql://u@h/db")
    assert load_settings().sqlalchemy_url == "postgresql+psycopg://u@h/db"
