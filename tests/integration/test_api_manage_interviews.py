"""The REST API's interview management (issue 11): PATCH an interview, resend an invitation,
cancel with counts; another account's ids are 404 and change nothing."""

import pytest

from planner.models import Location
from planner.models.base import utcnow
from planner.services import booking, scheduling
from tests.factories import add_candidate
from tests.integration.test_api import Tenant, _assert_problem, _interview_body, api_client


@pytest.fixture
def tenants(session):
    return Tenant(session, "Alpha"), Tenant(session, "Beta")


@pytest.fixture
def client(engine, monkeypatch, tenants):
    return api_client(engine, monkeypatch)


@pytest.fixture
def sent(session, client, tenants):
    """Alpha's interview at HQ, Freja and Elin invited, Freja booked the first time."""
    alpha, _ = tenants
    hq = Location(account_id=alpha.account.id, name="HQ", address="Street 1")
    lab = Location(account_id=alpha.account.id, name="Lab", address="Road 2")
    session.add_all([hq, lab])
    session.commit()
    freja = add_candidate(session, alpha.account, "Freja Nielsen")
    elin = add_candidate(session, alpha.account, "Elin Johansson")
    created = client.post(
        "/api/v1/interviews", headers=alpha.headers,
        json=_interview_body(alpha.admin.id, location_id=hq.id),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    interview = created.json()
    tokens = scheduling.invite_candidates(
        session=session, actor=alpha.actor, interview_id=interview["id"],
        candidate_ids=[freja.id, elin.id], now=utcnow(),
    )  # fmt: skip
    assert booking.book(
        session=session, token=tokens[freja.id], slot_id=interview["slots"][0]["id"],
        now=utcnow(),
    ).ok  # fmt: skip
    return {"interview": interview, "lab": lab, "tokens": tokens, "freja": freja, "elin": elin}


def test_patch_changes_title_and_place_and_says_what_changed(client, tenants, sent):
    alpha, beta = tenants
    path = f"/api/v1/interviews/{sent['interview']['id']}"

    response = client.patch(
        path, headers=alpha.headers, json={"title": "Round 2", "location_id": sent["lab"].id}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["changed"] == ["title", "location"] and body["bookings_updated"] == 1
    assert (body["title"], body["location_name"]) == ("Round 2", "Lab")
    again = client.patch(path, headers=alpha.headers, json={"title": "Round 2"}).json()
    assert again["changed"] == [] and again["bookings_updated"] == 0
    # Teams needs the organiser's Microsoft calendar; another account's interview is not
    # found.
    _assert_problem(
        client.patch(path, headers=alpha.headers, json={"meeting_kind": "teams"}), 422,
        "meeting_kind",
    )  # fmt: skip
    _assert_problem(client.patch(path, headers=beta.headers, json={"title": "Mine"}), 404)
    assert client.get(path, headers=alpha.headers).json()["title"] == "Round 2"
    # location_id null removes the place.
    cleared = client.patch(path, headers=alpha.headers, json={"location_id": None}).json()
    assert cleared["changed"] == ["location"] and cleared["location_name"] is None


def test_resend_gives_a_fresh_link_and_is_404_for_others(client, tenants, sent):
    alpha, beta = tenants
    detail = client.get(f"/api/v1/interviews/{sent['interview']['id']}", headers=alpha.headers)
    invitation = next(
        i for i in detail.json()["invitations"] if i["candidate_name"] == "Elin Johansson"
    )
    path = f"/api/v1/interviews/{sent['interview']['id']}/invitations/{invitation['id']}/resend"

    _assert_problem(client.post(path, headers=beta.headers), 404)
    response = client.post(path, headers=alpha.headers)

    assert response.status_code == 200, response.text
    assert response.json()["id"] == invitation["id"]
    old = sent["tokens"][sent["elin"].id]
    assert client.post(
        "/api/v1/bookings", headers=alpha.headers,
        json={"token": old, "slot_id": sent["interview"]["slots"][1]["id"]},
    ).status_code == 404  # fmt: skip


def test_cancel_reports_counts_once(client, tenants, sent):
    alpha, beta = tenants
    path = f"/api/v1/interviews/{sent['interview']['id']}/cancel"
    _assert_problem(client.post(path, headers=beta.headers), 404)

    first = client.post(path, headers=alpha.headers).json()
    second = client.post(path, headers=alpha.headers).json()

    assert (first["bookings_cancelled"], first["candidates_told"]) == (1, 2)
    assert first["status"] == "cancelled"
    assert (second["bookings_cancelled"], second["candidates_told"]) == (0, 0)


def test_if_match_makes_a_change_only_on_the_version_read(client, tenants, sent, session):
    alpha, _ = tenants
    path = f"/api/v1/interviews/{sent['interview']['id']}"
    etag = client.get(path, headers=alpha.headers).headers["ETag"]
    assert etag.startswith('"') and len(etag) > 10

    first = client.patch(path, headers={**alpha.headers, "If-Match": etag}, json={"title": "A"})
    second = client.patch(path, headers={**alpha.headers, "If-Match": etag}, json={"title": "B"})

    assert first.status_code == 200, first.text
    _assert_problem(second, 412)
    assert client.get(path, headers=alpha.headers).json()["title"] == "A"
    fresh = client.get(path, headers=alpha.headers).headers["ETag"]
    assert fresh != etag
    cancel = client.post(f"{path}/cancel", headers={**alpha.headers, "If-Match": etag})
    _assert_problem(cancel, 412)
    cancel = client.post(f"{path}/cancel", headers={**alpha.headers, "If-Match": fresh})
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
