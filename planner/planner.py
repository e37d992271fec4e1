"""The Reflex app: pages, their load events, and the HTTP routes beside them."""

import reflex as rx

from planner import routes
from planner.api.app import build_api
from planner.components.layout import tab_title
from planner.pages.admin import admin_page
from planner.pages.calendar import calendar_page
from planner.pages.candidate_profile import candidate_profile_page
from planner.pages.candidates import candidates_page
from planner.pages.connect import connect_page
from planner.pages.imports import import_page
from planner.pages.integrations import ROUTE as INTEGRATIONS_ROUTE
from planner.pages.integrations import integrations_page
from planner.pages.not_found import not_found_page
from planner.pages.previous_calendar import previous_calendar_page
from planner.pages.schedule import schedule_page
from planner.pages.sent_mail import sent_mail_page
from planner.pages.signin import sign_in_page
from planner.settings import get_settings
from planner.state.admin import AdminState
from planner.state.calendar import CalendarState
from planner.state.candidate_profile import CandidateProfileState
from planner.state.candidates import CandidatesState
from planner.state.connect import ConnectState
from planner.state.imports import ImportState
from planner.state.integrations import IntegrationsState
from planner.state.not_found import NotFoundState
from planner.state.previous_calendar import PreviousCalendarState
from planner.state.schedule import ScheduleState
from planner.state.sent_mail import SentMailState
from planner.state.signin import SignInState
from planner.state_manager import install as install_resilient_state

get_settings()  # refuse to start on invalid settings (e.g. a default secret in production)

app = rx.App(api_transformer=build_api())
app.add_page(
    sign_in_page, route=routes.SIGN_IN, title="Sign in · Planner", on_load=SignInState.load
)
app.add_page(calendar_page, route="/", title=tab_title("Interviews"), on_load=CalendarState.load)
app.add_page(
    calendar_page, route=routes.CALENDAR, title=tab_title("Interviews"), on_load=CalendarState.load
)
app.add_page(
    candidates_page,
    route=routes.CANDIDATES,
    title=tab_title("Candidates"),
    on_load=CandidatesState.load,
)
app.add_page(
    admin_page, route=routes.ADMIN, title=tab_title("Account & users"), on_load=AdminState.load
)
app.add_page(
    sent_mail_page,
    route=routes.SENT_MAIL,
    title=tab_title("Sent mail"),
    on_load=SentMailState.load,
)
app.add_page(
    connect_page,
    route=routes.SYNC_CONNECT,
    title="Connect your calendar · Planner",
    on_load=ConnectState.load,
)
app.add_page(
    integrations_page,
    route=INTEGRATIONS_ROUTE,
    title=tab_title("Integrations"),
    on_load=IntegrationsState.load,
)
app.add_page(
    schedule_page,
    route=routes.SCHEDULE,
    title=tab_title("Schedule interview"),
    on_load=ScheduleState.load,
)
app.add_page(
    candidate_profile_page,
    route=routes.CANDIDATE,
    title=tab_title("Candidate"),
    on_load=CandidateProfileState.load,
)
app.add_page(
    import_page, route=routes.IMPORT, title=tab_title("Previous calendar"), on_load=ImportState.load
)
app.add_page(
    previous_calendar_page,
    route=routes.PREVIOUS_CALENDAR,
    title=tab_title("Previous calendar"),
    on_load=PreviousCalendarState.load,
)
app.add_page(not_found_page, route="404", title=NotFoundState.title, on_load=NotFoundState.load)

# Page state survives a Redis outage (kept in this process for the tabs it serves meanwhile).
install_resilient_state(app)
