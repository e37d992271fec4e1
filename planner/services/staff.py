"""Staff users of the acting user's account, with their calendar-sync status."""

from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from planner.db import begin_write
from planner.domain.sync_status import sync_status
from planner.domain.text import without_nul
from planner.domain.vocabulary import LOCALES, Role
from planner.models import CalendarConnection, StaffUser, SyncInvitation
from planner.services.actor import Actor, owned, require_admin
from planner.services.auth import hash_password
from planner.services.errors import InvalidInput
from planner.services.shapes import StaffRow, StaffUserInput, StaffUserPatch, like_escape, parse


def _statuses(session: Session, account_id: int) -> tuple[dict[int, list], set[int]]:
    connections: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for user_id, provider, status in session.exec(
        select(
            CalendarConnection.staff_user_id, CalendarConnection.provider, CalendarConnection.status
        ).where(CalendarConnection.account_id == account_id)
    ).all():
        connections[user_id].append((provider, status))
    invited = set(
        session.exec(
            select(SyncInvitation.staff_user_id).where(SyncInvitation.account_id == account_id)
        ).all()
    )
    return connections, invited


def _row(user: StaffUser, connections: list[tuple[str, str]], invited: bool) -> StaffRow:
    assert user.id is not None
    return StaffRow(
        id=user.id,
        name=user.name,
        email=user.email,
        role=Role(user.role),
        time_zone=user.time_zone,
        locale=user.locale,
        is_active=user.is_active,
        sync_status=sync_status(connections, invited=invited).value,
    )


def list_staff(*, session: Session, actor: Actor, search: str = "") -> list[StaffRow]:
    """The account's staff users by name, with their sync status."""
    query = select(StaffUser).where(StaffUser.account_id == actor.account_id)
    needle = without_nul(search).strip().lower()[:200]
    if needle:
        query = query.where(
            func.lower(StaffUser.name).like(f"%{like_escape(needle)}%", escape="\\")
        )
    users = session.exec(query.order_by(func.lower(StaffUser.name), StaffUser.id)).all()
    connections, invited = _statuses(session, actor.account_id)
    return [_row(u, connections.get(u.id or 0, []), (u.id in invited)) for u in users]


def get_staff_user(*, session: Session, actor: Actor, user_id: int) -> StaffRow:
    """One staff user of the account (NotFound for another account's id)."""
    user = owned(actor, session.get(StaffUser, user_id), "Staff user")
    connections, invited = _statuses(session, actor.account_id)
    return _row(user, connections.get(user_id, []), user_id in invited)


def create_staff_user(
    *,
    session: Session,
    actor: Actor,
    data: StaffUserInput | dict[str, Any],
    password: str | None = None,
) -> StaffRow:
    """Add a staff user (admins only). A password needs an e-mail to sign in with."""
    require_admin(actor)
    values = parse(StaffUserInput, data)
    if password is not None and values.email is None:
        raise InvalidInput("password", "a user without e-mail cannot sign in")
    if password is not None and len(password) < 10:
        raise InvalidInput("password", "must be at least 10 characters")
    user = StaffUser(
        account_id=actor.account_id,
        name=values.name,
        email=values.email,
        role=values.role.value,
        time_zone=values.time_zone,
        locale=values.locale,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidInput("email", "another user already has this e-mail address") from None
    return get_staff_user(session=session, actor=actor, user_id=user.id or 0)


def update_staff_user(
    *, session: Session, actor: Actor, user_id: int, data: StaffUserPatch | dict[str, Any]
) -> StaffRow:
    """Change a staff user (admins only); an account always keeps one active admin."""
    require_admin(actor)
    user = owned(actor, session.get(StaffUser, user_id), "Staff user")
    changes = parse(StaffUserPatch, data).model_dump(exclude_unset=True)
    for field in ("name", "role", "time_zone", "locale", "is_active"):
        if field in changes and changes[field] is None:
            raise InvalidInput(field, "cannot be empty")
    if "email" in changes and changes["email"] is None and user.password_hash:
        user.password_hash = None  # without an e-mail nobody can sign in as this user
    loses_admin = user.role == Role.ADMIN and (
        changes.get("role", Role.ADMIN) != Role.ADMIN or changes.get("is_active") is False
    )
    if loses_admin:
        admins = session.exec(
            select(func.count())
            .select_from(StaffUser)
            .where(
                StaffUser.account_id == actor.account_id,
                StaffUser.role == Role.ADMIN.value,
                StaffUser.is_active == True,  # noqa: E712 - SQL expression
            )
        ).one()
        if admins <= 1:
            raise InvalidInput("role", "the account must keep at least one active admin")
    for field, value in changes.items():
        setattr(user, field, value.value if isinstance(value, Role) else value)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidInput("email", "another user already has this e-mail address") from None
    return get_staff_user(session=session, actor=actor, user_id=user_id)


def set_own_language(*, session: Session, actor: Actor, locale: str) -> str:
    """The signed-in staff user chooses the language of their pages and mails (one of
    planner.domain.vocabulary.LOCALES); returns it. Raises InvalidInput for another value."""
    if locale not in LOCALES:
        raise InvalidInput("locale", "choose one of Planner's languages")
    begin_write(session)
    user = owned(actor, session.get(StaffUser, actor.user_id), "Staff user")
    user.locale = locale
    session.add(user)
    session.commit()
    return locale
