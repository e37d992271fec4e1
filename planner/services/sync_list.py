"""The admin's calendar-sync list: server-side filter, search, sort and paging, and "Sync now"."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, literal, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from planner.db import begin_write
from planner.domain.sync_status import CALENDAR_PROVIDERS
from planner.domain.vocabulary import ConnectionStatus, Role, SyncStatus
from planner.models import CalendarConnection, StaffUser, SyncInvitation
from planner.services.actor import Actor, require_admin
from planner.services.errors import InvalidInput
from planner.services.shapes import like_escape

log = logging.getLogger(__name__)

SORTS = ("name", "status", "last_sync")
PAGE_SIZES = (25, 50, 100)
MAX_SEARCH = 200
MAX_SYNC_NOW = 5000
POLLED = (ConnectionStatus.SYNCED.value, ConnectionStatus.ERROR.value)
LIVE_PROBLEM = (ConnectionStatus.ERROR.value, ConnectionStatus.RECONNECT_NEEDED.value)
# "status" sorts problems first: error, disconnected, invited, not invited, synced.
STATUS_ORDER = {
    SyncStatus.ERROR.value: 0,
    SyncStatus.DISCONNECTED.value: 1,
    SyncStatus.INVITED.value: 2,
    SyncStatus.NOT_INVITED.value: 3,
    SyncStatus.SYNCED.value: 4,
}


@dataclass(frozen=True)
class SyncListQuery:
    """What the admin asked for: `status` one of SyncStatus values or "all"; `search`
    matches names and e-mail addresses; `sort` one of SORTS; `page` counts from 1."""

    status: str = "all"
    search: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class SyncListRow:
    """One staff user with the connection that decides their sync status (if any). Times
    are UTC; `sync_pending` = a "Sync now" is waiting for the worker."""

    user_id: int
    name: str
    email: str | None
    role: Role
    time_zone: str
    locale: str
    sync_status: str
    provider: str | None = None
    connection_status: str | None = None
    last_synced_at: datetime | None = None
    error_kind: str | None = None
    last_error: str | None = None
    unreadable_count: int = 0
    unknown_from: datetime | None = None
    sync_pending: bool = False
    invited_at: datetime | None = None


@dataclass(frozen=True)
class SyncListPage:
    """One page of the list, how many users match in all, and per-status counts of the
    users matching the search (for the filter)."""

    rows: list[SyncListRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SyncNowResult:
    """Whose calendars were queued for a sync, and who has no calendar that can sync now
    (none connected, or one that needs them to reconnect)."""

    requested: list[str] = field(default_factory=list)
    cannot_sync: list[str] = field(default_factory=list)


def _per_user(account_id: int):  # type: ignore[no-untyped-def]
    """Per staff user: flags of their calendar connections' statuses and last sync."""
    status = col(CalendarConnection.status)
    return (
        sa_select(
            col(CalendarConnection.staff_user_id).label("user_id"),
            func.max(case((status == ConnectionStatus.SYNCED.value, 1), else_=0)).label("synced"),
            func.max(case((status.in_(LIVE_PROBLEM), 1), else_=0)).label("problem"),
            func.max(case((status == ConnectionStatus.DISCONNECTED.value, 1), else_=0)).label(
                "gone"
            ),
            func.max(
                case(
                    (
                        status != ConnectionStatus.DISCONNECTED.value,
                        col(CalendarConnection.last_synced_at),
                    ),
                    else_=None,
                )
            ).label("last_sync"),
        )
        .where(
            col(CalendarConnection.account_id) == account_id,
            col(CalendarConnection.provider).in_(CALENDAR_PROVIDERS),
        )
        .group_by(col(CalendarConnection.staff_user_id))
        .subquery()
    )


def _invited(account_id: int):  # type: ignore[no-untyped-def]
    return (
        sa_select(
            col(SyncInvitation.staff_user_id).label("user_id"),
            func.max(col(SyncInvitation.sent_at)).label("sent_at"),
        )
        .where(col(SyncInvitation.account_id) == account_id)
        .group_by(col(SyncInvitation.staff_user_id))
        .subquery()
    )


def _status_expression(per_user, invited) -> ColumnElement[str]:  # type: ignore[no-untyped-def]
    """The same rule as planner.domain.sync_status.sync_status, in SQL."""
    return case(
        (per_user.c.synced == 1, literal(SyncStatus.SYNCED.value)),
        (per_user.c.problem == 1, literal(SyncStatus.ERROR.value)),
        (per_user.c.gone == 1, literal(SyncStatus.DISCONNECTED.value)),
        (invited.c.user_id.is_not(None), literal(SyncStatus.INVITED.value)),
        else_=literal(SyncStatus.NOT_INVITED.value),
    )


def _check(query: SyncListQuery) -> SyncListQuery:
    if query.status != "all" and query.status not in STATUS_ORDER:
        raise InvalidInput("status", "unknown sync status")
    if query.sort not in SORTS:
        raise InvalidInput("sort", "sort by one of {choices}", choices=", ".join(SORTS))
    if query.page_size not in PAGE_SIZES:
        raise InvalidInput("page_size", "one of {choices}", choices=", ".join(map(str, PAGE_SIZES)))
    return query


def _base(actor: Actor, search: str):  # type: ignore[no-untyped-def]
    """Users of the account matching `search`, with their status expression."""
    per_user, invited = _per_user(actor.account_id), _invited(actor.account_id)
    status = _status_expression(per_user, invited)
    query = (
        select(StaffUser, status.label("sync_status"), per_user.c.last_sync, invited.c.sent_at)
        .outerjoin(per_user, per_user.c.user_id == col(StaffUser.id))
        .outerjoin(invited, invited.c.user_id == col(StaffUser.id))
        .where(StaffUser.account_id == actor.account_id)
    )
    needle = search.strip().lower()[:MAX_SEARCH]
    if needle:
        pattern = f"%{like_escape(needle)}%"
        query = query.where(
            or_(
                func.lower(StaffUser.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(StaffUser.email, "")).like(pattern, escape="\\"),
            )
        )
    return query, status, per_user


def list_page(*, session: Session, actor: Actor, query: SyncListQuery) -> SyncListPage:
    """One page of the account's staff users with their sync status, filtered, searched
    (name or e-mail, case-insensitive, literal) and sorted in the database (admins only).
    A page past the end shows the last page. Raises PermissionDenied, InvalidInput."""
    require_admin(actor)
    query = _check(query)
    base, status, per_user = _base(actor, query.search)
    counted = base.subquery()
    counts = {value: 0 for value in STATUS_ORDER}
    for value, number in session.exec(
        select(counted.c.sync_status, func.count()).group_by(counted.c.sync_status)
    ).all():
        counts[value] = number
    filtered = base if query.status == "all" else base.where(status == query.status)
    total = counts[query.status] if query.status != "all" else sum(counts.values())
    pages = max(1, -(-total // query.page_size))
    page = min(max(1, query.page), pages)
    name_key = func.lower(StaffUser.name)
    if query.sort == "status":
        order = case(*((status == value, rank) for value, rank in STATUS_ORDER.items()), else_=9)
        keys = [order.desc() if query.descending else order, name_key]
    elif query.sort == "last_sync":
        last = per_user.c.last_sync
        keys = [last.is_(None), last.asc() if query.descending else last.desc(), name_key]
    else:
        keys = [name_key.desc() if query.descending else name_key]
    found = session.exec(
        filtered.order_by(*keys, col(StaffUser.id))
        .limit(query.page_size)
        .offset((page - 1) * query.page_size)
    ).all()
    details = _connections_of(session, actor.account_id, [u.id or 0 for u, *_ in found])
    rows = [
        _row(user, value, invited_at, details.get(user.id or 0))
        for user, value, _last, invited_at in found
    ]
    return SyncListPage(rows=rows, total=total, page=page, pages=pages, counts=counts)


def matching_user_ids(*, session: Session, actor: Actor, status: str, search: str) -> list[int]:
    """Every staff user id matching the filter and search (what "select all" means)."""
    require_admin(actor)
    _check(SyncListQuery(status=status, search=search))
    base, expression, _ = _base(actor, search)
    if status != "all":
        base = base.where(expression == status)
    found = session.execute(base.order_by(func.lower(StaffUser.name), col(StaffUser.id)))
    return [user.id for user, *_ in found.all() if user.id is not None]


def rows_for(*, session: Session, actor: Actor, user_ids: list[int]) -> list[SyncListRow]:
    """The list rows of some users of the account (for refreshing rows in place)."""
    require_admin(actor)
    if not user_ids:
        return []
    base, _, _ = _base(actor, "")
    found = session.exec(base.where(col(StaffUser.id).in_(user_ids))).all()
    details = _connections_of(session, actor.account_id, [u.id or 0 for u, *_ in found])
    by_id = {
        user.id: _row(user, value, invited_at, details.get(user.id or 0))
        for user, value, _last, invited_at in found
    }
    return [by_id[i] for i in user_ids if i in by_id]


# Which connection speaks for a user: a working one, then one in trouble, then the newest.
_RANK = {
    ConnectionStatus.SYNCED.value: 0,
    ConnectionStatus.ERROR.value: 1,
    ConnectionStatus.RECONNECT_NEEDED.value: 1,
    ConnectionStatus.DISCONNECTED.value: 2,
}


def _connections_of(
    session: Session, account_id: int, user_ids: list[int]
) -> dict[int, CalendarConnection]:
    if not user_ids:
        return {}
    chosen: dict[int, CalendarConnection] = {}
    for connection in session.exec(
        select(CalendarConnection).where(
            CalendarConnection.account_id == account_id,
            col(CalendarConnection.staff_user_id).in_(user_ids),
            col(CalendarConnection.provider).in_(CALENDAR_PROVIDERS),
        )
    ).all():
        best = chosen.get(connection.staff_user_id)
        mine = (_RANK.get(connection.status, 3), -connection.updated_at.timestamp())
        if best is None or mine < (_RANK.get(best.status, 3), -best.updated_at.timestamp()):
            chosen[connection.staff_user_id] = connection
    return chosen


def _row(
    user: StaffUser,
    status: str,
    invited_at: datetime | None,
    connection: CalendarConnection | None,
) -> SyncListRow:
    assert user.id is not None
    base = SyncListRow(
        user_id=user.id,
        name=user.name,
        email=user.email,
        role=Role(user.role),
        time_zone=user.time_zone,
        locale=user.locale,
        sync_status=status,
        invited_at=invited_at,
    )
    if connection is None:
        return base
    return SyncListRow(
        **{
            **base.__dict__,
            "provider": connection.provider,
            "connection_status": connection.status,
            "last_synced_at": connection.last_synced_at,
            "error_kind": connection.error_kind,
            "last_error": connection.last_error,
            "unreadable_count": connection.unreadable_count,
            "unknown_from": connection.unknown_from,
            "sync_pending": connection.sync_requested_at is not None
            and connection.status in POLLED,
        }
    )


def request_sync_now(
    *, session: Session, actor: Actor, user_ids: list[int], now: datetime
) -> SyncNowResult:
    """Ask the worker to poll the chosen users' calendars at once (admins only). Recorded
    on the connections (`sync_requested_at`), so the request survives restarts and a second
    click changes nothing; the worker's `poll_requested` picks it up within seconds. Users
    without a connection that can be polled (none, disconnected, or needing a reconnect)
    are named in `cannot_sync`. Raises PermissionDenied, InvalidInput."""
    require_admin(actor)
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        raise InvalidInput("user_ids", "choose at least one staff user")
    if len(wanted) > MAX_SYNC_NOW:
        raise InvalidInput("user_ids", "at most {limit} at a time", limit=MAX_SYNC_NOW)
    begin_write(session)
    users = {
        u.id: u.name
        for u in session.exec(
            select(StaffUser).where(
                col(StaffUser.id).in_(wanted), StaffUser.account_id == actor.account_id
            )
        ).all()
    }
    if len(users) != len(wanted):
        session.rollback()
        raise InvalidInput("user_ids", "unknown staff user in this account")
    pollable = set(
        session.exec(
            select(CalendarConnection.staff_user_id).where(
                CalendarConnection.account_id == actor.account_id,
                col(CalendarConnection.staff_user_id).in_(wanted),
                col(CalendarConnection.provider).in_(CALENDAR_PROVIDERS),
                col(CalendarConnection.status).in_(POLLED),
            )
        ).all()
    )
    if pollable:
        session.exec(
            update(CalendarConnection)  # type: ignore[call-overload]
            .where(
                and_(
                    col(CalendarConnection.account_id) == actor.account_id,
                    col(CalendarConnection.staff_user_id).in_(pollable),
                    col(CalendarConnection.provider).in_(CALENDAR_PROVIDERS),
                    col(CalendarConnection.status).in_(POLLED),
                    col(CalendarConnection.sync_requested_at).is_(None),
                )
            )
            .values(sync_requested_at=now)
        )
    session.commit()
    ordered = sorted(wanted, key=lambda i: users[i].lower())
    log.info("sync now requested for %d users by %s", len(pollable), actor.user_id)
    return SyncNowResult(
        requested=[users[i] for i in ordered if i in pollable],
        cannot_sync=[users[i] for i in ordered if i not in pollable],
    )
