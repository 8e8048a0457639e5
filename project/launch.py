"""``bin/run``: migrate, make sure there is an admin, load the example, then run the web
server, a Celery worker and Celery beat side by side until Ctrl-C.

Without DATABASE_URL it starts the embedded PostgreSQL (data in ``.data/postgres``) and,
without CELERY_BROKER_URL, Celery's broker is that same database.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# How long the web server may take to answer /healthz with 200 before the launch gives up.
READY_TIMEOUT_SECONDS = 120
COLOURS = {"web": "\033[36m", "worker": "\033[33m", "beat": "\033[35m"}


def _prepare_environment() -> None:
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    # Beat's pidfile lives there, also when DATABASE_URL means no embedded server created it.
    (BASE_DIR / ".data").mkdir(exist_ok=True)
    if not os.environ.get("DATABASE_URL"):
        from project.embedded import database_url

        # This process holds the embedded server; it stops when this process exits.
        os.environ["DATABASE_URL"] = database_url()
        print("Using the embedded PostgreSQL in .data/postgres (set DATABASE_URL to use another).", flush=True)


def _manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, check=True)  # noqa: S603  (fixed argv, no shell)


def _pump(name: str, stream: IO[bytes]) -> None:
    colour, reset = (COLOURS[name], "\033[0m") if sys.stdout.isatty() else ("", "")
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"{colour}{name:>6} |{reset} {line.decode(errors='replace')}")
        sys.stdout.flush()


def _local_address(host: str) -> str:
    """Where this machine reaches a server bound to ``host`` (a wildcard means loopback)."""
    if host in {"", "0.0.0.0"}:  # noqa: S104  (recognising the wildcard, not binding it)
        return "127.0.0.1"
    if host in {"::", "[::]"}:
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _healthz_status(url: str) -> int | None:
    """The status /healthz answers with, or None while nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310  (our own http:// URL)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, http.client.HTTPException):
        return None


def _wait_until_ready(url: str, stopping: threading.Event, exited: Callable[[], int | None]) -> int | None:
    """Poll ``url`` until it answers 200: None then, else the exit status to stop with
    (a child exited, Ctrl-C, or no answer within READY_TIMEOUT_SECONDS)."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    status = None
    while not stopping.is_set():
        exit_code = exited()
        if exit_code is not None:
            return exit_code
        status = _healthz_status(url)
        if status == 200:
            return None
        if time.monotonic() > deadline:
            answer = f"it answers {status}" if status else "nothing answers"
            print(f"{url} did not answer 200 within {READY_TIMEOUT_SECONDS} s ({answer}); stopping.", flush=True)
            return 1
        stopping.wait(0.5)
    return 0


def run() -> int:
    _prepare_environment()
    _manage("migrate", "--noinput")
    _manage("ensure_admin")
    _manage("load_example")
    port = os.environ.get("PORT", "8000")
    host = os.environ.get("HOST", "127.0.0.1")
    commands = {
        "web": [
            PYTHON,
            "-m",
            "gunicorn",
            "project.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            os.environ.get("WEB_CONCURRENCY", "2"),
            "--access-logfile",
            "-",
        ],
        "worker": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "project",
            "worker",
            "--loglevel=INFO",
            "--concurrency",
            os.environ.get("WORKER_CONCURRENCY", "2"),
        ],
        "beat": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "project",
            "beat",
            "--loglevel=INFO",
            "--pidfile",
            str(BASE_DIR / ".data" / "celerybeat.pid"),
        ],
    }
    children: dict[str, subprocess.Popen[bytes]] = {}
    for name, command in commands.items():
        # Each child gets its own process group, so Ctrl-C reaches us once and we stop them in order.
        children[name] = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
            command, cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        threading.Thread(target=_pump, args=(name, children[name].stdout), daemon=True).start()

    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    def exited(when: str = "") -> int | None:
        """If a child has exited, say which and return the status to stop with."""
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with status {child.returncode}{when}; stopping the others.", flush=True)
                return child.returncode or 1
        return None

    # Say it runs only once the web server answers; until then a link to it would fail.
    healthz = f"http://{_local_address(host)}:{port}/healthz"
    exit_code = _wait_until_ready(healthz, stopping, lambda: exited(" before /healthz answered"))
    if exit_code is None:
        print(
            f"\nClaimwatch is running. Admin: http://{host}:{port}/admin/   API docs: http://{host}:{port}/api/docs/"
            "\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        while not stopping.is_set() and (exit_code := exited()) is None:
            stopping.wait(0.5)
        exit_code = exit_code or 0

    print("Stopping web, worker and beat…", flush=True)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    print("Stopped.", flush=True)
    return exit_code


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command != "run":
        sys.exit(f"unknown command {command!r}; use: python -m project.launch run")
    sys.exit(run())
