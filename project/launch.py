"""``bin/run``: migrate, make sure there is an admin, load the example, then run the web
server, a Celery worker and Celery beat side by side until Ctrl-C.

Without DATABASE_URL it starts the embedded PostgreSQL (data in ``.data/postgres``) and,
without CELERY_BROKER_URL, Celery's broker is that same database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
COLOURS = {"web": "\033[36m", "worker": "\033[33m", "beat": "\033[35m"}


def _prepare_environment() -> None:
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
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

    print(
        f"\nClaimwatch is running. Admin: http://{host}:{port}/admin/   API docs: http://{host}:{port}/api/docs/"
        "\nPress Ctrl-C to stop.\n",
        flush=True,
    )

    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping.is_set():
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with status {child.returncode}; stopping the others.", flush=True)
                exit_code = child.returncode or 1
                stopping.set()
        time.sleep(0.5)

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
