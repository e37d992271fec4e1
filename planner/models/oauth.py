"""Pending OAuth sign-ins: the state (hashed) and PKCE verifier (encrypted) until the callback."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from planner.models.base import UTCDateTime, utcnow


class OAuthState(SQLModel, table=True):
    """One started "Connect Google/Microsoft" sign-in; used once, expires after minutes."""

    __tablename__ = "oauth_state"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=20)
    state_hash: str = Field(max_length=64, unique=True)
    # Fernet tokens (planner.integrations.crypto): the PKCE verifier and the sync-invitation
    # link the sign-in started from, to return to it.
    encrypted_code_verifier: str = Field(max_length=2000)
    encrypted_link_token: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
