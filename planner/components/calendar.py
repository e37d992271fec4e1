"""One calendar component for every calendar screen: FullCalendar (MIT packages from npm)
wrapped once as a Reflex custom component.

Events go in as plain dicts (`calendar_event(...)`), and what the user does comes out as
plain values: a selected or clicked range as ISO strings, a clicked event's id, and the
range and view being shown. Day, week and month views are switched with FullCalendar's own
toolbar; times are drawn in `time_zone` (an IANA name, through the luxon3 plugin) so what a
recruiter sees is their own zone whatever the browser's. Only FullCalendar's MIT packages are
used (no resource or timeline views, which are not MIT)."""

from typing import Any, ClassVar

import reflex as rx
from reflex_base.components.component import NoSSRComponent, field
from reflex_base.event import EventHandler
from reflex_base.utils.imports import ImportDict, ImportVar
from reflex_base.vars.base import Var
from reflex_base.vars.object import ObjectVar

FULLCALENDAR = "6.1.21"
LUXON = "3.7.2"

# What each kind of calendar entry looks like; every screen takes its colours from here.
ENTRY_COLOURS: dict[str, dict[str, str]] = {
    "busy": {"background": "#b42318", "text": "#ffffff"},
    "tentative": {"background": "#f79009", "text": "#1d1d1d"},
    "unknown": {"background": "#667085", "text": "#ffffff"},
    "outside_working_hours": {"background": "#d0d5dd", "text": "#1d1d1d"},
    "held": {"background": "#7a5af8", "text": "#ffffff"},
    "booked": {"background": "#067647", "text": "#ffffff"},
    "offered": {"background": "#ffffff", "text": "#93370d", "border": "#b54708"},
    "suggestion": {"background": "#eff8ff", "text": "#175cd3", "border": "#175cd3"},
    "chosen": {"background": "#175cd3", "text": "#ffffff"},
    "previous": {"background": "#f2f4f7", "text": "#344054", "border": "#667085"},
}


def _colour_rules() -> str:
    return "".join(
        f".planner-segment-{state}{{background:{colours['background']};}}"
        for state, colours in ENTRY_COLOURS.items()
    )


# Styles of the availability rows and the calendar, for a page that shows them.
AVAILABILITY_STYLES = (
    ".planner-visually-hidden{position:absolute;width:1px;height:1px;padding:0;margin:-1px;"
    "overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0;}"
    ".planner-segment-free{background:#d1fadf;}"
    + _colour_rules()
    + ".planner-calendar .fc{font-size:13px;}"
    ".planner-calendar .fc .fc-bg-event{opacity:0.45;}"
    ".planner-calendar .fc .fc-toolbar{flex-wrap:wrap;gap:6px;}"
    ".planner-calendar .fc .fc-event{cursor:pointer;}"
    ".planner-calendar .fc .planner-offered{border-style:dashed;border-width:2px;}"
    ".planner-calendar .fc .planner-previous{border-style:dotted;}"
    # Days of the next or previous month: readable (FullCalendar fades them to 30 %).
    ".planner-calendar .fc .fc-day-other .fc-daygrid-day-top{opacity:1;color:#475467;}"
)


def calendar_legend(*items: tuple[str, rx.Var | str]) -> rx.Component:
    """A legend of entry kinds: (kind of ENTRY_COLOURS, label) pairs, each a swatch drawn the
    way the calendar draws that kind."""
    return rx.el.ul(
        *[
            rx.el.li(
                rx.el.span(
                    aria_hidden="true",
                    class_name=f"planner-swatch planner-swatch-{kind}",
                ),
                label,
                style={"display": "flex", "align_items": "center", "gap": "6px"},
            )
            for kind, label in items
        ],
        style={
            "display": "flex",
            "flex_wrap": "wrap",
            "gap": "6px 16px",
            "list_style": "none",
            "margin": "0",
            "padding": "0",
            "font_size": "14px",
        },
    )


_SWATCH_BORDERS = {"offered": "dashed", "previous": "dotted"}


def _swatch_rules() -> str:
    return "".join(
        f".planner-swatch-{kind}{{display:inline-block;width:18px;height:12px;"
        f"border-radius:3px;background:{c['background']};"
        f"border:2px {_SWATCH_BORDERS.get(kind, 'solid')} {c.get('border', c['background'])};}}"
        for kind, c in ENTRY_COLOURS.items()
    )


def calendar_event(
    *,
    event_id: str,
    title: str,
    start: str,
    end: str,
    kind: str,
    background: bool = False,
    group: str = "",
) -> dict[str, Any]:
    """A FullCalendar event object (https://fullcalendar.io/docs/event-parsing) for an entry
    of `kind` (a key of ENTRY_COLOURS): ISO 8601 `start`/`end` with an offset; `background`
    draws it behind the grid (busy time, not clickable); `group` keeps related entries
    together. Raises KeyError for an unknown kind."""
    colours = ENTRY_COLOURS[kind]
    return {
        "id": event_id,
        "title": title,
        "start": start,
        "end": end,
        "display": "background" if background else "block",
        "groupId": group,
        "backgroundColor": colours["background"],
        "borderColor": colours.get("border", colours["background"]),
        "textColor": colours["text"],
        "classNames": [f"planner-{kind}"],
        "extendedProps": {"kind": kind},
    }


def overview_event(*, event_id: str, title: str, start: str, end: str, kind: str) -> dict[str, Any]:
    """A lean FullCalendar event for a calendar of many entries: its colours come from the
    class `planner-<kind>` (OVERVIEW_STYLES, from ENTRY_COLOURS) instead of each event.
    Raises KeyError for an unknown kind."""
    ENTRY_COLOURS[kind]
    return {
        "id": event_id,
        "title": title,
        "start": start,
        "end": end,
        "classNames": [f"planner-{kind}"],
    }


def _overview_rules() -> str:
    return "".join(
        f".planner-calendar .fc .planner-{kind}{{--fc-event-bg-color:{c['background']};"
        f"--fc-event-border-color:{c.get('border', c['background'])};"
        f"--fc-event-text-color:{c['text']};}}"
        for kind, c in ENTRY_COLOURS.items()
    )


def _range(info: ObjectVar[dict]) -> tuple[Var[str], Var[str]]:
    """A selection (https://fullcalendar.io/docs/select-callback) as ISO start and end."""
    return (
        Var(_js_expr=f"{info}.startStr", _var_type=str),
        Var(_js_expr=f"{info}.endStr", _var_type=str),
    )


def _clicked_date(info: ObjectVar[dict]) -> tuple[Var[str], Var[bool]]:
    """A click on the grid (https://fullcalendar.io/docs/dateClick): ISO time, all-day."""
    return (
        Var(_js_expr=f"{info}.dateStr", _var_type=str),
        Var(_js_expr=f"{info}.allDay", _var_type=bool),
    )


def _clicked_event(info: ObjectVar[dict]) -> tuple[Var[str]]:
    """A click on an event (https://fullcalendar.io/docs/eventClick): its id."""
    return (Var(_js_expr=f"{info}.event.id", _var_type=str),)


def _shown(info: ObjectVar[dict]) -> tuple[Var[str], Var[str], Var[str]]:
    """The range and view now shown (https://fullcalendar.io/docs/datesSet)."""
    return (
        Var(_js_expr=f"{info}.startStr", _var_type=str),
        Var(_js_expr=f"{info}.endStr", _var_type=str),
        Var(_js_expr=f"{info}.view.type", _var_type=str),
    )


class FullCalendar(NoSSRComponent):
    """FullCalendar's React component with the day grid, time grid, interaction and luxon
    (named time zones) plugins."""

    library: str | None = f"@fullcalendar/react@{FULLCALENDAR}"
    tag = "FullCalendar"
    is_default = True
    lib_dependencies: list[str] = [
        f"@fullcalendar/core@{FULLCALENDAR}",
        f"@fullcalendar/daygrid@{FULLCALENDAR}",
        f"@fullcalendar/timegrid@{FULLCALENDAR}",
        f"@fullcalendar/interaction@{FULLCALENDAR}",
        f"@fullcalendar/luxon3@{FULLCALENDAR}",
        f"luxon@{LUXON}",
    ]

    plugins: Var[list[Any]] = field(doc="The plugins (set by create).")
    locales: Var[list[Any]] = field(doc="Every locale FullCalendar ships (set by create).")
    initial_view: Var[str] = field(doc="timeGridDay, timeGridWeek or dayGridMonth.")
    initial_date: Var[str] = field(doc="The date first shown (YYYY-MM-DD).")
    header_toolbar: Var[dict[str, str] | bool] = field(
        doc="Toolbar layout (view buttons switch views), or False for none."
    )
    events: Var[list[dict[str, Any]]] = field(doc="Event objects (see calendar_event).")
    time_zone: Var[str] = field(doc="IANA zone the times are drawn in.")
    locale: Var[str] = field(doc="Language of FullCalendar's own texts (en, da, sv, nb, fi).")
    selectable: Var[bool] = field(doc="Whether dragging selects a range.")
    select_mirror: Var[bool] = field(doc="Whether a selection is drawn as an event.")
    select_min_distance: Var[int] = field(doc="Pixels to drag before a selection starts.")
    slot_duration: Var[str] = field(doc="Grid step, e.g. 00:15:00.")
    snap_duration: Var[str] = field(doc="Selection step, e.g. 00:15:00.")
    slot_min_time: Var[str] = field(doc="First time of day shown.")
    slot_max_time: Var[str] = field(doc="Last time of day shown.")
    scroll_time: Var[str] = field(doc="Time of day scrolled to first.")
    all_day_slot: Var[bool] = field(doc="Whether the all-day row is shown.")
    first_day: Var[int] = field(doc="First day of the week (1 = Monday).")
    now_indicator: Var[bool] = field(doc="Whether the current time is marked.")
    height: Var[str] = field(doc="CSS height, or 'auto'.")
    expand_rows: Var[bool] = field(doc="Whether time rows stretch to the height.")
    nav_links: Var[bool] = field(doc="Whether day names link to that day's view.")
    event_time_format: Var[dict[str, Any]] = field(doc="How event times are written.")
    slot_label_format: Var[dict[str, Any]] = field(doc="How the time axis is written.")
    button_text: Var[dict[str, str]] = field(doc="Texts of the toolbar buttons.")
    button_icons: Var[bool | dict[str, str]] = field(doc="Icons of the toolbar buttons.")
    day_max_events: Var[int | bool] = field(
        doc="Month view: entries per day before a '+N more' link (True: as many as fit)."
    )
    views: Var[dict[str, Any]] = field(doc="Options per view type, e.g. {'timeGrid': {...}}.")
    event_max_stack: Var[int] = field(
        doc="Day/week views: overlapping entries side by side before a '+N more' link."
    )

    on_range_select: EventHandler[_range] = field(doc="A range was selected: start, end (ISO).")
    on_date_click: EventHandler[_clicked_date] = field(doc="A time was clicked: ISO, all-day.")
    on_event_click: EventHandler[_clicked_event] = field(doc="An event was clicked: its id.")
    on_dates_set: EventHandler[_shown] = field(doc="The range/view shown changed.")

    # FullCalendar's React props are named after its callbacks, not onX.
    _rename_props: ClassVar[dict[str, str]] = {
        "onRangeSelect": "select",
        "onDateClick": "dateClick",
        "onEventClick": "eventClick",
        "onDatesSet": "datesSet",
    }

    def add_imports(self) -> ImportDict:
        """The plugins and locales the component is given (FullCalendar 6 takes them as props)."""
        return {
            f"@fullcalendar/daygrid@{FULLCALENDAR}": ImportVar(
                tag="dayGridPlugin", is_default=True
            ),
            f"@fullcalendar/timegrid@{FULLCALENDAR}": ImportVar(
                tag="timeGridPlugin", is_default=True
            ),
            f"@fullcalendar/interaction@{FULLCALENDAR}": ImportVar(
                tag="interactionPlugin", is_default=True
            ),
            f"@fullcalendar/luxon3@{FULLCALENDAR}": ImportVar(tag="luxonPlugin", is_default=True),
            f"@fullcalendar/core@{FULLCALENDAR}": ImportVar(
                tag="allLocales", is_default=True, package_path="/locales-all"
            ),
            "react": ImportVar(tag="useEffect"),
        }

    def add_hooks(self) -> list[str]:
        """FullCalendar draws its prev/next chevrons as role="img" spans without a text
        (axe: role-img-alt) inside buttons named by their title ("Next week"): the spans are
        made decorative wherever a calendar (re)draws them; month cells lose the name that
        would hide their entries; "+N more" links become buttons."""
        return [
            """useEffect(() => {
  const quiet = () => {
    document.querySelectorAll('.fc .fc-icon[role="img"]').forEach((icon) => {
      icon.removeAttribute('role');
      icon.setAttribute('aria-hidden', 'true');
    });
    // A month cell named by its day number alone hides the entries it shows (axe:
    // label-content-name-mismatch); its day number link still says the date.
    document.querySelectorAll('.fc td.fc-daygrid-day[aria-labelledby]').forEach((cell) => {
      cell.removeAttribute('aria-labelledby');
    });
    // "+N more" is an <a> without href that opens a popover (FullCalendar handles Enter and
    // Space on it): a button, so that its aria-expanded is allowed (axe: aria-allowed-attr);
    // an empty aria-controls names nothing.
    document.querySelectorAll('.fc a.fc-more-link:not([href])').forEach((link) => {
      link.setAttribute('role', 'button');
      if (link.getAttribute('aria-controls') === '') link.removeAttribute('aria-controls');
    });
  };
  quiet();
  const observer = new MutationObserver(quiet);
  observer.observe(document.body, {subtree: true, childList: true});
  return () => observer.disconnect();
}, []);"""
        ]

    @classmethod
    def create(cls, *children, **props) -> rx.Component:
        """A calendar; defaults: week view with day/week/month buttons, Monday first, 15-minute
        steps, 07:00-21:00 shown, no all-day row, times in the form of `locale`."""
        props.setdefault(
            "plugins",
            Var(
                _js_expr="[dayGridPlugin, timeGridPlugin, interactionPlugin, luxonPlugin]",
                _var_type=list[Any],
            ),
        )
        props.setdefault("locales", Var(_js_expr="allLocales", _var_type=list[Any]))
        props.setdefault("initial_view", "timeGridWeek")
        props.setdefault(
            "header_toolbar",
            {
                "left": "prev,next today",
                "center": "title",
                "right": "timeGridDay,timeGridWeek,dayGridMonth",
            },
        )
        props.setdefault("first_day", 1)
        props.setdefault("slot_duration", "00:15:00")
        props.setdefault("snap_duration", "00:15:00")
        props.setdefault("slot_min_time", "07:00:00")
        props.setdefault("slot_max_time", "21:00:00")
        props.setdefault("all_day_slot", False)
        props.setdefault("now_indicator", True)
        props.setdefault("height", "auto")
        props.setdefault("nav_links", False)
        # Times as the reader's language writes them (12-hour in English, 24-hour in the
        # Nordic languages), as Babel writes them in the dialogs and mails.
        props.setdefault("event_time_format", {"hour": "numeric", "minute": "2-digit"})
        props.setdefault("slot_label_format", {"hour": "numeric", "minute": "2-digit"})
        return super().create(*children, **props)


full_calendar = FullCalendar.create


# Colours of lean events (overview_event), the legend's swatches, and readable "+N more" links.
OVERVIEW_STYLES = (
    _overview_rules()
    + _swatch_rules()
    + ".planner-calendar .fc .fc-timegrid-more-link{background:#eff8ff;}"
    ".planner-calendar .fc .fc-more-link{color:#1849a9;}"
)
