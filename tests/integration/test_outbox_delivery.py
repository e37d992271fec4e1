"""Outbox delivery against a real SMTP server: backoff on 4xx, give-up on 5xx, safe claims,
no resend of a done row, a stable Message-ID after a crash, STARTTLS / TLS with auth, the
worker task, and the local run's Maildir server behind the "Sent mail" page."""

import datetime as dt
import shutil
import ssl
from datetime import timedelta
from ipaddress import IPv4Address

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlmodel import Session, select

from planner import db
from planner.domain.mail import linkify
from planner.integrations.mail.devserver import list_received, read_received, start_dev_smtp
from planner.integrations.mail.smtp import MailDeliveryError, SmtpConfig, SmtpTransport
from planner.models import Booking, OutboxMessage
from planner.models.base import utcnow
from planner.services import notifications, outbox
from planner.state.sent_mail import _may_see
from tests import factories
from tests.smtp_helpers import RecordingHandler, free_port, start_server

LINK = "http://localhost:3000/book/tok-Abc_123"
sqlite_only = pytest.mark.parametrize("migrated_url", ["sqlite"], indirect=True)


def queue_confirmation(session, *, staff_email=True) -> int:
    """Queue one booking's confirmation: the candidate's mail, and the organiser's unless
    `staff_email` is false (the organiser is then inactive)."""
    account, admin = factories.account_with_admin(session, "Acme", email="astrid@acme.example")
    if not staff_email:
        admin.is_active = False
    interview = factories.add_interview(session, account, admin)
    slot, seats = factories.add_slot_with_seats(
        session, interview, start=utcnow() + timedelta(days=2)
    )
    candidate = factories.add_candidate(session, account)
    invitation = factories.add_invitation(session, interview, candidate)
    booking = Booking(
        account_id=account.id, invitation_id=invitation.id, slot_id=slot.id, seat_id=seats[0].id
    )
    session.add(booking)
    session.commit()
    queued = notifications.queue_booking_confirmation(
        session=session, booking_id=booking.id, link=LINK
    )
    session.commit()
    return queued


def transport(port, **kwargs) -> SmtpTransport:
    return SmtpTransport(
        SmtpConfig(host="127.0.0.1", port=port, **kwargs.pop("config", {})), **kwargs
    )


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = start_server(handler)
    yield handler, controller.port
    controller.stop()


def test_temporary_refusal_is_retried_with_backoff_then_sent_once(session, smtp):
    handler, port = smtp
    assert queue_confirmation(session, staff_email=False) == 1
    handler.replies.append("451 4.3.0 Try again later")
    now = utcnow()
    report = outbox.deliver_due_mail(
        session=session, transport=transport(port), now=now, random=lambda: 0.0
    )
    assert report == outbox.DeliveryReport(retrying=1)
    row = session.exec(select(OutboxMessage)).one()
    session.refresh(row)
    assert row.attempts == 1 and row.done_at is None and "451" in row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=15)  # half of the 30 s first step

    # Not due yet: nothing is claimed.
    assert (
        outbox.deliver_due_mail(
            session=session, transport=transport(port), now=now + timedelta(seconds=14)
        )
        == outbox.DeliveryReport()
    )
    later = now + timedelta(seconds=16)
    assert outbox.deliver_due_mail(session=session, transport=transport(port), now=later).sent == 1
    session.refresh(row)
    assert row.attempts == 2 and row.done_at == later and row.last_error is None
    assert len(handler.received) == 1
    assert handler.received[0].message["Message-ID"] == row.message_id
    # A done row is never sent again, however late the next run.
    assert (
        outbox.deliver_due_mail(
            session=session, transport=transport(port), now=later + timedelta(days=30)
        )
        == outbox.DeliveryReport()
    )
    assert len(handler.received) == 1


def test_final_refusal_and_too_many_attempts_give_up(session, smtp):
    handler, port = smtp
    queue_confirmation(session, staff_email=False)
    handler.replies.append("550 5.1.1 No such user")
    report = outbox.deliver_due_mail(session=session, transport=transport(port), now=utcnow())
    assert report == outbox.DeliveryReport(given_up=1)
    row = session.exec(select(OutboxMessage)).one()
    session.refresh(row)
    assert row.done_at is not None and row.last_error.startswith("gave up: SMTP 550")

    row.done_at, row.last_error, row.attempts = None, None, outbox.MAX_ATTEMPTS - 1
    row.next_attempt_at = utcnow()
    session.commit()
    handler.replies.append("421 4.7.0 Busy")
    report = outbox.deliver_due_mail(session=session, transport=transport(port), now=utcnow())
    assert report == outbox.DeliveryReport(given_up=1)
    assert handler.received == []


def test_server_down_is_retryable_for_every_claimed_row(session):
    assert queue_confirmation(session, staff_email=True) == 2
    report = outbox.deliver_due_mail(
        session=session, transport=transport(free_port()), now=utcnow()
    )
    assert report == outbox.DeliveryReport(retrying=2)


def test_a_crash_after_sending_resends_the_identical_message(session, smtp):
    handler, port = smtp
    queue_confirmation(session, staff_email=False)
    now = utcnow()
    (row_id,) = outbox.claim_due_mail(session=session, now=now)
    row = session.get(OutboxMessage, row_id)
    # The worker sends, then dies before recording that it did.
    transport(port).send(
        envelope_from=row.payload["envelope_from"],
        recipients=[row.payload["to"]],
        message=row.payload["raw"].encode("ascii"),
    )
    assert outbox.claim_due_mail(session=session, now=now + timedelta(minutes=1)) == []
    after_lease = now + outbox.LEASE + timedelta(seconds=1)
    assert (
        outbox.deliver_due_mail(session=session, transport=transport(port), now=after_lease).sent
        == 1
    )
    first, second = handler.received
    assert first.raw == second.raw  # same bytes, same Message-ID: receivers can de-duplicate
    assert first.message["Message-ID"] == row.message_id


def queue_mails(session, count: int) -> list[str]:
    """`count` due mails, oldest first; returns their Message-IDs."""
    ids = []
    for n in range(count):
        message_id = f"<soak-{n}@planner.test>"
        raw = (
            f"From: planner@planner.test\r\nTo: c{n}@mail.example\r\nSubject: Mail {n}\r\n"
            f"Message-ID: {message_id}\r\n\r\nHello {n}\r\n"
        )
        session.add(
            OutboxMessage(
                kind=notifications.MAIL_KIND,
                payload={
                    "raw": raw,
                    "to": f"c{n}@mail.example",
                    "envelope_from": "planner@planner.test",
                    "template": "test",
                },
                message_id=message_id,
                dedupe_key=f"test-{n}",
                created_at=utcnow() - timedelta(seconds=count - n),
                next_attempt_at=utcnow() - timedelta(seconds=1),
            )  # fmt: skip
        )
        ids.append(message_id)
    session.commit()
    return ids


class WorkerKilled(BaseException):
    """The worker process dies (SIGKILL): nothing after this line of the worker runs."""


class Dies(SmtpTransport):
    """Hands the `nth` mail to the server, then the worker dies before anything else."""

    def __init__(self, port: int, nth: int) -> None:
        super().__init__(SmtpConfig(host="127.0.0.1", port=port))
        self.nth = nth
        self.count = 0

    def send(self, **kwargs) -> None:
        super().send(**kwargs)
        self.count += 1
        if self.count == self.nth:
            raise WorkerKilled


@pytest.mark.parametrize("migrated_url", ["sqlite", "postgresql"], indirect=True)
def test_a_kill_after_a_mail_was_accepted_resends_only_that_mail_and_identically(engine, smtp):
    handler, port = smtp
    with Session(engine, expire_on_commit=False) as session:
        first, second, third = queue_mails(session, 3)
    now = utcnow()
    with Session(engine) as worker, pytest.raises(WorkerKilled):
        outbox.deliver_due_mail(session=worker, transport=Dies(port, nth=2), now=now)
    assert [r.message["Message-ID"] for r in handler.received] == [first, second]
    with Session(engine) as session:
        # The 1st is done (marked the moment it was accepted); the 2nd says its attempt
        # began and may have been accepted; the 3rd was never tried.
        rows = {r.message_id: r for r in session.exec(select(OutboxMessage)).all()}
        assert rows[first].done_at is not None and "raw" not in rows[first].payload
        assert rows[second].done_at is None and outbox.SENDING in rows[second].payload
        assert rows[third].done_at is None and outbox.SENDING not in rows[third].payload
    lease = timedelta(seconds=outbox.get_settings().mail_lease_seconds)
    with Session(engine) as worker:
        report = outbox.deliver_due_mail(
            session=worker, transport=transport(port), now=now + lease + timedelta(seconds=1)
        )
    assert (report.sent, report.resent) == (2, 1)
    assert [r.message["Message-ID"] for r in handler.received] == [first, second, second, third]
    assert handler.received[1].raw == handler.received[2].raw  # receivers drop the copy


class TakenOverMidBatch(SmtpTransport):
    """While this worker sends its 2nd mail, its lease runs out (a stalled machine) and
    another worker claims and sends what is due."""

    def __init__(self, port: int, engine, at) -> None:  # type: ignore[no-untyped-def]
        super().__init__(SmtpConfig(host="127.0.0.1", port=port))
        self.port, self.engine, self.at, self.count = port, engine, at, 0
        self.other: outbox.DeliveryReport | None = None

    def send(self, **kwargs) -> None:
        self.count += 1
        if self.count == 2:
            with Session(self.engine) as other:
                self.other = outbox.deliver_due_mail(
                    session=other, transport=transport(self.port), now=self.at
                )
        super().send(**kwargs)


@pytest.mark.parametrize("migrated_url", ["sqlite", "postgresql"], indirect=True)
def test_a_worker_whose_lease_ran_out_never_sends_a_mail_another_worker_claimed(engine, smtp):
    handler, port = smtp
    with Session(engine, expire_on_commit=False) as session:
        ids = queue_mails(session, 4)
    now = utcnow()
    lease = timedelta(seconds=outbox.get_settings().mail_lease_seconds)
    slow = TakenOverMidBatch(port, engine, at=now + lease)
    with Session(engine) as worker:
        mine = outbox.deliver_due_mail(session=worker, transport=slow, now=now)
    # The other worker took the 3rd and 4th; the mail being sent (2nd) stayed with this one.
    assert slow.other is not None and slow.other.sent == 2
    assert mine.sent == 2
    received = [r.message["Message-ID"] for r in handler.received]
    assert sorted(received) == sorted(ids)  # each mail exactly once


def test_two_workers_never_claim_the_same_row(engine):
    with Session(engine, expire_on_commit=False) as first:
        assert queue_confirmation(first, staff_email=False) == 1
    with Session(engine) as a, Session(engine) as b:
        now = utcnow()
        claimed_a = outbox.claim_due_mail(session=a, now=now)
        claimed_b = outbox.claim_due_mail(session=b, now=now)
    assert len(claimed_a) == 1 and claimed_b == []


@pytest.mark.parametrize("migrated_url", ["postgresql"], indirect=True)
def test_postgres_claim_skips_rows_another_worker_holds(engine):
    with Session(engine, expire_on_commit=False) as session:
        queue_confirmation(session, staff_email=False)
        session.add(OutboxMessage(kind="mail", payload={}, dedupe_key="other"))
        session.commit()
        ids = sorted(session.exec(select(OutboxMessage.id)).all())
    with Session(engine) as holder, Session(engine) as worker:
        holder.exec(select(OutboxMessage).where(OutboxMessage.id == ids[0]).with_for_update()).one()
        # The row locked by the other transaction is skipped, not waited for.
        assert outbox.claim_due_mail(session=worker, now=utcnow()) == [ids[1]]
        holder.rollback()


def tls_files(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


def authenticator(_server, _session, _envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"planner"
        and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_and_tls_with_credentials(tmp_path, security):
    server_context, client_context = tls_files(tmp_path)
    handler = RecordingHandler()
    # smtplib's LOGIN sends an initial response aiosmtpd does not expect: offer PLAIN only.
    options = dict(
        authenticator=authenticator, auth_required=True, auth_exclude_mechanism=["LOGIN"]
    )
    if security == "starttls":
        options.update(tls_context=server_context, require_starttls=True)
    else:
        # aiosmtpd does not see implicit TLS as TLS for its auth_require_tls check.
        options.update(ssl_context=server_context, auth_require_tls=False)
    controller = start_server(handler, **options)
    try:
        good = transport(
            controller.port,
            ssl_context=client_context,
            config=dict(
                security=security, username="planner", password="s3cret", timeout_seconds=5
            ),
        )
        good.send(
            envelope_from="planner@planner.localhost",
            recipients=["a@x.example"],
            message=b"Subject: hi\r\n\r\nbody\r\n",
        )
        good.send(
            envelope_from="planner@planner.localhost",
            recipients=["b@x.example"],
            message=b"Subject: again\r\n\r\nbody\r\n",
        )  # the connection is reused
        good.close()
        bad = transport(
            controller.port,
            ssl_context=client_context,
            config=dict(security=security, username="planner", password="wrong", timeout_seconds=5),
        )
        with pytest.raises(MailDeliveryError) as refused:
            bad.send(
                envelope_from="planner@planner.localhost",
                recipients=["a@x.example"],
                message=b"Subject: hi\r\n\r\nbody\r\n",
            )
        bad.close()
        untrusted = transport(
            controller.port,
            config=dict(
                security=security, username="planner", password="s3cret", timeout_seconds=5
            ),
        )
        with pytest.raises(MailDeliveryError) as unverified:
            untrusted.send(
                envelope_from="planner@planner.localhost",
                recipients=["a@x.example"],
                message=b"Subject: hi\r\n\r\nbody\r\n",
            )
        untrusted.close()
    finally:
        controller.stop()
    assert [r.rcpt_tos for r in handler.received] == [["a@x.example"], ["b@x.example"]]
    assert refused.value.retryable and "authentication" in refused.value.message
    assert unverified.value.retryable and "CERTIFICATE_VERIFY_FAILED" in unverified.value.message


async def test_worker_task_delivers_to_the_configured_server(
    migrated_templates, tmp_path, monkeypatch, smtp
):
    from planner.jobs.mail import deliver_outbox_mail
    from planner.jobs.worker import WorkerSettings

    handler, port = smtp
    target = tmp_path / "worker.db"
    shutil.copyfile(migrated_templates["sqlite"], target)
    monkeypatch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{target}")
    monkeypatch.setenv("PLANNER_SMTP_PORT", str(port))
    db.get_engine.cache_clear()
    try:
        with Session(db.get_engine(), expire_on_commit=False) as session:
            assert queue_confirmation(session, staff_email=False) == 1
        result = await deliver_outbox_mail({})
        assert {k: result[k] for k in ("sent", "retrying", "given_up", "resent")} == {
            "sent": 1, "retrying": 0, "given_up": 0, "resent": 0
        }  # fmt: skip
        assert result["window_ms"] > 0
    finally:
        db.get_engine().dispose()
        db.get_engine.cache_clear()
    assert len(handler.received) == 1
    assert deliver_outbox_mail in WorkerSettings.functions
    assert any(job.coroutine is deliver_outbox_mail for job in WorkerSettings.cron_jobs)


@sqlite_only
def test_local_run_server_keeps_mail_for_the_sent_mail_page(session, tmp_path, monkeypatch):
    maildir = tmp_path / "mail"
    port = free_port()
    controller = start_dev_smtp("127.0.0.1", port, maildir)
    try:
        queue_confirmation(session, staff_email=False)
        outbox.deliver_due_mail(session=session, transport=transport(port), now=utcnow())
    finally:
        controller.stop()
    (listed,) = list_received(maildir)
    assert listed.to == "Freja Nielsen <freja@mail.example>"
    assert listed.subject.startswith("Confirmed: First interview")
    assert listed.calendar_method == "REQUEST"
    detail = read_received(listed.key, maildir)
    assert ("link", LINK) in linkify(detail.text)
    assert read_received("../../etc/passwd", maildir) is None
    assert read_received("nope", maildir) is None
    assert list_received(tmp_path / "missing") == []

    admin = factories.actor_for(
        *reversed(factories.account_with_admin(session, "Beta", email="admin@beta.example"))
    )
    monkeypatch.setenv("PLANNER_ENV", "development")
    from planner.settings import get_settings

    get_settings.cache_clear()
    assert _may_see(admin)
    assert not _may_see(None)
    monkeypatch.setenv("PLANNER_ENV", "test")
    get_settings.cache_clear()
    assert not _may_see(admin)
