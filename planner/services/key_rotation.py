"""Re-encrypt every secret stored at rest with the newest credential key."""

import logging
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from sqlmodel import Session, select

from planner.db import begin_write
from planner.integrations.crypto import credential_cipher
from planner.models import CalendarConnection, OAuthState
from planner.models.api import WebhookEndpoint
from planner.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RotationReport:
    """How many stored secrets were re-encrypted, and how many could not be read."""

    rotated: int
    unreadable: int


def rotate_stored_secrets(*, session: Session, settings: Settings) -> RotationReport:
    """After a new key is put first in PLANNER_CREDENTIAL_KEYS (the old ones still listed),
    re-encrypt calendar credentials, webhook secrets and pending OAuth states with it, so
    that the old key can then be dropped. One transaction: all or nothing."""
    cipher = credential_cipher(settings)
    rotated = unreadable = 0
    begin_write(session)
    fields = (
        (CalendarConnection, ("encrypted_credentials",)),
        (WebhookEndpoint, ("encrypted_secret",)),
        (OAuthState, ("encrypted_code_verifier", "encrypted_link_token")),
    )
    for model, names in fields:
        for row in session.exec(select(model)).all():
            for name in names:
                token = getattr(row, name)
                if not token:
                    continue
                try:
                    setattr(row, name, cipher.rotate(token.encode("ascii")).decode("ascii"))
                    rotated += 1
                except InvalidToken:
                    unreadable += 1
                    log.warning("%s %s: %s cannot be decrypted", model.__name__, row.id, name)
    session.commit()
    return RotationReport(rotated=rotated, unreadable=unreadable)
