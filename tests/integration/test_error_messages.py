"""What a refused service call says: in the staff user's language on the pages
(`message_in`), in English with the field for the REST API and the logs."""

from dataclasses import replace
from datetime import timedelta

import pytest

from planner.i18n.dates import format_short
from planner.models import Location
from planner.models.base import utcnow
from planner.services import scheduling
from planner.services.errors import InvalidInput, NotFound
from tests.factories import account_with_admin, actor_for
from tests.integration.test_api import Tenant, _assert_problem, _interview_body, api_client

ZONE = "Europe/Copenhagen"


@pytest.fixture
def acme(session):
    """Acme's admin reads Danish in Copenhagen; an interview without a place, an archived
    location, and Beta, another account."""
    now = utcnow().replace(microsecond=0)
    account, admin = account_with_admin(session, "Acme", email="astrid@acme.example")
    actor = replace(actor_for(admin, account), locale="da", time_zone=ZONE)
    old_office = Location(account_id=account.id, name="Old office", address="Street 9")
    old_office.archived_at = now
    session.add(old_office)
    session.commit()
    interview = scheduling.create_interview(
        session=session, actor=actor, now=now,
        data={"title": "Backend interview", "duration_minutes": 45, "participant_ids": [admin.id],
              "slots": [now + timedelta(days=3)]},
    )  # fmt: skip
    beta, beta_admin = account_with_admin(session, "Beta", email="bo@beta.example")
    return {
        "now": now,
        "actor": actor,
        "interview_id": interview.id,
        "old_office": old_office,
        "beta_actor": actor_for(beta_admin, beta),
    }


def test_a_time_more_than_a_year_ahead_reads_in_the_staff_users_language_and_zone(session, acme):
    far = (acme["now"] + timedelta(days=400)).replace(hour=9, minute=0, second=0)

    with pytest.raises(InvalidInput) as refused:
        scheduling.add_slots(
            session=session, actor=acme["actor"], interview_id=acme["interview_id"],
            starts=[far], now=acme["now"],
        )  # fmt: skip

    error = refused.value
    # The API and the logs: English, the field first, the time in ISO 8601 (as before).
    assert error.field == "slots"
    assert error.message == f"slots: {far.isoformat()} is more than a year ahead"
    # A page: the reason alone, as a sentence, the time as the reader writes it.
    danish_time = format_short(far, locale="da", time_zone=ZONE)
    assert error.message_in("da", time_zone=ZONE) == (
        f"{danish_time} ligger mere end et år ude i fremtiden."
    )
    english_time = format_short(far, locale="en", time_zone=ZONE)
    assert error.message_in("en", time_zone=ZONE) == (f"{english_time} is more than a year ahead.")
    assert "slots" not in error.message_in("da") and far.isoformat() not in error.message_in("da")


def test_an_archived_location_reads_in_danish_and_english(session, acme):
    with pytest.raises(InvalidInput) as refused:
        scheduling.update_interview(
            session=session, actor=acme["actor"], interview_id=acme["interview_id"],
            now=acme["now"], location_id=acme["old_office"].id,
        )  # fmt: skip

    error = refused.value
    assert error.message == "location_id: this location is archived"
    assert error.message_in("da") == "Dette sted er arkiveret."
    assert error.message_in("en") == "This location is archived."
    assert error.message_in("xx") == "This location is archived."  # unknown: English


def test_a_meeting_kind_is_named_as_people_know_it(session, acme):
    with pytest.raises(InvalidInput) as refused:
        scheduling.update_interview(
            session=session, actor=acme["actor"], interview_id=acme["interview_id"],
            now=acme["now"], meeting_kind="teams",
        )  # fmt: skip

    error = refused.value
    assert error.message == (
        "meeting_kind: the organiser has no connected calendar that can create a teams meeting"
    )
    assert error.message_in("nb") == (
        "Arrangøren har ingen tilkoblet kalender som kan opprette et Microsoft Teams-møte."
    )


def test_another_accounts_interview_is_not_found_in_each_language(session, acme):
    with pytest.raises(NotFound) as refused:
        scheduling.update_interview(
            session=session, actor=acme["beta_actor"], interview_id=acme["interview_id"],
            now=acme["now"], title="Mine",
        )  # fmt: skip

    error = refused.value
    assert error.message == "Interview not found."
    assert error.message_in("sv") == "Intervjun hittades inte."
    assert error.message_in("fi") == "Haastattelua ei löytynyt."


def test_a_reason_the_catalogues_lack_reads_as_a_general_one(session, acme):
    """Pydantic's own texts are not in the catalogues: English readers get them, the
    others a general sentence rather than English."""
    with pytest.raises(InvalidInput) as refused:
        scheduling.create_interview(
            session=session, actor=acme["actor"], now=acme["now"],
            data={"duration_minutes": 45, "participant_ids": [acme["actor"].user_id], "slots": []},
        )  # fmt: skip

    error = refused.value
    assert error.field == "title" and error.message.startswith("title: ")
    assert error.message_in("en") == error.reason.rstrip(".") + "."
    assert error.message_in("da") == "Denne værdi kan ikke bruges."


@pytest.fixture
def alpha(session):
    tenant = Tenant(session, "Alpha")
    tenant.admin.locale = "da"  # the key's user reads Danish: the API stays English
    session.add(tenant.admin)
    session.commit()
    return tenant


def test_the_api_answers_in_english_with_the_field(engine, monkeypatch, session, alpha):
    client = api_client(engine, monkeypatch)
    created = client.post(
        "/api/v1/interviews", headers=alpha.headers, json=_interview_body(alpha.admin.id)
    )
    assert created.status_code == 201, created.text
    interview_id = created.json()["id"]
    far = (utcnow() + timedelta(days=400)).replace(microsecond=0, hour=9, minute=0, second=0)

    body = _assert_problem(
        client.post(
            f"/api/v1/interviews/{interview_id}/slots",
            headers=alpha.headers, json={"starts": [far.isoformat()]},
        ),
        422, "slots",
    )  # fmt: skip

    assert body["detail"] == f"slots: {far.isoformat()} is more than a year ahead"
    assert body["errors"] == [
        {"field": "slots", "message": f"{far.isoformat()} is more than a year ahead"}
    ]
    old_office = Location(account_id=alpha.account.id, name="Old", address="Street 9")
    old_office.archived_at = utcnow()
    session.add(old_office)
    session.commit()
    body = _assert_problem(
        client.patch(
            f"/api/v1/interviews/{interview_id}",
            headers=alpha.headers, json={"location_id": old_office.id},
        ),
        422, "location_id",
    )  # fmt: skip
    assert body["detail"] == "location_id: this location is archived"
    missing = _assert_problem(client.get("/api/v1/interviews/999999", headers=alpha.headers), 404)
    assert missing["detail"] == "Interview not found."
