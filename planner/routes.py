"""Route constants and URL builders for pages and HTTP endpoints."""

from urllib.parse import urlencode

SIGN_IN = "/signin"
CALENDAR = "/calendar"
CANDIDATES = "/candidates"
ADMIN = "/admin"
SCHEDULE = "/schedule"
IMPORT = "/import"
PREVIOUS_CALENDAR = "/previous-calendar"
CANDIDATE = "/candidates/[candidate_id]"
HOME = CALENDAR

AUTH_SIGN_IN = "/auth/signin"
AUTH_SIGN_OUT = "/auth/signout"
HEALTH = "/healthz"

SESSION_COOKIE = "planner_session"

# Candidate and staff pages reached through mailed links (token in the path). The
# candidate's booking page (/book/<token>) is served by planner/api/booking_routes.py.
SYNC_CONNECT = "/connect/[token]"
SENT_MAIL = "/dev/sent-mail"


def booking_url(base_url: str, token: str) -> str:
    """The absolute link a candidate gets to pick a slot."""
    return f"{base_url.rstrip('/')}/book/{token}"


def candidate_url(candidate_id: int) -> str:
    """The page of one candidate."""
    return f"{CANDIDATES}/{candidate_id}"


def sync_connect_url(base_url: str, token: str) -> str:
    """The absolute link a staff user gets to connect a calendar."""
    return f"{base_url.rstrip('/')}/connect/{token}"


def sign_in_url(*, next_path: str | None = None, error: str | None = None) -> str:
    """The sign-in page, optionally with where to go after and which error to show."""
    query = {k: v for k, v in (("next", next_path), ("error", error)) if v}
    return f"{SIGN_IN}?{urlencode(query)}" if query else SIGN_IN


def safe_next_path(value: str | None) -> str:
    """A local path to go to after sign-in; anything else (other hosts, schemes) goes home."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME
    if any(ch in value for ch in "\r\n\t") or value.startswith(("/auth/", SIGN_IN)):
        return HOME
    return value


def token_from_path(path: str) -> str:
    """The token of a mailed-link page from its path (`/book/<token>`, `/connect/<token>`)."""
    parts = [part for part in path.split("/") if part]
    return parts[1][:200] if len(parts) == 2 else ""
