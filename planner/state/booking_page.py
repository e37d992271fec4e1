"""The candidate's booking page as view models: what each view shows, in the candidate's
language and zone. The page is rendered on the server (planner/pages/booking_page.py) from
these, so its first paint carries the interview and the offered times; no Reflex state."""

from dataclasses import dataclass, field
from itertools import groupby

from babel.numbers import format_decimal

from planner.domain.vocabulary import LOCALES
from planner.i18n import language_name
from planner.i18n.catalogues import translator
from planner.i18n.dates import (
    format_time_range,
    format_weekday_date,
    format_when,
    zone_choices,
    zone_city,
    zone_generic_name,
)
from planner.services.booking import MAX_COMMENT, CandidateView

# Views of the page. "choose" lists the open times; "no_times" is the same place when none
# is left; "booked" the confirmation; the forms and their outcomes; the three dead ends.
VIEWS = (
    "choose", "no_times", "booked", "no_fit_form", "commented", "cancel_form", "zone",
    "invalid", "expired", "withdrawn", "not_found", "too_many",
)  # fmt: skip
# Views a link may ask for with ?view= (the others follow from the invitation's state).
ASKED_VIEWS = {"no-fit": "no_fit_form", "cancel": "cancel_form", "zone": "zone"}
# Outcomes of a form, shown once after its redirect (?done=).
OUTCOMES = (
    "booked", "taken", "unavailable", "already_booked", "cancelled", "not_booked",
    "commented", "comment_required", "comment_too_long", "choose_time", "zone_unknown",
)  # fmt: skip


def texts(locale: str) -> dict[str, str]:
    """Every fixed text of the page, translated (message catalogues, not code)."""
    tr = translator(locale)
    return {
        "choose_title": tr("Choose a time for your interview"),
        "times_in": tr("Times are shown in {zone}.", zone="{zone}"),
        "book": tr("Book this time"),
        "none_fit": tr("None of these times work for me"),
        "no_fit_title": tr("Suggest another time"),
        "no_fit_intro": tr("Tell us when you could meet instead. The team will get back to you."),
        "comment_label": tr("Your comment"),
        "send": tr("Send"),
        "back": tr("Back"),
        "confirmed_title": tr("Your interview is booked"),
        "add_to_calendar": tr("Add to your calendar"),
        "add_ics": tr("Download calendar file (.ics)"),
        "add_google": tr("Add to Google Calendar"),
        "add_outlook": tr("Add to Outlook"),
        "new_window": tr("(opens in a new window)"),
        "cancel_booking": tr("Cancel this interview"),
        "cancel_title": tr("Cancel the interview"),
        "cancel_intro": tr("Please tell us why you cancel. The time will be freed for others."),
        "confirm_cancel": tr("Cancel the interview"),
        "where": tr("Where"),
        "when": tr("When"),
        "job": tr("Position"),
        "duration": tr("Duration"),
        "online": tr("Online meeting"),
        "join": tr("Join the online meeting"),
        "meeting_pending": tr("The meeting link follows by e-mail and appears here."),
        "invalid_title": tr("This link is not valid"),
        "link_invalid": tr("This link is not valid. Please use the link from your invitation."),
        "expired_title": tr("This invitation has expired"),
        "expired": tr("This invitation has expired. Please contact the recruiter."),
        "withdrawn_title": tr("This interview has been cancelled"),
        "withdrawn": tr("This interview has been cancelled. Please contact the recruiter."),
        "not_found_title": tr("Page not found"),
        "not_found": tr("There is nothing at this address. Please use the link from your e-mail."),
        "taken": tr("That time was just taken. Please choose another."),
        "unavailable": tr("That time is no longer available. Please choose another."),
        "already_booked": tr(
            "You have already booked this interview. To choose another time, cancel it first."
        ),
        "not_booked": tr("This interview was already cancelled."),
        "no_times_title": tr("No times are left"),
        "no_times": tr("No times are available right now. You can leave a comment instead."),
        "commented_title": tr("Thank you for your comment"),
        "commented": tr("Thank you. The team has your comment and will get back to you."),
        "booked_outcome": tr("Your interview is booked. We look forward to meeting you."),
        "cancelled": tr("Your interview is cancelled. You can choose another time below."),
        "cancelled_no_times": tr("Your interview is cancelled."),
        "said_no_fit": tr("You told us none of the times fit. You can still choose one."),
        "comment_required": tr("Please write a few words."),
        "comment_too_long": tr(
            "Your comment is too long ({length} characters). Please shorten it to at most "
            "{max} characters.",
            length="{length}",
            max="{max}",
        ),
        "too_many": tr(
            "Too many links that do not work were opened from your network. "
            "Please try again in a minute."
        ),
        "choose_time": tr("Please choose a time first."),
        "minutes": tr("{minutes} minutes", minutes="{minutes}"),
        "language": tr("Language"),
        "zone_title": tr("Choose your time zone"),
        "zone_change": tr("Change time zone"),
        "zone_label": tr("Time zone or city"),
        "zone_hint": tr("Type a city, e.g. New York, or pick one from the list."),
        "zone_show": tr("Show times in this zone"),
        "zone_matches": tr("Matching time zones"),
        "zone_unknown": tr("No time zone matches that. Try the name of a nearby city."),
        "zone_offer": tr("Show the times in {zone}", zone="{zone}"),
        "zone_offer_note": tr("Your device is set to another time zone."),
    }


@dataclass(frozen=True)
class TimeChoice:
    """One offered time as the candidate reads it: `label` is what its button shows (the
    times), `name` its accessible name (with the day, so that two days' 9:00 differ)."""

    slot_id: int
    label: str
    name: str


@dataclass(frozen=True)
class DayChoices:
    day: str
    times: tuple[TimeChoice, ...]


@dataclass(frozen=True)
class LanguageChoice:
    code: str
    name: str
    current: bool


@dataclass(frozen=True)
class BookingPage:
    """One view of the candidate's page, every text already in the reader's language."""

    view: str
    lang: str
    texts: dict[str, str]
    token: str = ""
    title: str = ""
    job: str = ""
    duration: str = ""
    place: str = ""
    online: bool = False
    meeting_url: str = ""
    zone: str = ""
    zone_note: str = ""
    zone_chosen: bool = False
    days: tuple[DayChoices, ...] = ()
    booked_when: str = ""
    google_url: str = ""
    outlook_url: str = ""
    notice: str = ""
    notice_kind: str = "info"  # info | success | error
    comment_error: str = ""
    # The comment the candidate wrote, shown again with its error so nothing they typed is lost.
    comment: str = ""
    zone_query: str = ""
    zone_matches: tuple[tuple[str, str], ...] = ()
    zone_options: tuple[tuple[str, str], ...] = ()
    languages: tuple[LanguageChoice, ...] = field(default_factory=tuple)

    @property
    def heading(self) -> str:
        """The heading of the view (where focus goes when the view opens)."""
        t = self.texts
        return {
            "choose": t["choose_title"],
            "no_times": t["no_times_title"],
            "booked": t["confirmed_title"],
            "no_fit_form": t["no_fit_title"],
            "commented": t["commented_title"],
            "cancel_form": t["cancel_title"],
            "zone": t["zone_title"],
            "invalid": t["invalid_title"],
            "expired": t["expired_title"],
            "withdrawn": t["withdrawn_title"],
            "not_found": t["not_found_title"],
            "too_many": t["invalid_title"],
        }[self.view]

    @property
    def document_title(self) -> str:
        """The browser tab's title: the view, then the interview."""
        return f"{self.heading} – {self.title}" if self.title else f"{self.heading} – Planner"


def languages(current: str) -> tuple[LanguageChoice, ...]:
    """The five languages, each named in itself, for the language switch."""
    return tuple(
        LanguageChoice(code=code, name=language_name(code, in_locale=code), current=code == current)
        for code in LOCALES
    )


def time_choices(view: CandidateView) -> tuple[DayChoices, ...]:
    """The open times grouped by the local day they start on; a time crossing midnight
    names the day it ends on ('11:30 PM – Dec 30 1:00 AM')."""
    locale, zone = view.locale, view.time_zone

    def choice(slot) -> tuple[str, TimeChoice]:  # type: ignore[no-untyped-def]
        day = format_weekday_date(slot.start_at, locale=locale, time_zone=zone)
        label = format_time_range(slot.start_at, slot.end_at, locale=locale, time_zone=zone)
        return day, TimeChoice(slot_id=slot.slot_id, label=label, name=f"{day}, {label}")

    return tuple(
        DayChoices(day=day, times=tuple(c for _d, c in group))
        for day, group in groupby((choice(s) for s in view.open_slots), key=lambda p: p[0])
    )


def outcome_notice(done: str, texts_: dict[str, str], *, view: str) -> tuple[str, str]:
    """(text, kind) of the outcome named by ?done= after a form, or ('', 'info')."""
    if done not in OUTCOMES:
        return "", "info"
    if done == "cancelled" and view == "no_times":
        return texts_["cancelled_no_times"], "success"
    kinds = {
        "booked": ("booked_outcome", "success"),
        "cancelled": ("cancelled", "success"),
        "commented": ("commented", "success"),
        "already_booked": ("already_booked", "info"),
        "not_booked": ("not_booked", "info"),
    }
    key, kind = kinds.get(done, (done, "error"))
    return texts_[key], kind


def dead_end(view: str, locale: str) -> BookingPage:
    """An invalid, expired or withdrawn link, or an unknown address under /book/."""
    return BookingPage(view=view, lang=locale, texts=texts(locale))


def booking_page(
    found: CandidateView,
    *,
    token: str,
    asked: str = "",
    done: str = "",
    zone_query: str = "",
    calendar_links: tuple[str, str] = ("", ""),
    comment: str = "",
) -> BookingPage:
    """The view the link shows now: the dead end when it no longer works, the confirmation
    when booked (or the cancel form when asked), else the open times, the no-fit form or
    the zone picker."""
    locale = found.locale
    t = texts(locale)
    if not found.usable:
        return BookingPage(
            view="withdrawn" if found.reason == "withdrawn" else "expired",
            lang=locale,
            texts=t,
            token=token,
            title=found.interview_title,
            languages=languages(locale),
        )
    asked_view = ASKED_VIEWS.get(asked, "")
    if found.booked is not None:
        view = "cancel_form" if asked_view == "cancel_form" else "booked"
        if asked_view == "zone":
            view = "zone"
    elif asked_view in ("no_fit_form", "zone"):
        view = asked_view
    elif done == "commented":
        view = "commented"
    else:
        view = "choose" if found.open_slots else "no_times"
    notice, kind = outcome_notice(done, t, view=view)
    if not notice and view == "choose" and found.status == "no_fit":
        notice, kind = t["said_no_fit"], "info"
    if not notice and view == "no_times":
        notice, kind = t["no_times"], "info"
    comment_error = ""
    if done in ("comment_required", "comment_too_long") and view in ("no_fit_form", "cancel_form"):
        comment_error, notice, kind = notice, "", "info"
        comment_error = comment_error.replace(
            "{length}", format_decimal(len(comment), locale=locale)
        ).replace("{max}", format_decimal(MAX_COMMENT, locale=locale))
    zone = found.time_zone
    city, generic = zone_city(zone, locale=locale), zone_generic_name(zone, locale=locale)
    zone_label = generic if city == generic else f"{generic} ({city})"
    booked_when = ""
    if found.booked is not None:
        booked_when = format_when(
            found.booked.start_at, found.booked.end_at, locale=locale, time_zone=zone
        )
    matches: tuple[tuple[str, str], ...] = ()
    if view == "zone" and zone_query:
        from planner.i18n.dates import find_time_zone

        labels = dict(zone_choices(locale))
        matches = tuple((z, labels[z]) for z in find_time_zone(zone_query, locale=locale)[:20])
    return BookingPage(
        view=view,
        lang=locale,
        texts=t,
        token=token,
        title=found.interview_title,
        job=found.job_title,
        duration=t["minutes"].replace("{minutes}", str(found.duration_minutes)),
        place=", ".join(p for p in (found.location_name, found.location_address) if p),
        online=found.meeting_kind != "none",
        meeting_url=found.meeting_url,
        zone=zone,
        zone_note=t["times_in"].replace("{zone}", zone_label),
        zone_chosen=found.zone_chosen,
        days=time_choices(found) if view == "choose" else (),
        booked_when=booked_when,
        google_url=calendar_links[0],
        outlook_url=calendar_links[1],
        notice=notice,
        notice_kind=kind,
        comment_error=comment_error,
        comment=comment,
        zone_query=zone_query,
        zone_matches=matches,
        zone_options=zone_choices(locale) if view == "zone" else (),
        languages=languages(locale),
    )


def not_found_texts(locale: str) -> dict[str, str]:
    """The texts of the app's not-found page, in the reader's language."""
    tr = translator(locale)
    return {
        "title": tr("Page not found"),
        "body": tr("There is nothing at this address. Check the link, or go back to Planner."),
        "home": tr("Go to Planner"),
    }
