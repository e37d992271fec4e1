"""One crashed process never stops Planner: granian respawns a killed web worker process, and
`make run`'s supervisor starts again a worker that died or got stuck, Redis and the SMTP
server (issue 15, finding 6)."""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest
import redis

from planner import launcher
from planner.integrations.mail.devserver import start_dev_smtp
from planner.jobs.worker import health_check_key
from planner.settings import ROOT_DIR
from planner.supervisor import Supervised, Supervisor, port_answers
from tests.fakes.radicale import free_port

REDIS_DB = 11  # this file's own Redis database on the machine's server


def _until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for a real signal (no fixed sleeps): poll `condition` until true or time out."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _healthz(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:  # noqa: S310 - local
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture
def sqlite_env(tmp_path, migrated_templates) -> dict[str, str]:
    target = tmp_path / "planner.db"
    shutil.copyfile(migrated_templates["sqlite"], target)
    env = dict(os.environ)
    env["PLANNER_DATABASE_URL"] = f"sqlite:///{target}"
    env["REFLEX_TELEMETRY_ENABLED"] = "false"
    return env


def test_a_killed_web_worker_process_is_respawned_while_the_server_keeps_answering(sqlite_env):
    port = free_port()
    env = {**sqlite_env, "GRANIAN_WORKERS": "2"}
    web = subprocess.Popen(  # noqa: S603 - our own executable
        [str(ROOT_DIR / ".venv/bin/reflex"), "run", "--env", "prod", "--backend-only",
         "--backend-port", str(port)],
        cwd=ROOT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        _until(lambda: _healthz(port), 180, "the web server")
        server = psutil.Process(web.pid)
        _until(lambda: len(server.children()) == 2, 60, "two web worker processes")
        victim = server.children()[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        _until(
            lambda: len(server.children()) == 2 and victim not in server.children(),
            60,
            "the killed web worker to be replaced",
        )
        assert web.poll() is None
        assert _healthz(port)
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(30)


@pytest.fixture
def redis_url():
    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def test_a_killed_or_stuck_worker_is_started_again(sqlite_env, redis_url, monkeypatch):
    monkeypatch.setattr(launcher, "WORKER_HEALTH_GRACE", 8.0)
    monkeypatch.setattr(launcher, "WORKER_HEALTH_EVERY", 0.5)
    env = {
        **sqlite_env,
        "PLANNER_REDIS_URL": redis_url,
        "PLANNER_WORKER_HEALTH_SECONDS": "1",
        "PLANNER_WORKER_NAME": "supervision-test",
        "PLANNER_SMTP_PORT": "9",
    }
    said: list[str] = []
    supervisor = Supervisor([launcher._worker_supervision(env)], say=said.append)
    client = redis.Redis.from_url(redis_url)
    key = health_check_key("supervision-test")
    supervisor.start_all()
    worker = supervisor.children[0]
    try:
        _until(lambda: client.exists(key) == 1, 60, "the worker's first health report")
        first = worker.handle

        # Killed: started again.
        os.killpg(first.pid, signal.SIGKILL)
        _until(lambda: (supervisor.check(), worker.handle not in (None, first))[1], 30, "restart")
        second = worker.handle
        assert said == ["Worker stopped; starting it again in 1 s"]

        # Stuck (its event loop stopped: no health reports): killed and started again.
        client.delete(key)
        _until(lambda: client.exists(key) == 1, 60, "the new worker's health report")
        os.killpg(second.pid, signal.SIGSTOP)
        _until(
            lambda: (supervisor.check(), worker.handle not in (None, second))[1],
            60,
            "the stuck worker to be replaced",
        )
        assert second.wait(10) == -signal.SIGKILL
        _until(lambda: client.exists(key) == 1, 60, "the third worker's health report")
    finally:
        supervisor.stop_all()
        client.close()


def test_embedded_redis_and_the_smtp_server_are_started_again(tmp_path):
    redis_port, smtp_port = free_port(), free_port()
    said: list[str] = []
    supervisor = Supervisor(
        [
            Supervised(
                "Redis",
                lambda: launcher.start_embedded_redis(tmp_path, port=redis_port)[0],
                lambda _server: port_answers(redis_port),
                launcher.stop_embedded_redis,
            ),
            Supervised(
                "SMTP server",
                lambda: start_dev_smtp("127.0.0.1", smtp_port, tmp_path / "mail"),
                lambda _server: port_answers(smtp_port),
                lambda server: server.stop(),
            ),
        ],
        say=said.append,
    )
    supervisor.start_all()
    try:
        redis_child, smtp_child = supervisor.children
        os.kill(redis_child.handle.pid, signal.SIGKILL)
        smtp_child.handle.stop()
        _until(
            lambda: (supervisor.check(), port_answers(redis_port) and port_answers(smtp_port))[1],
            60,
            "Redis and SMTP to answer again",
        )
        assert sorted(said) == [
            "Redis stopped; starting it again in 1 s",
            "SMTP server stopped; starting it again in 1 s",
        ]
        assert redis.Redis(port=redis_port).ping()
    finally:
        supervisor.stop_all()


def test_the_worker_console_shows_activity_and_problems_not_cron_ticks(tmp_path):
    script = (
        "import logging; from planner import logs; logs.configure('worker');"
        "logging.getLogger('arq.worker').info('0.01s -> cron:deliver_outbox_mail()');"
        "logging.getLogger(logs.ACTIVITY + '.mail').info('Mail sent: booking_confirmation');"
        "logging.getLogger('planner.jobs.sync').warning('connection 4 failed')"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script],
        cwd=ROOT_DIR,
        env={**os.environ, "PLANNER_LOG_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr.splitlines() == ["Mail sent: booking_confirmation", "connection 4 failed"]
    details = (tmp_path / "worker.log").read_text()
    assert "cron:deliver_outbox_mail" in details and "Mail sent" in details
