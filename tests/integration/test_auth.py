"""Staff sign-in: passwords, sessions, throttling, sign-out."""

from datetime import timedelta

import pytest
from sqlmodel import select

from planner.domain.tokens import hash_token
from planner.models import StaffSession, StaffUser
from planner.services import auth
from planner.services.errors import SignInRefused, SignInThrottled
from tests.factories import NOW, account_with_admin

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(session):
    _account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
    return admin


def test_sign_in_opens_a_session_stored_only_as_a_hash(session, admin):
    signed_in = auth.sign_in(
        session=session, email=" Admin@Alpha.example ", password=PASSWORD, now=NOW
    )
    assert signed_in.actor.user_id == admin.id
    rows = session.exec(select(StaffSession)).all()
    assert [row.token_hash for row in rows] == [hash_token(signed_in.token)]
    assert signed_in.token not in {row.token_hash for row in rows}
    actor = auth.resolve_session(session=session, token=signed_in.token, now=NOW)
    assert actor is not None and actor.account_name == "Alpha"


@pytest.mark.parametrize(
    "email, password",
    [("admin@alpha.example", "wrong"), ("nobody@alpha.example", PASSWORD), ("", "")],
)
def test_wrong_credentials_are_refused_without_saying_which(session, admin, email, password):
    with pytest.raises(SignInRefused, match="Wrong e-mail or password"):
        auth.sign_in(session=session, email=email, password=password, now=NOW)
    assert session.exec(select(StaffSession)).all() == []


def _fail(session, email, *, at, address="203.0.113.9"):
    with pytest.raises((SignInRefused, SignInThrottled)):
        auth.sign_in(session=session, email=email, password="x", now=at, client_address=address)


def test_repeated_failures_of_one_account_from_one_address_back_off(session, admin):
    for _ in range(5):
        _fail(session, "admin@alpha.example", at=NOW)
    # Five failures: the pair waits 2 s after the last one, even with the right password.
    with pytest.raises(SignInThrottled, match="seconds"):
        auth.sign_in(session=session, email="admin@alpha.example", password=PASSWORD,
                     now=NOW + timedelta(seconds=1), client_address="203.0.113.9")  # fmt: skip
    _fail(session, "admin@alpha.example", at=NOW + timedelta(seconds=2))
    # Six failures: 4 s after the last one.
    with pytest.raises(SignInThrottled):
        auth.sign_in(session=session, email="admin@alpha.example", password=PASSWORD,
                     now=NOW + timedelta(seconds=5), client_address="203.0.113.9")  # fmt: skip
    signed_in = auth.sign_in(
        session=session, email="admin@alpha.example", password=PASSWORD,
        now=NOW + timedelta(seconds=6), client_address="203.0.113.9",
    )  # fmt: skip
    assert signed_in.actor.user_id == admin.id


def test_someone_elses_failures_do_not_lock_the_real_user_out(session, admin):
    for _ in range(30):
        _fail(session, "admin@alpha.example", at=NOW, address="198.51.100.66")
    signed_in = auth.sign_in(
        session=session, email="admin@alpha.example", password=PASSWORD, now=NOW,
        client_address="203.0.113.9",
    )  # fmt: skip
    assert signed_in.actor.user_id == admin.id


def test_failures_from_a_shared_address_do_not_lock_out_everyone_behind_it(session, admin):
    for n in range(40):
        _fail(session, f"guess{n}@alpha.example", at=NOW)
    signed_in = auth.sign_in(
        session=session, email="admin@alpha.example", password=PASSWORD, now=NOW,
        client_address="203.0.113.9",
    )  # fmt: skip
    assert signed_in.actor.user_id == admin.id


def test_a_nul_character_in_the_e_mail_is_a_refusal_not_a_server_error(session, admin):
    with pytest.raises(SignInRefused):
        auth.sign_in(session=session, email="admin\x00@alpha.example", password=PASSWORD,
                     now=NOW, client_address="203.0.113.9\x00")  # fmt: skip


def test_a_user_without_password_cannot_sign_in(session, admin):
    user = StaffUser(
        account_id=admin.account_id, name="M", email="m@alpha.example", role="recruiter"
    )
    session.add(user)
    session.commit()
    with pytest.raises(SignInRefused):
        auth.sign_in(session=session, email="m@alpha.example", password="", now=NOW)


@pytest.mark.parametrize("token", [None, "", "garbage", "x" * 5000, "a\r\nb"])
def test_unknown_or_tampered_tokens_resolve_to_nobody(session, admin, token):
    assert auth.resolve_session(session=session, token=token, now=NOW) is None


def test_sessions_end_when_idle_expired_deactivated_or_signed_out(session, admin):
    def new_token():
        return auth.sign_in(
            session=session, email="admin@alpha.example", password=PASSWORD, now=NOW
        ).token

    idle = new_token()
    assert auth.resolve_session(session=session, token=idle, now=NOW + timedelta(hours=13)) is None

    absolute = new_token()
    moment = NOW
    for _ in range(7 * 2 + 1):  # keep it active every 12 hours - 1 minute
        moment += timedelta(hours=11, minutes=59)
        found = auth.resolve_session(session=session, token=absolute, now=moment)
    assert found is None

    signed_out = new_token()
    auth.sign_out(session=session, token=signed_out)
    assert auth.resolve_session(session=session, token=signed_out, now=NOW) is None

    deactivated = new_token()
    admin.is_active = False
    session.commit()
    assert auth.resolve_session(session=session, token=deactivated, now=NOW) is None


def test_purge_removes_expired_sessions(session, admin):
    auth.sign_in(session=session, email="admin@alpha.example", password=PASSWORD, now=NOW)
    assert auth.purge_expired(session=session, now=NOW + timedelta(days=8)) == 1
    assert session.exec(select(StaffSession)).all() == []
