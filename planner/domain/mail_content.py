"""What each notification says, in the recipient's language and time zone (pure)."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from planner.domain.mail import Action, Block, Bullets, Details, MailContent, Paragraph, Quote
from planner.i18n import Translator, format_day, format_short, format_when, translator, zone_name

MAX_LISTED_SLOTS = 12


class CalendarDelivery(StrEnum):
    """How a staff recipient's calendar gets the interview, which the mail mentions."""

    ATTACHED = "attached"  # iMIP in this mail
    PROVIDER = "provider"  # Planner writes it into their synced calendar
    NONE = "none"


@dataclass(frozen=True)
class Reader:
    """Who reads a mail: their name, language and time zone."""

    name: str
    locale: str
    time_zone: str

    @property
    def tr(self) -> Translator:
        return translator(self.locale)


@dataclass(frozen=True)
class InterviewFacts:
    """An interview as mails describe it; times are UTC instants."""

    title: str
    account_name: str
    organiser_name: str
    start: datetime
    end: datetime
    place: str = ""
    meeting_url: str = ""
    job: str = ""
    # An online meeting whose link the organiser's provider is still making: it follows
    # in its own mail (meeting_link_for_candidate / _for_staff).
    meeting_follows: bool = False


def _footer(reader: Reader, account_name: str) -> str:
    return reader.tr("Sent by Planner for {account}.", account=account_name)


def _when(reader: Reader, facts: InterviewFacts) -> str:
    return format_when(facts.start, facts.end, locale=reader.locale, time_zone=reader.time_zone)


def _short(reader: Reader, facts: InterviewFacts) -> str:
    return format_short(facts.start, locale=reader.locale, time_zone=reader.time_zone)


def _details(reader: Reader, facts: InterviewFacts, *, candidate: str = "") -> Details:
    tr = reader.tr
    rows = [(tr("Interview"), facts.title)]
    if facts.job:
        rows.append((tr("Position"), facts.job))
    rows.append((tr("When"), _when(reader, facts)))
    if facts.place:
        rows.append((tr("Where"), facts.place))
    if facts.meeting_url:
        rows.append((tr("Online meeting"), facts.meeting_url))
    elif facts.meeting_follows:
        rows.append(
            (
                tr("Online meeting"),
                tr("The link to the online meeting follows in a separate e-mail."),
            )
        )
    if candidate:
        rows.append((tr("Candidate"), candidate))
    else:
        rows.append((tr("With"), facts.organiser_name))
    return Details(rows=tuple(rows))


def _meeting(reader: Reader, facts: InterviewFacts) -> tuple[Block, ...]:
    if not facts.meeting_url:
        return ()
    return (Action(label=reader.tr("Join the online meeting"), url=facts.meeting_url),)


def _calendar_note(reader: Reader, delivery: CalendarDelivery, *, cancelled: bool) -> tuple:
    tr = reader.tr
    if delivery is CalendarDelivery.ATTACHED:
        text = (
            tr("The attached cancellation removes the interview from your calendar.")
            if cancelled
            else tr("The calendar invitation is attached: accept it to add the interview.")
        )
    elif delivery is CalendarDelivery.PROVIDER:
        text = (
            tr("Planner removes the interview from your connected calendar.")
            if cancelled
            else tr("Planner adds the interview to your connected calendar.")
        )
    else:
        return ()
    return (Paragraph(text),)


def event_description(reader: Reader, facts: InterviewFacts, *, manage_url: str = "") -> str:
    """The DESCRIPTION of the calendar event, in the reader's language."""
    tr = reader.tr
    lines = [tr("Interview with {account}", account=facts.account_name)]
    lines.append(tr("Organiser: {name}", name=facts.organiser_name))
    if facts.place:
        lines.append(tr("Where: {place}", place=facts.place))
    if facts.meeting_url:
        lines.append(tr("Online meeting: {url}", url=facts.meeting_url))
    elif facts.meeting_follows:
        lines.append(tr("The link to the online meeting follows in a separate e-mail."))
    if manage_url:
        lines.append(tr("Change or cancel: {url}", url=manage_url))
    return "\n".join(lines)


def sync_reconnect(reader: Reader, *, account_name: str, link: str) -> MailContent:
    """Staff: Planner can no longer read your calendar; connect it again."""
    tr = reader.tr
    return MailContent(
        subject=tr("Please reconnect your calendar to Planner"),
        blocks=(
            Paragraph(tr("Hello {name},", name=reader.name)),
            Paragraph(
                tr(
                    "Planner can no longer read your calendar for {account}, so interviews "
                    "may be offered when you are busy. Please connect your calendar again; it "
                    "takes a minute.",
                    account=account_name,
                )
            ),
            Action(label=tr("Connect my calendar"), url=link),
            Paragraph(tr("The link is personal; please do not forward it.")),
        ),
        footer=_footer(reader, account_name),
        lang=reader.locale,
    )


def sync_invitation(reader: Reader, *, account_name: str, link: str) -> MailContent:
    """Staff: connect your calendar."""
    tr = reader.tr
    return MailContent(
        subject=tr("Connect your calendar to Planner"),
        blocks=(
            Paragraph(tr("Hello {name},", name=reader.name)),
            Paragraph(
                tr(
                    "{account} schedules interviews with Planner. Connect your calendar so "
                    "that interviews are booked when you are free and added to your calendar "
                    "automatically.",
                    account=account_name,
                )
            ),
            Action(label=tr("Connect my calendar"), url=link),
            Paragraph(
                tr(
                    "Planner reads only when you are busy, never what your appointments are "
                    "about. You can disconnect at any time."
                )
            ),
            Paragraph(tr("The link is personal; please do not forward it.")),
        ),
        footer=_footer(reader, account_name),
        lang=reader.locale,
    )


def _offered_times(
    reader: Reader, slots: tuple[tuple[datetime, datetime], ...], expires_at: datetime
) -> list[Block]:
    """The times a candidate may choose (UTC start, end; the first MAX_LISTED_SLOTS, in the
    reader's zone), what to do when none suits, and until when their link works."""
    tr = reader.tr
    blocks: list[Block] = []
    if slots:
        shown = slots[:MAX_LISTED_SLOTS]
        zone = zone_name(shown[0][0], locale=reader.locale, time_zone=reader.time_zone)
        blocks.append(Paragraph(tr("Times offered (in your time zone, {zone}):", zone=zone)))
        blocks.append(
            Bullets(
                tuple(
                    format_when(s, e, locale=reader.locale, time_zone=reader.time_zone).rsplit(
                        " (", 1
                    )[0]
                    for s, e in shown
                )
            )
        )
    blocks.append(
        Paragraph(tr("If none of the times suits you, you can leave a comment on the same page."))
    )
    blocks.append(
        Paragraph(
            tr(
                "The link is personal and works until {date}.",
                date=format_day(expires_at, locale=reader.locale, time_zone=reader.time_zone),
            )
        )
    )
    return blocks


def interview_invitation(
    reader: Reader,
    *,
    title: str,
    account_name: str,
    organiser_name: str,
    duration_minutes: int,
    invitation_text: str,
    slots: tuple[tuple[datetime, datetime], ...],
    link: str,
    expires_at: datetime,
    job_title: str = "",
    place: str = "",
    online: bool = False,
    subject: str = "",
) -> MailContent:
    """Candidate: choose a time through your personal link (`expires_at`, UTC: when the
    link stops working). The job is named when the interview is for one, and where it
    happens: the address, or an online meeting whose link comes with the confirmation.
    `subject` is the recruiter's own subject line (used as written in every language);
    empty: the standard one."""
    tr = reader.tr
    blocks: list[Block] = [
        Paragraph(tr("Hello {name},", name=reader.name)),
        Paragraph(
            tr(
                "{organiser} from {account} invites you to an interview: {title}.",
                organiser=organiser_name,
                account=account_name,
                title=title,
            )
        ),
    ]
    facts = [(tr("Position"), job_title)] if job_title else []
    if place:
        facts.append((tr("Where"), place))
    elif online:
        facts.append((tr("Where"), tr("Online meeting")))
    if facts:
        blocks.append(Details(rows=tuple(facts)))
    if online and not place:
        blocks.append(
            Paragraph(tr("The link to the online meeting comes with your booking confirmation."))
        )
    if invitation_text.strip():
        blocks.append(Quote(invitation_text))
    blocks.append(
        Paragraph(
            tr(
                "The interview takes {minutes} minutes. Choose the time that suits you best:",
                minutes=duration_minutes,
            )
        )
    )
    blocks.append(Action(label=tr("Choose a time"), url=link))
    blocks.extend(_offered_times(reader, slots, expires_at))
    return MailContent(
        subject=subject.strip() or tr("Choose a time for your interview: {title}", title=title),
        blocks=tuple(blocks),
        footer=_footer(reader, account_name),
        lang=reader.locale,
    )


def booking_confirmation_for_candidate(
    reader: Reader,
    facts: InterviewFacts,
    *,
    manage_url: str = "",
    google_url: str = "",
    outlook_url: str = "",
) -> MailContent:
    """Candidate: your interview is booked (with the iMIP invitation attached)."""
    tr = reader.tr
    blocks: list[Block] = [
        Paragraph(tr("Hello {name},", name=reader.name)),
        Paragraph(tr("Your interview is booked. We look forward to meeting you.")),
        _details(reader, facts),
        *_meeting(reader, facts),
        Paragraph(tr("The calendar invitation is attached: accept it to add the interview.")),
    ]
    if google_url:
        blocks.append(Action(label=tr("Add to Google Calendar"), url=google_url))
    if outlook_url:
        blocks.append(Action(label=tr("Add to Outlook"), url=outlook_url))
    if manage_url:
        blocks.append(Action(label=tr("Change or cancel the booking"), url=manage_url))
    return MailContent(
        subject=tr("Confirmed: {title}, {when}", title=facts.title, when=_short(reader, facts)),
        blocks=tuple(blocks),
        footer=_footer(reader, facts.account_name),
        lang=reader.locale,
    )


def booking_confirmation_for_staff(
    reader: Reader, facts: InterviewFacts, *, candidate_name: str, delivery: CalendarDelivery
) -> MailContent:
    """Staff: a candidate booked a time."""
    tr = reader.tr
    return MailContent(
        subject=tr(
            "Booked: {candidate}, {title}, {when}",
            candidate=candidate_name,
            title=facts.title,
            when=_short(reader, facts),
        ),
        blocks=(
            Paragraph(tr("Hello {name},", name=reader.name)),
            Paragraph(
                tr(
                    "{candidate} booked a time for the interview {title}.",
                    candidate=candidate_name,
                    title=facts.title,
                )
            ),
            _details(reader, facts, candidate=candidate_name),
            *_meeting(reader, facts),
            *_calendar_note(reader, delivery, cancelled=False),
        ),
        footer=_footer(reader, facts.account_name),
        lang=reader.locale,
    )


def no_fit_comment_for_staff(
    reader: Reader, *, title: str, account_name: str, candidate_name: str, comment: str
) -> MailContent:
    """Staff: none of the offered times fits the candidate, who left a comment."""
    tr = reader.tr
    return MailContent(
        subject=tr("No time fits {candidate}: {title}", candidate=candidate_name, title=title),
        blocks=(
            Paragraph(tr("Hello {name},", name=reader.name)),
            Paragraph(
                tr(
                    "None of the offered times fits {candidate} for the interview {title}. "
                    "The candidate wrote:",
                    candidate=candidate_name,
                    title=title,
                )
            ),
            Quote(comment),
            Paragraph(tr("You can offer other times in Planner.")),
        ),
        footer=_footer(reader, account_name),
        lang=reader.locale,
    )


def cancellation_for_candidate(
    reader: Reader, facts: InterviewFacts, *, comment: str = "", rebook_url: str = ""
) -> MailContent:
    """Candidate: your cancellation is received (with the iMIP CANCEL attached)."""
    tr = reader.tr
    blocks: list[Block] = [
        Paragraph(tr("Hello {name},", name=reader.name)),
        Paragraph(tr("Your interview is cancelled.")),
        _details(reader, facts),
    ]
    if comment.strip():
        blocks += [Paragraph(tr("Your comment:")), Quote(comment)]
    blocks.append(
        Paragraph(tr("The attached cancellation removes the interview from your calendar."))
    )
    if rebook_url:
        blocks.append(Action(label=tr("Choose another time"), url=rebook_url))
    return MailContent(
        subject=tr("Cancelled: {title}, {when}", title=facts.title, when=_short(reader, facts)),
        blocks=tuple(blocks),
        footer=_footer(reader, facts.account_name),
        lang=reader.locale,
    )


def cancellation_for_staff(
    reader: Reader,
    facts: InterviewFacts,
    *,
    candidate_name: str,
    comment: str,
    delivery: CalendarDelivery,
) -> MailContent:
    """Staff: the candidate cancelled, and why."""
    tr = reader.tr
    blocks: list[Block] = [
        Paragraph(tr("Hello {name},", name=reader.name)),
        Paragraph(
            tr(
                "{candidate} cancelled the interview {title}.",
                candidate=candidate_name,
                title=facts.title,
            )
        ),
        _details(reader, facts, candidate=candidate_name),
    ]
    if comment.strip():
        blocks += [Paragraph(tr("The candidate wrote:")), Quote(comment)]
    blocks += [
        Paragraph(tr("The time is free again.")),
        *_calendar_note(reader, delivery, cancelled=True),
    ]
    return MailContent(
        subject=tr(
            "Cancelled by {candidate}: {title}, {when}",
            candidate=candidate_name,
            title=facts.title,
            when=_short(reader, facts),
        ),
        blocks=tuple(blocks),
        footer=_footer(reader, facts.account_name),
        lang=reader.locale,
    )


def slot_removed_for_candidate(
    reader: Reader,
    facts: InterviewFacts,
    *,
    rebook_url: str = "",
    final: bool = False,
    interview_cancelled: bool = False,
) -> MailContent:
    """Candidate: the time you booked was withdrawn (with the iMIP CANCEL attached).
    `final`: no other time will follow (the candidate's data is being erased, or the
    interview is cancelled); `interview_cancelled`: staff cancelled the whole interview, and
    the subject and first lines say so."""
    tr = reader.tr
    lead = (
        tr(
            "Unfortunately, {title} has been cancelled, so the time you booked no longer "
            "stands. We apologise for the inconvenience.",
            title=facts.title,
        )
        if interview_cancelled
        else tr(
            "Unfortunately, the time you booked for {title} is no longer available. "
            "We apologise for the inconvenience.",
            title=facts.title,
        )
    )
    blocks: list[Block] = [
        Paragraph(tr("Hello {name},", name=reader.name)),
        Paragraph(lead),
        _details(reader, facts),
        Paragraph(tr("The attached cancellation removes the interview from your calendar.")),
    ]
    if final:
        blocks.append(
            Paragraph(tr("This interview is cancelled for good: no new time will follow."))
        )
    elif rebook_url:
        blocks.append(Action(label=tr("Choose another time"), url=rebook_url))
    else:
        blocks.append(Paragraph(tr("We will contact you about a new time.")))
    when = _short(reader, facts)
    return MailContent(
        subject=tr("Interview cancelled: {title}, {when}", title=facts.title, when=when)
        if interview_cancelled
        else tr("Time withdrawn: {title}, {when}", title=facts.title, when=when),
        blocks=tuple(blocks),
        footer=_footer(reader, facts.account_name),
        lang=reader.locale,
    )


def slot_removed_for_staff(
    reader: Reader,
    facts: InterviewFacts,
    *,
    candidate_name: str,
    delivery: CalendarDelivery,
    interview_cancelled: bool = False,
) -> MailContent:
    """Staff: a booked time was removed and the candidate told; `interview_cancelled`: the
    whole interview was cancelled, and the subject and text say so."""
    tr = reader.tr
    when = _short(reader, facts)
    return MailContent(
        subject=tr("Interview cancelled: {title}, {when}", title=facts.title, when=when)
        if interview_cancelled
        else tr("Time removed: {title}, {when}", title=facts.title, when=when),
        blocks=(
            Paragraph(tr("Hello {name},", name=reader.name)),
            Paragraph(
                tr(
                    "{title} was cancelled, and with it the time booked by {candidate}. The "
                    "candidate has been told.",
                    candidate=candidate_name,
                    title=facts.title,
                )
                if interview_cancelled
                else tr(
                    "The time booked by {candidate} for {title} was removed. The candidate "
                    "has been told.",
                    candidate=candidate_name,
                    title=facts.title,
                )
            ),
            _details(reader, facts, candidate=candidate_name),
            *_calendar_note(reader, delivery, cancelled=True),
        ),
        footer=_footer(reader, facts.account_name),
        lang=reader.locale,
    )


def interview_cancelled_for_candidate(
    reader: Reader, *, title: str, account_name: str, organiser_name: str
) -> MailContent:
    """Candidate who had not booked a time: the interview is cancelled, nothing to choose."""
    tr = reader.tr
    return MailContent(
        subject=tr("Cancelled: {title}", title=title),
        blocks=(
            Paragraph(tr("Hello {name},", name=reader.name)),
            Paragraph(
                tr(
                    "{organiser} from {account} has cancelled the interview {title}. You do "
                    "not need to choose a time, and your link no longer offers any.",
                    organiser=organiser_name,
                    account=account_name,
                    title=title,
                )
            ),
        ),
        footer=_footer(reader, account_name),
        lang=reader.locale,
    )


def new_times_for_candidate(
    reader: Reader,
    *,
    title: str,
    account_name: str,
    organiser_name: str,
    duration_minutes: int,
    slots: tuple[tuple[datetime, datetime], ...],
    link: str,
    expires_at: datetime,
) -> MailContent:
    """Candidate who said no time fits: new times are offered, through this fresh link
    (`expires_at`, UTC: when it stops working); the earlier link no longer works."""
    tr = reader.tr
    blocks: list[Block] = [
        Paragraph(tr("Hello {name},", name=reader.name)),
        Paragraph(
            tr(
                "{organiser} from {account} has offered new times for the interview {title}.",
                organiser=organiser_name,
                account=account_name,
                title=title,
            )
        ),
        Paragraph(
            tr(
                "The interview takes {minutes} minutes. Choose the time that suits you best:",
                minutes=duration_minutes,
            )
        ),
        Action(label=tr("Choose a time"), url=link),
    ]
    blocks.extend(_offered_times(reader, slots, expires_at))
    blocks.append(Paragraph(tr("The link in earlier mails no longer works: use this one.")))
    return MailContent(
        subject=tr("New times for your interview: {title}", title=title),
        blocks=tuple(blocks),
        footer=_footer(reader, account_name),
        lang=reader.locale,
    )


def interview_changed_for_candidate(reader: Reader, facts: InterviewFacts) -> MailContent:
    """Candidate with a booking: the interview's title, place or meeting changed (with the
    iMIP REQUEST of a higher SEQUENCE attached); `facts` are the new ones."""
    tr = reader.tr
    return MailContent(
        subject=tr("Changed: {title}, {when}", title=facts.title, when=_short(reader, facts)),
        blocks=(
            Paragraph(tr("Hello {name},", name=reader.name)),
            Paragraph(tr("Your interview was changed. These are its details now:")),
            _details(reader, facts),
            *_meeting(reader, facts),
            Paragraph(tr("The attached update replaces the interview in your calendar.")),
        ),
        footer=_footer(reader, facts.account_name),
        lang=reader.locale,
    )


def interview_changed_for_staff(
    reader: Reader, facts: InterviewFacts, *, candidate_name: str
) -> MailContent:
    """Staff whose calendar is not synced: a booked interview changed (iMIP REQUEST of a
    higher SEQUENCE attached; synced calendars are updated by Planner, without a mail)."""
    tr = reader.tr
    return MailContent(
        subject=tr("Changed: {title}, {when}", title=facts.title, when=_short(reader, facts)),
        blocks=(
            Paragraph(tr("Hello {name},", name=reader.name)),
            Paragraph(
                tr(
                    "The interview with {candidate} was changed. These are its details now:",
                    candidate=candidate_name,
                )
            ),
            _details(reader, facts, candidate=candidate_name),
            *_meeting(reader, facts),
            Paragraph(tr("The attached update replaces the interview in your calendar.")),
        ),
        footer=_footer(reader, facts.account_name),
        lang=reader.locale,
    )


def meeting_link_for_candidate(reader: Reader, facts: InterviewFacts) -> MailContent:
    """Candidate with a booking: the online meeting's link, which an earlier mail said
    would follow (the iMIP REQUEST attached carries it too); `facts` have the link."""
    tr = reader.tr
    return MailContent(
        subject=tr("Meeting link: {title}, {when}", title=facts.title, when=_short(reader, facts)),
        blocks=(
            Paragraph(tr("Hello {name},", name=reader.name)),
            Paragraph(tr("The online meeting for your interview is ready:")),
            _details(reader, facts),
            *_meeting(reader, facts),
            Paragraph(tr("The attached update adds the meeting link to your calendar.")),
        ),
        footer=_footer(reader, facts.account_name),
        lang=reader.locale,
    )


def meeting_link_for_staff(
    reader: Reader, facts: InterviewFacts, *, candidate_name: str
) -> MailContent:
    """Staff whose calendar is not synced: the link of a booked interview's online
    meeting, which an earlier mail said would follow (iMIP REQUEST attached)."""
    tr = reader.tr
    return MailContent(
        subject=tr("Meeting link: {title}, {when}", title=facts.title, when=_short(reader, facts)),
        blocks=(
            Paragraph(tr("Hello {name},", name=reader.name)),
            Paragraph(
                tr(
                    "The online meeting for the interview with {candidate} is ready:",
                    candidate=candidate_name,
                )
            ),
            _details(reader, facts, candidate=candidate_name),
            *_meeting(reader, facts),
            Paragraph(tr("The attached update adds the meeting link to your calendar.")),
        ),
        footer=_footer(reader, facts.account_name),
        lang=reader.locale,
    )
