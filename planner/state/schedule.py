"""The invite wizard: candidates, participants, suggested times, place, invitation text."""

from dataclasses import dataclass
from datetime import datetime

import reflex as rx

from planner import routes
from planner.db import session_scope
from planner.domain.meetings import available_meeting_kinds
from planner.i18n.dates import format_time_range, format_weekday_date
from planner.models.base import utcnow
from planner.services import availability, candidates, locations, scheduling, staff
from planner.services.actor import Actor
from planner.services.errors import PlannerError
from planner.state.guard import signed_in_actor
from planner.state.session import sign_in_redirect

DURATIONS = ["30", "45", "60", "90"]
MEETING_LABELS = {
    "none": "In person (choose a location)",
    "teams": "Microsoft Teams",
    "meet": "Google Meet",
    "zoom": "Zoom",
    "jitsi": "Jitsi",
}


@dataclass(frozen=True)
class Choice:
    """A selectable person or place; `key` is its position, ids stay on the server."""

    key: int
    label: str
    note: str


@dataclass(frozen=True)
class TimeOption:
    key: int
    label: str
    note: str
    all_free: bool


class ScheduleState(rx.State):
    """Wizard inputs as primitives and positions; everything is checked again by services."""

    loaded: bool = False
    people: list[Choice] = []
    staff_members: list[Choice] = []
    places: list[Choice] = []
    meeting_options: list[list[str]] = []
    chosen_candidates: list[int] = []
    chosen_staff: list[int] = []
    title: str = "Interview"
    duration: str = "45"
    meeting_kind: str = "none"
    place: str = ""
    new_place_name: str = ""
    new_place_address: str = ""
    invitation_text: str = ""
    suggestions: list[TimeOption] = []
    chosen_times: list[int] = []
    searched: bool = False
    error: str = ""
    done: str = ""
    _candidate_ids: list[int] = []
    _staff_ids: list[int] = []
    _place_ids: list[int] = []
    _suggestion_starts: list[str] = []

    async def _actor(self) -> Actor | None:
        return await signed_in_actor(self)

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        with session_scope() as session:
            found = candidates.list_candidates(session=session, actor=actor)
            team = [u for u in staff.list_staff(session=session, actor=actor) if u.is_active]
            providers = scheduling.synced_providers(session, actor.user_id)
        self._candidate_ids = [c.id for c in found]
        self.people = [Choice(key=i, label=c.name, note=c.job_title) for i, c in enumerate(found)]
        others = [u for u in team if u.id != actor.user_id]
        self._staff_ids = [u.id for u in others]
        self.staff_members = [
            Choice(
                key=i,
                label=u.name,
                note="availability known" if u.sync_status == "synced" else "availability unknown",
            )
            for i, u in enumerate(others)
        ]
        kinds = available_meeting_kinds(providers)
        self.meeting_options = [
            [kind, label] for kind, label in MEETING_LABELS.items() if kind in kinds
        ]
        self._load_places(actor)
        self.chosen_candidates, self.chosen_staff, self.chosen_times = [], [], []
        self.suggestions = []
        self.searched, self.error, self.done = False, "", ""
        self.loaded = True
        return None

    def _load_places(self, actor: Actor) -> None:
        with session_scope() as session:
            found = locations.list_locations(session=session, actor=actor)
        self._place_ids = [p.id for p in found]
        self.places = [Choice(key=i, label=p.name, note=p.address) for i, p in enumerate(found)]

    @rx.event
    def toggle_candidate(self, key: int):
        self.chosen_candidates = _toggle(self.chosen_candidates, int(key), len(self.people))

    @rx.event
    def toggle_staff(self, key: int):
        self.chosen_staff = _toggle(self.chosen_staff, int(key), len(self.staff_members))
        self.suggestions, self.chosen_times, self.searched = [], [], False

    @rx.event
    def toggle_time(self, key: int):
        self.chosen_times = _toggle(self.chosen_times, int(key), len(self.suggestions))

    @rx.event
    def set_title(self, value: str):
        self.title = value[:200]

    @rx.event
    def set_duration(self, value: str):
        if value in DURATIONS:
            self.duration = value
            self.suggestions, self.chosen_times, self.searched = [], [], False

    @rx.event
    def set_meeting_kind(self, value: str):
        self.meeting_kind = value if value in MEETING_LABELS else "none"

    @rx.event
    def set_place(self, value: str):
        self.place = value

    @rx.event
    def set_new_place_name(self, value: str):
        self.new_place_name = value[:200]

    @rx.event
    def set_new_place_address(self, value: str):
        self.new_place_address = value[:500]

    @rx.event
    def set_invitation_text(self, value: str):
        self.invitation_text = value[:10000]

    @rx.event
    async def add_place(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        try:
            with session_scope() as session:
                added = locations.add_location(
                    session=session,
                    actor=actor,
                    data={"name": self.new_place_name, "address": self.new_place_address},
                )
        except PlannerError as exc:
            self.error = exc.message
            return None
        self._load_places(actor)
        self.place = str(self._place_ids.index(added.id))
        self.new_place_name = self.new_place_address = self.error = ""
        return None

    @rx.event
    async def remove_place(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        if not self.place.isdigit() or int(self.place) >= len(self._place_ids):
            return None
        try:
            with session_scope() as session:
                locations.remove_location(
                    session=session, actor=actor, location_id=self._place_ids[int(self.place)]
                )
        except PlannerError as exc:
            self.error = exc.message
            return None
        self.place = ""
        self._load_places(actor)
        return None

    def _participant_ids(self, actor: Actor) -> list[int]:
        return [actor.user_id] + [self._staff_ids[k] for k in sorted(self.chosen_staff)]

    @rx.event
    async def find_times(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        try:
            with session_scope() as session:
                found = availability.suggest_times(
                    session=session,
                    actor=actor,
                    participant_ids=self._participant_ids(actor),
                    duration_minutes=int(self.duration),
                    now=utcnow(),
                    minimum_notice_hours=12,
                )
        except PlannerError as exc:
            self.error = exc.message
            return None
        zone = actor.time_zone
        self._suggestion_starts = [s.start.isoformat() for s in found]
        self.suggestions = [
            TimeOption(
                key=i,
                label=f"{format_weekday_date(s.start, locale='en', time_zone=zone)}, "
                f"{format_time_range(s.start, s.end, locale='en', time_zone=zone)}",
                note=(
                    "Availability unknown: " + ", ".join(s.unknown)
                    if s.unknown
                    else (
                        "Tentative: " + ", ".join(s.tentative) if s.tentative else "Everyone free"
                    )
                ),
                all_free=not s.unknown and not s.tentative,
            )
            for i, s in enumerate(found)
        ]
        self.chosen_times, self.searched, self.error = [], True, ""
        return None

    @rx.event
    async def send(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        self.error = ""
        if not self.chosen_candidates:
            self.error = "Choose at least one candidate."
            return None
        if not self.chosen_times:
            self.error = "Offer at least one time."
            return None
        location_id = None
        if self.meeting_kind == "none":
            if not self.place.isdigit() or int(self.place) >= len(self._place_ids):
                self.error = "Choose a location, or an online meeting."
                return None
            location_id = self._place_ids[int(self.place)]
        data = {
            "title": self.title,
            "duration_minutes": int(self.duration),
            "participant_ids": self._participant_ids(actor),
            "location_id": location_id,
            "meeting_kind": self.meeting_kind,
            "slots": [
                datetime.fromisoformat(self._suggestion_starts[k]) for k in self.chosen_times
            ],
            "invitation_text": self.invitation_text,
        }
        now = utcnow()
        try:
            with session_scope() as session:
                interview = scheduling.create_interview(
                    session=session, actor=actor, data=data, now=now
                )
                sent = scheduling.invite_candidates(
                    session=session,
                    actor=actor,
                    interview_id=interview.id,
                    candidate_ids=[self._candidate_ids[k] for k in self.chosen_candidates],
                    now=now,
                )
        except PlannerError as exc:
            self.error = exc.message
            return None
        count = len(sent)
        self.done = (
            f"Invitations sent to {count} candidate{'s' if count != 1 else ''}. "
            f"They can choose among {len(self.chosen_times)} offered times."
        )
        return rx.toast.success(self.done)

    @rx.event
    def go_calendar(self):
        return rx.redirect(routes.CALENDAR)


def _toggle(chosen: list[int], key: int, size: int) -> list[int]:
    if not 0 <= key < size:
        return chosen
    return [k for k in chosen if k != key] if key in chosen else [*chosen, key]
