"""Reflex configuration; URLs and ports come from Planner's settings (PLANNER_*)."""

import os

import reflex as rx

from planner.supervisor import respawn_failed_web_workers

# One web worker process that dies is started again; the others keep serving.
respawn_failed_web_workers()

# Ports come from the command line (`make run` passes PLANNER_PORT as --frontend-port and
# --backend-port; production may run --backend-only processes on ports of their own).
_options: dict = {}
if os.environ.get("PLANNER_PUBLIC_URL"):
    _options["api_url"] = _options["deploy_url"] = os.environ["PLANNER_PUBLIC_URL"]
if os.environ.get("PLANNER_REDIS_URL"):
    # Several web processes share Reflex state through Redis.
    _options["redis_url"] = os.environ["PLANNER_REDIS_URL"]

# Only the app's own origin may open the websocket or make credentialed CORS requests
# (Reflex allows any origin by default). Invalid settings are reported when the app starts.
try:
    from planner.settings import load_settings

    _options["cors_allowed_origins"] = list(load_settings().allowed_origins)
except Exception:  # noqa: BLE001 - planner.planner refuses to start with the clear message
    _options["cors_allowed_origins"] = []

config = rx.Config(
    app_name="planner",
    telemetry_enabled=False,
    plugins=[
        rx.plugins.SitemapPlugin(),
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium")
        ),
    ],
    show_built_with_reflex=False,
    **_options,
)
