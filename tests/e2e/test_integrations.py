"""The Integrations page tells admins about mail Planner had to give up on."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from planner.db import make_engine
from planner.models import OutboxMessage, StaffUser

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "astrid.holm@demo.example"


def test_an_admin_sees_mail_that_could_not_be_delivered(page: Page, sign_in, e2e_database_url):
    engine = make_engine(e2e_database_url)
    try:
        with Session(engine) as session:
            astrid = session.exec(select(StaffUser).where(StaffUser.email == ADMIN_EMAIL)).one()
            now = datetime.now(UTC)
            session.add(
                OutboxMessage(
                    account_id=astrid.account_id,
                    kind="mail",
                    payload={
                        "to": "nel.name@mail.example",
                        "subject": "Confirmed: Backend",
                        "template": "booking_confirmation",
                    },
                    dedupe_key="e2e-undelivered-1",
                    attempts=1,
                    next_attempt_at=now,
                    last_error="gave up: 550 5.1.1 No such user",
                    done_at=now,
                    created_at=now,
                )  # fmt: skip
            )
            session.commit()
    finally:
        engine.dispose()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(ADMIN_EMAIL, start="/admin/integrations")
    expect(page.get_by_role("heading", name="Undelivered mail")).to_be_visible()
    table = page.get_by_role("table", name="Mails that could not be delivered")
    expect(table.get_by_role("cell", name="nel.name@mail.example")).to_be_visible()
    expect(table.get_by_text("550 5.1.1 No such user")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
