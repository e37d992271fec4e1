"""Reading interviews of the acting user's account."""

from sqlmodel import Session, select

from planner.models import Interview, StaffUser
from planner.services.actor import Actor, owned
from planner.services.errors import InvalidInput
from planner.services.shapes import InterviewRow


def _row(interview: Interview, organiser_name: str) -> InterviewRow:
    assert interview.id is not None
    return InterviewRow(
        id=interview.id,
        title=interview.title,
        status=interview.status,
        duration_minutes=interview.duration_minutes,
        organiser_name=organiser_name,
        created_at=interview.created_at,
    )


def list_interviews(*, session: Session, actor: Actor) -> list[InterviewRow]:
    """The account's interviews, newest first."""
    rows = session.exec(
        select(Interview, StaffUser.name)
        .join(StaffUser, StaffUser.id == Interview.organiser_id)  # type: ignore[arg-type]
        .where(Interview.account_id == actor.account_id)
        .order_by(Interview.created_at.desc(), Interview.id.desc())  # type: ignore[attr-defined]
    ).all()
    return [_row(interview, name) for interview, name in rows]


def get_interview(*, session: Session, actor: Actor, interview_id: int) -> InterviewRow:
    """One interview of the account (NotFound for another account's id)."""
    interview = owned(actor, session.get(Interview, interview_id), "Interview")
    organiser = session.get(StaffUser, interview.organiser_id)
    return _row(interview, organiser.name if organiser else "")


def rename_interview(
    *, session: Session, actor: Actor, interview_id: int, title: str
) -> InterviewRow:
    """Change an interview's title."""
    interview = owned(actor, session.get(Interview, interview_id), "Interview")
    title = title.strip()
    if not title or len(title) > 200 or any(ch in title for ch in "\r\n"):
        raise InvalidInput("title", "must be one line of 1 to 200 characters")
    interview.title = title
    session.commit()
    return get_interview(session=session, actor=actor, interview_id=interview_id)
