"""Input and output shapes of the services, kept apart from the table models."""

from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from planner.domain.text import check_line, normalise_multiline
from planner.domain.vocabulary import LOCALES, MeetingKind, Role
from planner.services.errors import InvalidInput


def _single_line(value: str) -> str:
    # Every stage after this one (mail headers, iCalendar, HTTP headers, PostgreSQL) must be
    # able to carry the value: planner/domain/text.py says what that excludes.
    return check_line(value)


def _multiline(value: str) -> str:
    return normalise_multiline(value)


def _email(value: str) -> str:
    check_line(value)
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid e-mail address ({exc})") from None


def _locale(value: str) -> str:
    if value not in LOCALES:
        raise ValueError(f"must be one of {', '.join(LOCALES)}")
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_single_line)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
Locale = Annotated[str, AfterValidator(_locale)]
TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_zone)]
Phone = Annotated[str, Field(max_length=40, pattern=r"^\+?[0-9 ()\-]{4,40}$")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CandidateInput(_Input):
    name: Name
    email: Email
    phone: Phone | None = None
    locale: Locale = "en"
    time_zone: TimeZone = "Europe/Copenhagen"
    job_id: int | None = None
    external_ref: Annotated[str, Field(max_length=100), AfterValidator(_single_line)] | None = None


class CandidatePatch(_Input):
    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    locale: Locale | None = None
    time_zone: TimeZone | None = None
    job_id: int | None = None


class StaffUserInput(_Input):
    name: Name
    email: Email | None = None
    role: Role
    time_zone: TimeZone = "Europe/Copenhagen"
    locale: Locale = "en"


class StaffUserPatch(_Input):
    name: Name | None = None
    email: Email | None = None
    role: Role | None = None
    time_zone: TimeZone | None = None
    locale: Locale | None = None
    is_active: bool | None = None


class LocationInput(_Input):
    name: Name
    address: Annotated[str, Field(max_length=500), AfterValidator(_single_line)] = ""


class JobInput(_Input):
    title: Name
    external_ref: Annotated[str, Field(max_length=100), AfterValidator(_single_line)] | None = None


class CandidateRow(BaseModel):
    """A candidate as lists show it."""

    id: int
    name: str
    email: str
    phone: str
    locale: str
    time_zone: str
    job_title: str


class StaffRow(BaseModel):
    """A staff user as lists show it."""

    id: int
    name: str
    email: str | None
    role: Role
    time_zone: str
    locale: str
    is_active: bool
    sync_status: str


class LocationRow(BaseModel):
    id: int
    name: str
    address: str


class InterviewRow(BaseModel):
    id: int
    title: str
    status: str
    duration_minutes: int
    organiser_name: str
    created_at: datetime


def like_escape(text: str) -> str:
    """Make user text match literally inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


ShapeT = TypeVar("ShapeT", bound=BaseModel)


def parse(shape: type[ShapeT], data: dict[str, Any] | BaseModel) -> ShapeT:
    """Validate input, turning the first problem into an InvalidInput naming its field."""
    if isinstance(data, shape):
        return data
    raw = data.model_dump(exclude_unset=True) if isinstance(data, BaseModel) else data
    try:
        return shape.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or shape.__name__
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidInput(field, message) from None


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone offset (e.g. 2026-12-01T09:00:00+01:00)")
    return value


AwareDateTime = Annotated[datetime, AfterValidator(_aware)]
Comment = Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(_multiline)]


class InterviewInput(_Input):
    """What the invite wizard (or the API) sends to create an interview."""

    title: Name
    duration_minutes: Annotated[int, Field(gt=0, le=1440)]
    participant_ids: Annotated[list[int], Field(min_length=1, max_length=50)]
    organiser_id: int | None = None
    job_id: int | None = None
    location_id: int | None = None
    meeting_kind: MeetingKind = MeetingKind.NONE
    capacity: Annotated[int, Field(ge=1, le=500)] = 1
    slots: Annotated[list[AwareDateTime], Field(max_length=200)] = []
    invitation_text: Annotated[str, Field(max_length=10000), AfterValidator(_multiline)] = ""
    invitation_subject: Annotated[str, Field(max_length=200), AfterValidator(_single_line)] = ""


class InterviewDetail(BaseModel):
    """An interview with its participants, slots and invitations, as staff see it."""

    id: int
    title: str
    status: str
    duration_minutes: int
    capacity: int
    meeting_kind: MeetingKind
    location_name: str | None
    location_address: str | None
    organiser_id: int
    participant_ids: list[int]
    slots: list["SlotDetail"]
    invitations: list["InvitationDetail"]


class SlotDetail(BaseModel):
    id: int
    start_at: datetime
    end_at: datetime
    status: str
    booked: int
    capacity: int


class InvitationDetail(BaseModel):
    id: int
    candidate_id: int
    candidate_name: str
    status: str
    expires_at: datetime
    booked_slot_id: int | None
