"""Mail content: catalogues complete in five languages, dates in the reader's zone, escaping,
and the MIME shape of an iMIP mail."""

import ast
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path

import pytest

from planner.domain import mail_content
from planner.domain.ical import Method
from planner.domain.mail import (
    Action,
    Mailbox,
    MailContent,
    Paragraph,
    Quote,
    build_message,
    linkify,
    render_html,
    render_text,
)
from planner.domain.mail_content import CalendarDelivery, InterviewFacts, Reader
from planner.domain.vocabulary import LOCALES
from planner.i18n import format_when, language_name, translator
from planner.i18n.catalogues import placeholders, read_catalogue

# 03:30 UTC on 26 November: still the 25th in New York, already the 26th in Copenhagen.
START = datetime(2026, 11, 26, 3, 30, tzinfo=UTC)
FACTS = InterviewFacts(
    title="First interview",
    account_name="Acme",
    organiser_name="Astrid Holm",
    start=START,
    end=START + timedelta(minutes=45),
    place="HQ, Street 1",
)
# Every module of the package may take texts from the catalogues: calls of a translator named
# `tr` (mails, pages formatting texts with values) or of `tx` (fixed texts of staff pages).
PACKAGE = Path(mail_content.__file__).parent.parent
SOURCES = tuple(sorted(PACKAGE.rglob("*.py")))
TRANSLATING_CALLS = {"tr", "tx", "tab_title"}


def _nodes() -> list[ast.AST]:
    return [node for source in SOURCES for node in ast.walk(ast.parse(source.read_text()))]


def _calls() -> list[tuple[str, list[ast.expr]]]:
    return [
        (func.id if isinstance(func, ast.Name) else getattr(func, "attr", None), node.args)
        for node in _nodes()
        if isinstance(node, ast.Call)
        for func in [node.func]
    ]


def _subclasses(root: str, classes: list[ast.ClassDef]) -> set[str]:
    """`root` and the names of the classes of the package that derive from it."""
    found = {root}
    while True:
        more = {c.name for c in classes if any(getattr(b, "id", None) in found for b in c.bases)}
        if more <= found:
            return found
        found |= more


def error_message_ids() -> set[str]:
    """Literal messages of service errors (planner.services.errors): the first argument of
    a PlannerError subclass (NotFound("Job not found.")), the second, the reason, of an
    InvalidInput (InvalidInput("title", "must be ...")), and the same of a subclass's
    `super().__init__(...)`. message_in translates them."""
    classes = [node for node in _nodes() if isinstance(node, ast.ClassDef)]
    errors = _subclasses("PlannerError", classes)
    invalid = _subclasses("InvalidInput", classes)
    found = set()

    def take(args: list[ast.expr], position: int) -> None:
        if len(args) > position and isinstance(args[position], ast.Constant):
            found.add(args[position].value)

    for name, args in _calls():
        if name in errors:
            take(args, 1 if name in invalid else 0)
    for cls in classes:
        if cls.name not in errors:
            continue
        for node in ast.walk(cls):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "__init__"
                and isinstance(getattr(node.func, "value", None), ast.Call)
                and getattr(node.func.value.func, "id", None) == "super"
            ):
                take(node.args, 1 if cls.name in invalid - {"InvalidInput"} else 0)
    return found


def message_ids_in_code() -> set[str]:
    """Ids of `tr`, `tx` and `tab_title` calls, the singular ids of `tr.plural` calls and
    the literal messages of service errors."""
    found = set()
    for name, args in _calls():
        if name in TRANSLATING_CALLS and args and isinstance(args[0], ast.Constant):
            found.add(args[0].value)
    return found | set(plural_ids_in_code()) | error_message_ids()


def plural_ids_in_code() -> dict[str, str]:
    """Singular id -> plural id of every `tr.plural("one", "many", count)` call."""
    return {
        args[0].value: args[1].value
        for name, args in _calls()
        if name == "plural" and len(args) >= 2
        if isinstance(args[0], ast.Constant) and isinstance(args[1], ast.Constant)
    }


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [value for name, value in attrs if name == "href"]

    def handle_data(self, data):
        self.text.append(data)


def parse_html(markup: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(markup)
    return collector


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_in_the_code_is_in_each_catalogue(locale):
    used = message_ids_in_code()
    assert len(used) > 40
    entries = [m for m in read_catalogue(locale) if m.id]
    catalogue = {(m.id[0] if m.pluralizable else m.id): m for m in entries}
    assert set(catalogue) == used, "run the extraction again: catalogue and code differ"
    plurals = plural_ids_in_code()
    assert {k: m.id[1] for k, m in catalogue.items() if m.pluralizable} == plurals
    if locale == "en":
        return
    for message_id, entry in catalogue.items():
        forms = entry.string if entry.pluralizable else (entry.string,)
        assert all(forms), f"{locale}: {message_id!r} is not translated"
        assert not entry.fuzzy, f"{locale}: {message_id!r} is fuzzy"
        for form in forms:
            assert placeholders(str(form)) == placeholders(message_id), message_id


@pytest.mark.parametrize(
    ("locale", "one", "two"),
    [
        ("en", "1 candidate selected", "2 candidates selected"),
        ("da", "1 kandidat valgt", "2 kandidater valgt"),
        ("sv", "1 kandidat vald", "2 kandidater valda"),
        ("nb", "1 kandidat valgt", "2 kandidater valgt"),
        ("fi", "1 hakija valittu", "2 hakijaa valittu"),
    ],
)
def test_counted_texts_take_the_form_of_their_count(locale, one, two):
    tr = translator(locale)
    forms = ("{count} candidate selected", "{count} candidates selected")
    assert tr.plural(*forms, 1) == one
    assert tr.plural(*forms, 2) == two
    assert tr.plural(*forms, 0) == two.replace("2", "0")


def test_translator_fills_values_once_and_never_reads_them_as_templates():
    tr = translator("da")
    assert tr("Hello {name},", name="{name} {account}") == "Hej {name} {account}"
    assert translator("xx").locale == "en"
    assert language_name("da") == "Danish" and language_name("fi", in_locale="fi") == "Suomi"


@pytest.mark.parametrize(
    ("locale", "confirmed"),
    [
        ("en", "Confirmed"),
        ("da", "Bekræftet"),
        ("sv", "Bekräftad"),
        ("nb", "Bekreftet"),
        ("fi", "Vahvistettu"),
    ],
)
@pytest.mark.parametrize(
    ("zone", "local_day"), [("America/New_York", 25), ("Europe/Copenhagen", 26)]
)
def test_candidate_confirmation_in_their_language_and_zone(locale, confirmed, zone, local_day):
    reader = Reader(name="Freja", locale=locale, time_zone=zone)
    content = mail_content.booking_confirmation_for_candidate(reader, FACTS)
    assert content.subject.startswith(confirmed)
    assert content.lang == locale
    text = render_text(content)
    assert format_when(FACTS.start, FACTS.end, locale=locale, time_zone=zone) in text
    subject_without_year = content.subject.replace("2026", "")
    assert f"{local_day}" in subject_without_year
    assert f"{51 - local_day}" not in subject_without_year  # not the other zone's day


def test_new_york_reads_eastern_time_and_copenhagen_central_european():
    new_york = Reader(name="A", locale="en", time_zone="America/New_York")
    copenhagen = Reader(name="B", locale="en", time_zone="Europe/Copenhagen")
    ny_text = render_text(mail_content.booking_confirmation_for_candidate(new_york, FACTS))
    cph_text = render_text(mail_content.booking_confirmation_for_candidate(copenhagen, FACTS))
    assert "Wednesday, November 25, 2026" in ny_text and "Eastern Standard Time" in ny_text
    assert "10:30" in ny_text
    assert "Thursday, November 26, 2026" in cph_text and "Central European" in cph_text
    assert "4:30" in cph_text


def test_staff_mail_says_how_the_calendar_gets_the_interview():
    reader = Reader(name="Astrid", locale="en", time_zone="Europe/Copenhagen")
    attached = render_text(
        mail_content.booking_confirmation_for_staff(
            reader, FACTS, candidate_name="Freja", delivery=CalendarDelivery.ATTACHED
        )
    )
    provider = render_text(
        mail_content.cancellation_for_staff(
            reader, FACTS, candidate_name="Freja", comment="", delivery=CalendarDelivery.PROVIDER
        )
    )
    assert "invitation is attached" in attached
    assert "removes the interview from your connected calendar" in provider


@pytest.mark.parametrize(
    ("locale", "follows", "subject"),
    [
        ("en", "follows in a separate e-mail", "Meeting link:"),
        ("da", "følger i en separat e-mail", "Link til mødet:"),
        ("sv", "kommer i ett separat e-postmeddelande", "Länk till mötet:"),
        ("nb", "kommer i en egen e-post", "Lenke til møtet:"),
        ("fi", "tulee erillisessä sähköpostissa", "Kokouslinkki:"),
    ],
)
def test_a_meeting_link_that_follows_is_said_to_and_then_comes_in_its_own_mail(
    locale, follows, subject
):
    reader = Reader(name="Freja", locale=locale, time_zone="Europe/Copenhagen")
    pending = replace(FACTS, meeting_url="", meeting_follows=True)
    for content in (
        mail_content.booking_confirmation_for_candidate(reader, pending),
        mail_content.interview_changed_for_candidate(reader, pending),
        mail_content.booking_confirmation_for_staff(
            reader, pending, candidate_name="Freja", delivery=CalendarDelivery.ATTACHED
        ),
    ):
        assert follows in render_text(content)
    assert follows in mail_content.event_description(reader, pending)
    # Without a meeting to wait for, nothing is said to follow.
    assert follows not in render_text(
        mail_content.booking_confirmation_for_candidate(reader, FACTS)
    )
    ready = replace(FACTS, meeting_url="https://meet.google.com/abc-defg-hij")
    for content in (
        mail_content.meeting_link_for_candidate(reader, ready),
        mail_content.meeting_link_for_staff(reader, ready, candidate_name="Freja"),
    ):
        assert content.subject.startswith(subject) and content.lang == locale
        text = render_text(content)
        assert "https://meet.google.com/abc-defg-hij" in text and follows not in text


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def test_html_shows_hostile_text_as_text():
    content = MailContent(
        subject=HOSTILE,
        blocks=(
            Paragraph(HOSTILE + "\nsecond line"),
            Quote("</blockquote>" + HOSTILE),
            Action(label=HOSTILE, url="https://planner.example/book/abc?x=1&y=2"),
            Action(label="bad", url="javascript:alert(1)"),
        ),
        footer=HOSTILE,
        lang="en",
    )
    markup = render_html(content)
    parsed = parse_html(markup)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert parsed.tags.count("blockquote") == 1
    assert HOSTILE in "".join(parsed.text)
    assert parsed.hrefs == ["https://planner.example/book/abc?x=1&y=2"]
    assert '<meta name="viewport"' in markup and "max-width:600px" in markup


def test_mime_shape_of_an_imip_mail():
    content = mail_content.booking_confirmation_for_candidate(
        Reader(name="Freja", locale="da", time_zone="Europe/Copenhagen"), FACTS
    )
    calendar = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    message = build_message(
        content=content,
        sender=Mailbox("Planner", "planner@planner.localhost"),
        to=Mailbox("Freja Nielsen", "freja@mail.example"),
        reply_to=Mailbox("Astrid Holm", "astrid@demo.example"),
        message_id="<abc@planner.localhost>",
        date=START,
        calendar=calendar,
        method=Method.REQUEST,
    )
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Content-Language"] == "da"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html", "text/calendar"]
    calendar_part = parts[-1]
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_param("charset") == "UTF-8"
    assert "Content-Disposition" not in calendar_part and "Content-ID" not in calendar_part
    assert calendar_part.get_content().replace("\r\n", "\n") == calendar.decode().replace(
        "\r\n", "\n"
    )
    assert parts[0].get_content().startswith("Hej Freja")


def test_header_injection_through_names_and_subject_changes_no_header():
    def headers(name: str, subject: str) -> list[str]:
        message = build_message(
            content=MailContent(subject=subject, blocks=(), footer="f", lang="en"),
            sender=Mailbox("Planner", "planner@planner.localhost"),
            to=Mailbox(name, "freja@mail.example"),
            message_id="<abc@planner.localhost>",
            date=START,
        )
        parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
        return list(parsed.keys())

    evil = "Eve\r\nBcc: victim@evil.example\r\nX-Injected: yes\n\nbody"
    assert headers(evil, evil) == headers("Eve", "Hello")
    with pytest.raises(ValueError):
        build_message(
            content=MailContent(subject="s", blocks=(), footer="f", lang="en"),
            sender=Mailbox("Planner", "planner@planner.localhost"),
            to=Mailbox("Eve", "eve@x.example\r\nBcc: victim@evil.example"),
            message_id="<abc@planner.localhost>",
            date=START,
        )


def test_linkify_splits_links_from_text_without_trailing_punctuation():
    text = "Choose a time:\nhttp://localhost:3000/book/Ab-_9.\n(see https://x.example/a?b=1)"
    assert linkify(text) == [
        ("text", "Choose a time:\n"),
        ("link", "http://localhost:3000/book/Ab-_9"),
        ("text", ".\n(see "),
        ("link", "https://x.example/a?b=1"),
        ("text", ")"),
    ]
    assert linkify("javascript:alert(1)") == [("text", "javascript:alert(1)")]


def test_staff_texts_follow_the_readers_language_and_refuse_placeholders():
    from planner.components.i18n import tx
    from planner.i18n.staff import staff_texts

    assert staff_texts("da")["Sign out"] == "Log ud"
    assert staff_texts("fi")["Calendar"] == "Kalenteri"
    assert staff_texts("en") == {} and staff_texts("xx") == {}
    assert not any("{" in message for message in staff_texts("sv"))
    with pytest.raises(ValueError):
        tx("{count} selected")


@pytest.mark.parametrize("locale", LOCALES)
def test_no_message_is_in_a_catalogue_twice(locale):
    """Babel silently keeps one of two entries with the same id; a merge must not leave any."""
    from collections import Counter

    from planner.i18n.catalogues import catalogue_path

    ids = re.findall(
        r'^msgid ((?:"(?:[^"\\]|\\.)*"\n)+)', catalogue_path(locale).read_text(), flags=re.M
    )
    joined = ["".join(re.findall(r'"((?:[^"\\]|\\.)*)"', found)) for found in ids]
    twice = [message for message, count in Counter(joined).items() if count > 1 and message]
    assert twice == []
    # Every entry whole: one msgstr per msgid (a line-based merge can drop or pair them wrongly).
    text = catalogue_path(locale).read_text()
    assert len(re.findall(r"^msgstr(\[0\])? ", text, flags=re.M)) == len(ids)
    assert len(read_catalogue(locale)) == len(ids) - 1  # the header is msgid ""
