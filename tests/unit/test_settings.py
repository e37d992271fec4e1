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


FERNET_KEY = "0" * 43 + "="
STRONG = "s" * 40


def _production(monkeypatch, **values):
    monkeypatch.setenv("PLANNER_ENV", "production")
    monkeypatch.setenv("PLANNER_SECRET_KEY", STRONG)
    for name in ("PLANNER_CREDENTIAL_KEYS", "PLANNER_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(f"PLANNER_{name.upper()}", value)


def test_production_needs_its_own_credential_keys(monkeypatch):
    _production(monkeypatch, public_url="https://planner.example.com")
    with pytest.raises(SettingsError, match="PLANNER_CREDENTIAL_KEYS"):
        load_settings()
    monkeypatch.setenv("PLANNER_CREDENTIAL_KEYS", FERNET_KEY)
    assert load_settings().credential_keys == FERNET_KEY


def test_production_needs_an_https_public_url_for_secure_cookies(monkeypatch):
    _production(monkeypatch, credential_keys=FERNET_KEY, public_url="http://planner.example.com")
    with pytest.raises(SettingsError, match="https"):
        load_settings()
    monkeypatch.setenv("PLANNER_PUBLIC_URL", "https://planner.example.com")
    settings = load_settings()
    assert settings.cookies_secure
    assert settings.allowed_origins == ("https://planner.example.com",)


def test_development_and_test_keep_their_embedded_defaults(monkeypatch):
    for env in ("development", "test"):
        monkeypatch.setenv("PLANNER_ENV", env)
        monkeypatch.setenv("PLANNER_SECRET_KEY", STRONG)
        monkeypatch.delenv("PLANNER_CREDENTIAL_KEYS", raising=False)
        monkeypatch.delenv("PLANNER_PUBLIC_URL", raising=False)
        monkeypatch.setenv("PLANNER_PORT", "3100")
        settings = load_settings()
        assert not settings.cookies_secure and settings.caldav_private_allowed
        assert "http://127.0.0.1:3100" in settings.allowed_origins
        assert not settings.webhook_allow_private


def test_trusted_proxies_must_be_addresses_or_networks(monkeypatch):
    monkeypatch.setenv("PLANNER_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1")
    assert len(load_settings().trusted_proxy_networks) == 2
    monkeypatch.setenv("PLANNER_TRUSTED_PROXIES", "proxy.internal")
    with pytest.raises(SettingsError, match="PLANNER_TRUSTED_PROXIES"):
        load_settings()


def test_the_websocket_and_cors_accept_only_the_apps_origin(monkeypatch):
    import importlib

    import rxconfig

    monkeypatch.setenv("PLANNER_PUBLIC_URL", "https://planner.example.com")
    assert importlib.reload(rxconfig).config.cors_allowed_origins == ["https://planner.example.com"]
    monkeypatch.delenv("PLANNER_PUBLIC_URL")
    monkeypatch.setenv("PLANNER_PORT", "3100")
    origins = importlib.reload(rxconfig).config.cors_allowed_origins
    assert "*" not in origins and "http://localhost:3100" in origins
