"""Pure parts of the candidate's page and mails: link validity, midnight-crossing times,
encoded subjects, the reader's language from Accept-Language, the zone search."""

from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import pytest

from planner.api.booking_routes import preferred_locale
from planner.domain.booking import link_state, link_valid_until
from planner.domain.mail import Mailbox, MailContent, Paragraph, build_message
from planner.i18n.dates import find_time_zone, format_time_range, is_time_zone, time_zones

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_an_unbooked_link_works_until_the_last_offered_time_has_passed():
    expires = NOW + timedelta(days=14)
    last_end = datetime(2026, 12, 22, 23, 0, tzinfo=UTC)
    assert link_valid_until(expires, last_end) == last_end
    assert link_valid_until(expires, None) == expires
    assert link_valid_until(expires, NOW) == expires
    assert link_state(
        "invited", expires, expires + timedelta(days=1), last_offered_end=last_end
    ).usable
    late = link_state("invited", expires, last_end, last_offered_end=last_end)
    assert (late.usable, late.reason) == (False, "expired")
    # A booked candidate's link keeps working (to join, add to a calendar or cancel).
    assert link_state("booked", expires, last_end + timedelta(days=1)).usable


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "11:30\u202fPM – Dec 30 1:00\u202fAM"),
        ("da", "23.30 – 30. dec. 01.00"),
        ("sv", "23:30 – 30 dec. 01:00"),
        ("nb", "23:30 – 30. des. 01:00"),
        ("fi", "23.30 – 30.12. 1.00"),
    ],
)
def test_a_time_crossing_midnight_names_the_day_it_ends_on_briefly(locale, expected):
    start = datetime(2026, 12, 29, 22, 30, tzinfo=UTC)  # 23:30 in Copenhagen
    end = start + timedelta(minutes=90)
    text = format_time_range(start, end, locale=locale, time_zone="Europe/Copenhagen")
    assert text == expected
    assert "2026" not in text and ":00:00" not in text and ".00.00" not in text


@pytest.mark.parametrize("filler", range(0, 60, 3))
@pytest.mark.parametrize(
    "subject",
    [
        "Vahvistettu: {x} Haastattelu, 29. jouluk. 2026 klo 23.30 – pitkä",
        "Bekræftet: {x} Første samtale – økonomi og så videre, 29. dec. 2026 23.30",
        "Välj en tid för din intervju: {x} Första intervjun – ekonomiavdelningen i Malmö",
    ],
)
def test_encoded_subjects_keep_every_space_when_decoded_as_rfc_2047_says(subject, filler):
    text = subject.format(x="x" * filler)
    message = build_message(
        content=MailContent(subject=text, blocks=(Paragraph("Hej"),), footer="f", lang="fi"),
        sender=Mailbox("Planner", "planner@planner.example"),
        to=Mailbox("Aino", "aino@mail.example"),
        message_id="<1@planner.example>",
        date=NOW,
    )
    head = message.as_bytes().split(b"\r\n\r\n", 1)[0].decode("ascii")
    raw = head.split("Subject: ", 1)[1].split("\r\nDate:", 1)[0]
    assert all(len(line) <= 78 for line in raw.split("\r\n"))
    # email.header's decoder drops whitespace between adjacent encoded-words (RFC 2047 6.2).
    assert str(make_header(decode_header(raw))) == text
    assert str(message["Subject"]) == text


def test_ascii_subjects_stay_readable():
    message = build_message(
        content=MailContent(subject="Confirmed: Tech talk", blocks=(), footer="f", lang="en"),
        sender=Mailbox("Planner", "planner@planner.example"),
        to=Mailbox("Aino", "aino@mail.example"),
        message_id="<1@planner.example>",
        date=NOW,
    )
    assert b"\r\nSubject: Confirmed: Tech talk\r\n" in message.as_bytes()


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("da-DK,da;q=0.9,en;q=0.8", "da"),
        ("de-DE,de;q=0.9,sv;q=0.5,fi;q=0.7", "fi"),
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("fr-FR, *;q=0.5", "en"),
        ("", "en"),
        (None, "en"),
        ("sv;q=garbage, fi", "fi"),
        ("da;q=0", "en"),
    ],
)
def test_the_readers_language_comes_from_accept_language(header, locale):
    assert preferred_locale(header) == locale


def test_the_zone_search_finds_cities_in_the_readers_language():
    assert find_time_zone("new york", locale="en") == ["America/New_York"]
    assert find_time_zone("København", locale="da") == ["Europe/Copenhagen"]
    assert find_time_zone("europe/oslo", locale="fi") == ["Europe/Oslo"]
    assert "America/Chicago" in find_time_zone("america", locale="en")
    assert find_time_zone("   ", locale="en") == []
    assert is_time_zone("UTC") and not is_time_zone("US/Eastern") and not is_time_zone("Factory")
    assert len(time_zones()) > 300


def test_the_job_is_named_in_the_invitation_and_the_confirmation():
    from planner.domain import mail_content
    from planner.domain.mail import render_text

    reader = mail_content.Reader(name="Freja", locale="da", time_zone="Europe/Copenhagen")
    invitation = mail_content.interview_invitation(
        reader, title="Tech talk", account_name="Acme", organiser_name="Bo",
        duration_minutes=45, invitation_text="", slots=((NOW, NOW + timedelta(minutes=45)),),
        link="https://planner.example/book/abc", expires_at=NOW + timedelta(days=14),
        job_title="Backend Engineer",
    )  # fmt: skip
    assert "Stilling: Backend Engineer" in render_text(invitation)
    facts = mail_content.InterviewFacts(
        title="Tech talk", account_name="Acme", organiser_name="Bo", start=NOW,
        end=NOW + timedelta(minutes=45), meeting_url="https://meet.example/room",
        job="Backend Engineer",
    )  # fmt: skip
    confirmation = render_text(mail_content.booking_confirmation_for_candidate(reader, facts))
    assert "Stilling: Backend Engineer" in confirmation
    assert "https://meet.example/room" in confirmation


def test_the_invitation_says_where_or_that_the_meeting_link_follows():
    from planner.domain import mail_content
    from planner.domain.mail import render_text

    reader = mail_content.Reader(name="Aino", locale="fi", time_zone="Europe/Helsinki")

    def invitation(**where):
        return render_text(
            mail_content.interview_invitation(
                reader,
                title="Tech talk",
                account_name="Acme",
                organiser_name="Bo",
                duration_minutes=45,
                invitation_text="",
                slots=(),
                link="https://p.example/b/a",
                expires_at=NOW + timedelta(days=14),
                **where,
            )  # fmt: skip
        )

    online = invitation(online=True)
    assert "Paikka: Verkkokokous" in online and "Linkki verkkokokoukseen tulee" in online
    assert "Paikka: HQ, Main St 1" in invitation(place="HQ, Main St 1")
