"""The calendar dialog's confirmations name exactly the candidates the service acts on."""

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from planner.services import scheduling
from planner.services.interview_overview import CandidateStatus, InterviewOverview
from planner.state.calendar_actions import (
    change_effect,
    choosing_names,
    new_meeting_for,
    offered_already,
    told_on_cancel,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
STATUSES = ("invited", "booked", "no_fit", "cancelled", "expired", "withdrawn")


def _overview() -> InterviewOverview:
    candidates = tuple(
        CandidateStatus(
            invitation_id=index,
            candidate_id=index,
            name=f"Candidate {status}",
            email=f"{status}@example.com",
            status=status,
            booked_slot_id=1 if status == "booked" else None,
            booked_start=NOW if status == "booked" else None,
            expires_at=NOW,
            sent_at=NOW,
            comments=(),
        )
        for index, status in enumerate(STATUSES, start=1)
    )
    return InterviewOverview(
        interview_id=1, title="Chat", status="open", job_id=None, job_title="",
        organiser_id=1, organiser_name="Astrid", duration_minutes=30, capacity=1,
        meeting_kind="none", location_id=None, location_name="", location_address="",
        meeting_url="", host_url="", participants=(), slots=(), candidates=candidates,
        fingerprint="x",
    )  # fmt: skip


def test_cancel_confirmation_names_everyone_cancel_interview_tells() -> None:
    # cancel_interview mails the booked candidates and those still choosing, which includes
    # a candidate who cancelled their own booking (they may book again).
    told = {f"Candidate {s}" for s in ("booked", *scheduling._STILL_CHOOSING)}
    assert {name for name, _booked in told_on_cancel(_overview())} == told
    assert [name for name, booked in told_on_cancel(_overview()) if booked] == ["Candidate booked"]


def test_candidates_who_cancelled_their_booking_are_still_choosing() -> None:
    # They see the open times on their page like those never booked (and may book again).
    assert choosing_names(_overview()) == ["Candidate invited", "Candidate cancelled"]


def _with_status(overview: InterviewOverview, status: str) -> InterviewOverview:
    return replace(overview, candidates=tuple(c for c in overview.candidates if c.status == status))


def test_a_place_that_changes_the_meeting_kind_names_the_booked_who_get_a_new_meeting() -> None:
    # scheduling.update_interview replaces the booked candidates' events and meeting when
    # the meeting kind changes: the confirmation names them; a place or title change alone
    # names nobody for a new meeting.
    booked = _with_status(_overview(), "booked")
    assert new_meeting_for(booked, "online-jitsi") == ["Candidate booked"]
    assert new_meeting_for(booked, "loc-0") == []
    assert new_meeting_for(booked, "none") == []
    online = replace(booked, meeting_kind="jitsi")
    assert new_meeting_for(online, "loc-0") == ["Candidate booked"]
    assert new_meeting_for(online, "online-teams") == ["Candidate booked"]
    assert new_meeting_for(online, "online-jitsi") == []
    assert new_meeting_for(_with_status(_overview(), "invited"), "online-jitsi") == []


def test_a_time_offered_already_is_refused_before_asking() -> None:
    # add_slots refuses a time the interview offers (InvalidInput, English); a removed one
    # may be offered again.
    from planner.services.interview_overview import SlotStatus

    offered = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
    removed = datetime(2026, 12, 8, 13, 0, tzinfo=UTC)
    slots = tuple(
        SlotStatus(
            slot_id=n, start_at=start, end_at=start, status=status, booked=0, capacity=1,
            candidate_names=(),
        )
        for n, (start, status) in enumerate(((offered, "offered"), (removed, "removed")))
    )  # fmt: skip
    overview = replace(_overview(), slots=slots)
    copenhagen = ZoneInfo("Europe/Copenhagen")
    assert offered_already(overview, offered.astimezone(copenhagen))
    assert not offered_already(overview, removed.astimezone(copenhagen))
    assert offered_already(overview, datetime(2026, 12, 8, 12, 0, tzinfo=copenhagen))
    assert not offered_already(overview, datetime(2026, 12, 8, 13, 0, tzinfo=copenhagen))


def test_zoom_needs_a_calendar_too_because_its_meeting_is_made_with_the_organisers_event():
    from planner.domain.meetings import available_meeting_kinds
    from planner.domain.vocabulary import MeetingKind

    assert MeetingKind.ZOOM not in available_meeting_kinds(["zoom"])
    assert MeetingKind.ZOOM in available_meeting_kinds(["zoom", "caldav"])
    assert available_meeting_kinds(["google"]) == {
        MeetingKind.NONE, MeetingKind.MEET, MeetingKind.JITSI,
    }  # fmt: skip
    assert available_meeting_kinds([]) == {MeetingKind.NONE}


def test_a_participant_with_no_calendar_and_no_address_is_not_said_to_get_mail():
    from planner.services.interview_overview import _event_state

    assert _event_state([], True) == "not_synced"
    assert _event_state([], True, mailed=False) == "no_email"
    assert _event_state(["created"], True, mailed=False) == "created"
    assert _event_state([], False, mailed=False) == "none"


def test_a_place_change_of_a_booked_interview_does_not_promise_every_participant_mail():
    # queue_interview_changed mails the booked candidates and the staff whose calendar is
    # not synced; synced calendars follow, and a participant with no calendar and no
    # address hears nothing: the confirmation names the booked and says so, in each language.
    from planner.i18n import translator

    booked = _with_status(_overview(), "booked")
    for locale in ("en", "da", "sv", "nb", "fi"):
        text = change_effect(translator(locale), booked, "loc-0")
        assert "Candidate booked" in text
        if locale != "en":
            assert text != change_effect(translator("en"), booked, "loc-0")
    english = change_effect(translator("en"), booked, None)
    assert "by e-mail" in english and "synced calendars" in english
    assert "and the participants get" not in english
    assert change_effect(translator("en"), booked, "online-jitsi").startswith(
        "The booked candidates (Candidate booked) get the interview with its new meeting"
    )
    assert change_effect(translator("en"), _with_status(_overview(), "invited"), "loc-0") == (
        "No one has booked yet: candidates still choosing see the change."
    )
