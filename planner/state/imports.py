"""The import page: upload an .ics export of the previous calendar, preview it, import it in
the worker with progress; admins switch the account to the previous calendar and back."""

import asyncio
from dataclasses import dataclass

import reflex as rx

from planner.db import session_scope
from planner.domain.ics_import import MAX_FILE_BYTES, IcsImportError, Problem
from planner.i18n.catalogues import Translator, translator
from planner.i18n.dates import format_time_range, format_weekday_date
from planner.models.base import utcnow
from planner.services import previous_calendar
from planner.services.actor import Actor
from planner.services.errors import PlannerError
from planner.state.guard import signed_in_actor
from planner.state.session import error_text, sign_in_redirect

POLL_SECONDS = 1.0
IDLE_POLLS = 900  # 15 minutes without progress
FOCUS_HEADING = "document.querySelector('main h1')?.setAttribute('tabindex','-1');" + (
    "document.querySelector('main h1')?.focus()"
)


@dataclass(frozen=True)
class PreviewRowView:
    """One row of the preview, formatted for the reader."""

    key: int
    title: str
    when: str
    status: str
    status_label: str
    staff: str
    candidates: str
    unmatched: str


def problem_text(tr: Translator, error: IcsImportError) -> str:
    """The page's words for why a file cannot be imported, naming the line or event."""
    line, event, v = error.line, error.event, error.values
    match error.problem:
        case Problem.TOO_LARGE:
            return tr(
                "The file is {size} MB; files up to {limit} MB can be imported.",
                size=v.get("size", "?"),
                limit=v.get("limit", MAX_FILE_BYTES // 1024 // 1024),
            )
        case Problem.EMPTY:
            return tr("The file is empty.")
        case Problem.ENCODING:
            return tr(
                "Line {line} is not UTF-8 text (the file mixes encodings). Export the "
                "calendar again as UTF-8.",
                line=line,
            )
        case Problem.NOT_ICALENDAR:
            return tr(
                "This is not an iCalendar (.ics) file: line {line} should begin the calendar "
                "(BEGIN:VCALENDAR).",
                line=line,
            )
        case Problem.BAD_LINE:
            return tr(
                "Line {line} is not an iCalendar line (a name, a colon and a value); a line "
                "break inside a title can cause this.",
                line=line,
            )
        case Problem.CONTROL_CHARACTER:
            return tr(
                "Line {line} contains a control character (such as a stray carriage return).",
                line=line,
            )
        case Problem.NESTING:
            return tr("Line {line}: components are nested too deeply.", line=line)
        case Problem.UNBALANCED:
            return tr(
                "Line {line}: a component is not closed, or closed without being opened.",
                line=line,
            )
        case Problem.NO_EVENTS:
            return tr("The file holds no events.")
        case Problem.NO_START:
            return tr(
                "The event “{event}” (line {line}) has no start time (DTSTART).",
                event=event,
                line=line,
            )
        case Problem.BAD_TIME:
            return tr(
                "The event “{event}” (line {line}) has a time that cannot be read.",
                event=event,
                line=line,
            )
        case Problem.ENDS_BEFORE_START:
            return tr(
                "The event “{event}” (line {line}) ends before it starts.", event=event, line=line
            )
        case Problem.UNKNOWN_TIME_ZONE:
            return tr(
                "The event “{event}” (line {line}) uses the time zone “{zone}”, which the "
                "file does not define and Planner does not know.",
                event=event,
                line=line,
                zone=v.get("zone", ""),
            )
        case Problem.TIME_ZONE_RULES:
            return tr(
                "The time zone “{zone}” (line {line}) has rules that repeat too often or "
                "too many times.",
                zone=v.get("zone", ""),
                line=line,
            )
        case Problem.TOO_MANY_OCCURRENCES:
            return tr(
                "The event “{event}” (line {line}) repeats more than {limit} times in the "
                "import period.",
                event=event,
                line=line,
                limit=v.get("limit", ""),
            )
        case Problem.TOO_MANY_EVENTS:
            return tr(
                "The file holds more than {limit} appointments; split it and import the "
                "parts one after the other.",
                limit=v.get("limit", ""),
            )
    return tr("The file could not be read as iCalendar.")


def _preview(actor: Actor, filename: str, data: bytes) -> previous_calendar.ImportPreview:
    with session_scope() as session:
        return previous_calendar.preview_import(
            session=session, actor=actor, filename=filename, data=data, now=utcnow()
        )


class ImportState(rx.State):
    """Upload, preview, progress and the account switch."""

    loaded: bool = False
    allowed: bool = False
    is_admin: bool = False
    uses_previous: bool = False
    # The account switch asks first: open while the question is shown, and what it would set.
    switch_question: bool = False
    switch_to_previous: bool = False
    stage: str = "upload"  # upload | preview | running | done | failed
    error: str = ""
    status_message: str = ""
    filename: str = ""
    summary: str = ""
    unmatched: list[str] = []
    rows: list[PreviewRowView] = []
    more_rows: str = ""
    percent: int = 0
    progress_label: str = ""
    result: str = ""
    _import_id: int = 0
    _account_id: int = 0
    _locale: str = "en"

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self._account_id, self._locale = actor.account_id, actor.locale
        self.allowed = actor.role.value in ("admin", "recruiter")
        self.is_admin = actor.is_admin
        with session_scope() as session:
            self.uses_previous = previous_calendar.uses_previous_calendar(
                session=session, actor=actor
            )
        if self.stage not in ("running",):
            self.stage, self.error, self.status_message = "upload", "", ""
        self.loaded = True
        if self.stage == "running":  # back on the page while the worker imports
            return [rx.call_script(FOCUS_HEADING), ImportState.watch]
        return rx.call_script(FOCUS_HEADING)

    def _tr(self, actor: Actor) -> Translator:
        return translator(actor.locale)

    @rx.event
    async def preview(self, files: list[rx.UploadFile]):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        tr = self._tr(actor)
        self.error = self.status_message = ""
        if not files:
            self.error = tr("Choose an .ics file first.")
            self.status_message = self.error
            return None
        upload = files[0]
        size = getattr(upload, "size", None) or 0
        if size > MAX_FILE_BYTES:
            data = b""
            failure: IcsImportError | None = IcsImportError(
                Problem.TOO_LARGE,
                size=round(size / 1024 / 1024, 1),
                limit=MAX_FILE_BYTES // 1024 // 1024,
            )
        else:
            data = await upload.read(MAX_FILE_BYTES + 1)
            failure = None
        filename = str(getattr(upload, "filename", "") or "calendar.ics")[:255]
        if failure is None:
            try:
                # Reading a large file takes a moment: off the event loop, in a thread.
                found = await asyncio.to_thread(_preview, actor, filename, data)
            except IcsImportError as exc:
                failure = exc
            except PlannerError as exc:
                self.error = self.status_message = error_text(actor, exc)
                return None
        if failure is not None:
            self.stage = "upload"
            self.error = tr("Nothing was imported.") + " " + problem_text(tr, failure)
            self.status_message = self.error
            return None
        zone, lang = actor.time_zone, actor.locale
        self._import_id = found.import_id
        self.filename = found.filename
        self.summary = tr(
            "{total} appointments: {new} new, {changed} changed, {unchanged} already "
            "imported (duplicates by UID), {duplicates} repeated in the file.",
            total=found.total,
            new=found.new,
            changed=found.changed,
            unchanged=found.unchanged,
            duplicates=found.duplicates_in_file,
        )
        labels = {
            "new": tr("New"),
            "changed": tr("Changed: will update its copy"),
            "unchanged": tr("Already imported"),
        }
        self.unmatched = list(found.unmatched)
        self.rows = [
            PreviewRowView(
                key=index,
                title=row.title,
                when=(
                    f"{format_weekday_date(row.start, locale=lang, time_zone=zone)}, "
                    + (
                        tr("all day")
                        if row.all_day
                        else format_time_range(row.start, row.end, locale=lang, time_zone=zone)
                    )
                ),
                status=row.status,
                status_label=labels[row.status]
                + (" · " + tr("repeating") if row.recurring else ""),
                staff=", ".join(row.staff),
                candidates=", ".join(row.candidates),
                unmatched=", ".join(row.unmatched),
            )
            for index, row in enumerate(found.rows)
        ]
        self.more_rows = (
            tr("The first {shown} of {total} are listed.", shown=len(found.rows), total=found.total)
            if found.total > len(found.rows)
            else ""
        )
        self.stage = "preview"
        self.status_message = tr("Preview ready: {summary}", summary=self.summary)
        return None

    @rx.event
    async def start(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        if self.stage != "preview" or not self._import_id:
            return None
        try:
            with session_scope() as session:
                previous_calendar.start_import(
                    session=session, actor=actor, import_id=self._import_id, now=utcnow()
                )
        except PlannerError as exc:
            self.error = self.status_message = error_text(actor, exc)
            return None
        self.stage = "running"
        self.percent = 0
        self.progress_label = translator(actor.locale)("Waiting for the import to start…")
        self.status_message = self.progress_label
        return ImportState.watch

    @rx.event
    def cancel_preview(self):
        self.stage, self.rows, self.unmatched, self._import_id = "upload", [], [], 0
        self.status_message = ""

    @rx.event(background=True)
    async def watch(self):
        """Polls the import's progress until it has finished (the worker does the work);
        gives up polling after IDLE_POLLS without any change (the page resumes on load)."""
        idle, last = 0, None
        while idle < IDLE_POLLS:
            async with self:
                import_id, account_id, lang = self._import_id, self._account_id, self._locale
                if self.stage != "running" or not import_id:
                    return
            with session_scope() as session:
                progress = previous_calendar.progress_of(
                    session=session, account_id=account_id, import_id=import_id
                )
            tr = translator(lang)
            seen = (progress.status, progress.processed) if progress else None
            idle, last = (idle + 1, last) if seen == last else (0, seen)
            async with self:
                if progress is None:
                    self.stage = "failed"
                    return
                if progress.total:
                    self.percent = int(progress.processed * 100 / progress.total)
                if progress.status == "running":
                    self.progress_label = tr(
                        "Imported {processed} of {total}…",
                        processed=progress.processed,
                        total=progress.total,
                    )
                elif progress.status == "done":
                    self.percent = 100
                    self.stage = "done"
                    self.result = tr(
                        "Import finished: {created} added, {updated} updated, {unchanged} "
                        "unchanged.",
                        created=progress.created,
                        updated=progress.updated,
                        unchanged=progress.unchanged,
                    )
                    self.status_message = self.result
                    return
                elif progress.status == "failed":
                    self.stage = "failed"
                    self.result = tr("The import stopped; nothing more was imported.")
                    self.status_message = self.result
                    return
            await asyncio.sleep(POLL_SECONDS)

    @rx.event
    def ask_switch(self, on: bool):
        """The switch was flipped: ask first, naming the effect on everyone in the account."""
        self.switch_to_previous = bool(on)
        self.switch_question = True

    @rx.event
    def keep_switch(self, is_open: bool = False):
        """The question was answered "keep" (or closed with Escape): nothing changes."""
        if not is_open:
            self.switch_question = False

    @rx.event
    async def confirm_switch(self):
        """The admin confirmed: switch the account as asked."""
        self.switch_question = False
        return await self.switch_previous(self.switch_to_previous)

    async def switch_previous(self, on: bool):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        try:
            with session_scope() as session:
                self.uses_previous = previous_calendar.set_previous_calendar(
                    session=session, actor=actor, on=bool(on)
                )
        except PlannerError as exc:
            self.status_message = error_text(actor, exc)
            return None
        self.status_message = (
            tr("Everyone in the account now uses the previous calendar.")
            if self.uses_previous
            else tr("Everyone in the account now uses Planner's calendar again.")
        )
        return None
