"""``bin/run``'s launcher (``python -m project.launch run``), run for real: gunicorn with
several workers, a Celery worker and beat, on a throw-away database of its own."""

from __future__ import annotations

import http.cookiejar
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import psycopg2
import pytest

from project.database_url import database_url

ROOT = Path(__file__).resolve().parent.parent
READY_LINE = "Claimwatch is running"
ADMIN_USERNAME = "launch-admin"
ADMIN_PASSWORD = "a-launch-test-password-0123"

pytestmark = pytest.mark.worker  # it starts a real Celery worker (and beat and gunicorn)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def launch_database_url() -> Iterator[str]:
    """A database created for these tests on the tests' server, and dropped afterwards.
    The first launch migrates it; the later ones find it migrated and start faster."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    name = f"cw_launch_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(
        dbname="postgres", user=db.get("USER"), password=db.get("PASSWORD"), host=db.get("HOST"), port=db.get("PORT")
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(db, name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class Launch:
    """The launcher process, its output read line by line as it comes."""

    def __init__(self, database: str, port: int, web_concurrency: int = 3) -> None:
        self.port = port
        self.database = database
        self.base = f"http://127.0.0.1:{port}"
        # The default run: no SECRET_KEY, no DEBUG (the launcher sets it), the default SQL broker.
        dropped = {"SECRET_KEY", "DEBUG", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "TEST_DATABASE_NAME"}
        env = {name: value for name, value in os.environ.items() if name not in dropped}
        env.update(
            DATABASE_URL=database,
            HOST="127.0.0.1",
            PORT=str(port),
            WEB_CONCURRENCY=str(web_concurrency),
            WORKER_CONCURRENCY="1",
            ADMIN_USERNAME=ADMIN_USERNAME,
            ADMIN_PASSWORD=ADMIN_PASSWORD,
            PYTHONUNBUFFERED="1",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "project.launch", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def log(self) -> str:
        return "".join(self.output[-200:])

    def wait_for_line(self, text: str, timeout: float = 240) -> str:
        """The first line containing ``text``; fails if the launcher exits or times out first."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {timeout}s; output:\n{self.log()}") from None
            if line is None:
                raise AssertionError(f"the launcher exited before {text!r}; output:\n{self.log()}")
            if text in line:
                return line

    def wait_until_healthy(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the launcher exited; output:\n{self.log()}"
            if healthz_status(self.base) == 200:
                return
            time.sleep(0.5)
        raise AssertionError(f"/healthz did not answer 200 within {timeout}s; output:\n{self.log()}")

    def wait(self, timeout: float = 240) -> int:
        """The launcher's exit status, once it exits and its output is all read."""
        status = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return status

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C, as a user stops ``bin/run``; the launcher's exit status."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the launcher did not exit after SIGINT; output:\n{self.log()}") from None

    def kill_everything(self) -> None:
        """Teardown: whatever is still running of the launcher and its children."""
        try:
            processes = [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            processes = []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        for process in processes:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(processes, timeout=10)


@pytest.fixture
def launch(launch_database_url: str) -> Iterator[Any]:
    started: list[Launch] = []

    def start(**kwargs: Any) -> Launch:
        launched = Launch(launch_database_url, kwargs.pop("port", None) or free_port(), **kwargs)
        started.append(launched)
        return launched

    yield start
    for launched in started:
        launched.kill_everything()


def healthz_status(base: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=3) as response:  # noqa: S310  (a local http:// URL)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect (to the login page, say) is an answer to look at, not to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def admin_client() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())


def get(client: urllib.request.OpenerDirector, url: str) -> tuple[int, str, str]:
    """Status, Location header and body of a GET, redirects not followed."""
    try:
        with client.open(url, timeout=30) as response:
            return int(response.status), "", response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.headers.get("Location", ""), error.read().decode(errors="replace")


def sign_in(client: urllib.request.OpenerDirector, base: str) -> None:
    status, _, page = get(client, f"{base}/admin/login/")
    assert status == 200, page[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, page[:500]
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": ADMIN_USERNAME,
            "password": ADMIN_PASSWORD,
            "next": "/admin/",
        }
    ).encode()
    try:
        request = urllib.request.Request(f"{base}/admin/login/", data=form, headers={"Referer": base})  # noqa: S310  (a local http:// URL)
        client.open(request, timeout=30)
        raise AssertionError("signing in did not redirect: wrong credentials?")
    except urllib.error.HTTPError as error:
        assert error.code == 302, error.read()[:500]
        assert "/admin/login/" not in error.headers["Location"]


def test_admin_pages_stay_signed_in_across_web_workers_without_a_secret_key(launch: Any) -> None:
    """Without SECRET_KEY, in development, every gunicorn worker must sign sessions with the
    same key; with a key per worker, a page served by another worker bounces to login."""
    launched = launch(web_concurrency=3)
    launched.wait_until_healthy()
    client = admin_client()
    sign_in(client, launched.base)
    with psycopg2.connect(launched.database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM claims_claim")  # one of the example's claims
        (claim_id,) = cursor.fetchone()
    connection.close()
    assert claim_id is not None, "the example was not loaded"
    pages = ["/admin/", "/admin/claims/claim/", f"/admin/claims/claim/{claim_id}/change/"]

    answers = [get(client, launched.base + pages[i % len(pages)])[:2] for i in range(30)]

    bounced = [(pages[i % len(pages)], answer) for i, answer in enumerate(answers) if answer != (200, "")]
    assert bounced == [], f"{len(bounced)} of 30 admin pages did not load signed in, e.g. {bounced[:3]}"
    assert launched.interrupt() == 0, launched.log()
    assert "Stopped." in launched.log()


def test_it_says_it_is_running_only_once_healthz_answers(launch: Any) -> None:
    launched = launch(web_concurrency=2)

    launched.wait_for_line(READY_LINE)

    assert healthz_status(launched.base) == 200, launched.log()
    assert launched.interrupt() == 0, launched.log()


def test_it_says_so_and_stops_when_the_web_server_exits_before_answering(launch: Any) -> None:
    """A port already taken: gunicorn gives up, and the launcher must not claim to be running."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        launched = launch(port=taken.getsockname()[1], web_concurrency=1)

        status = launched.wait()

    output = "".join(launched.output)
    assert status != 0, output[-3000:]
    assert READY_LINE not in output, output[-3000:]
    assert re.search(r"web exited .*before", output), output[-3000:]
