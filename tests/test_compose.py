"""The production layout in ``docker-compose.yml``. Docker does not run here, so the file is
parsed and each service's command is checked against the project's real entry points."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import yaml
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
LONG_RUNNING = ("postgres", "redis", "web", "worker", "beat")
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    assert COMPOSE.exists(), "docker-compose.yml is missing"
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict) and isinstance(loaded.get("services"), dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], compose["services"])


def argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def dockerfile_cmd() -> list[str]:
    """The Dockerfile's default command (the last CMD), in exec or shell form."""
    commands = [line for line in DOCKERFILE.read_text().splitlines() if line.strip().upper().startswith("CMD ")]
    assert commands, "the Dockerfile has no CMD"
    body = commands[-1].strip()[4:].strip()
    return json.loads(body) if body.startswith("[") else shlex.split(body)


def command_of(service: dict[str, Any]) -> list[str]:
    if "command" in service:
        return argv(service["command"])
    assert service.get("build"), "a service without a command must be built from the Dockerfile"
    return dockerfile_cmd()


def console_script_distribution(script: str) -> str:
    """The installed distribution that provides the ``script`` executable."""
    for entry_point in importlib.metadata.entry_points(group="console_scripts"):
        if entry_point.name == script:
            assert entry_point.dist is not None
            return entry_point.dist.metadata["Name"]
    raise AssertionError(f"no installed package provides the {script!r} command")


def required_distributions() -> set[str]:
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[=<>~!; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def assert_real_entry_point(command: list[str]) -> None:
    """The command starts one of the project's processes, and what it names exists."""
    executable, *args = command
    if executable == "gunicorn":
        target = next(arg for arg in args if not arg.startswith("-") and not re.fullmatch(r"[\d.:]+", arg))
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        application = getattr(module, attribute or "application")
        assert callable(application), f"{target} is not a WSGI callable"
    elif executable == "celery":
        from celery import Celery
        from celery.app.utils import find_app  # type: ignore[attr-defined]  # not in celery-stubs

        assert "-A" in args or any(arg.startswith("--app") for arg in args), "celery needs -A/--app"
        app_name = args[args.index("-A") + 1] if "-A" in args else args[0].split("=", 1)[1]
        app = find_app(app_name)  # how celery itself resolves -A
        assert isinstance(app, Celery)
        from project.celery import app as project_app

        assert app is project_app
        subcommand = next(arg for arg in args[args.index(app_name) + 1 :] if not arg.startswith("-"))
        assert subcommand in {"worker", "beat"}, f"unexpected celery subcommand {subcommand!r}"
    elif executable in {"python", "python3"} and args[:1] == ["manage.py"]:
        from django.core.management import get_commands

        assert (ROOT / "manage.py").exists()
        assert args[1] in get_commands(), f"manage.py has no {args[1]!r} command"
    else:
        raise AssertionError(f"{command} does not start a known entry point of the project")
    if executable in {"gunicorn", "celery"}:
        distribution = console_script_distribution(executable).lower()
        assert distribution in required_distributions(), f"{distribution} is not in requirements.txt"


def test_the_dockerfile_exists_and_installs_the_requirements() -> None:
    assert DOCKERFILE.exists()
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11", text, re.MULTILINE)
    assert "requirements.txt" in text
    assert re.search(r"^USER (?!root)\S+", text, re.MULTILINE), "the image should not run as root"


def test_the_dockerfiles_default_command_is_a_real_entry_point() -> None:
    assert_real_entry_point(dockerfile_cmd())


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_each_production_service_exists_with_a_healthcheck(services: dict[str, dict[str, Any]], name: str) -> None:
    assert name in services, f"docker-compose.yml has no {name!r} service"
    healthcheck = services[name].get("healthcheck")
    assert healthcheck and healthcheck.get("test"), f"{name} has no healthcheck"
    assert not healthcheck.get("disable")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_app_service_runs_a_real_entry_point_of_the_project(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    assert service.get("build") in {".", "./"} or (service.get("build") or {}).get("context") in {".", "./"}

    assert_real_entry_point(command_of(service))


def test_web_is_gunicorn_serving_the_projects_wsgi_application(services: dict[str, dict[str, Any]]) -> None:
    command = command_of(services["web"])

    assert command[0] == "gunicorn"
    assert any(arg.startswith("project.wsgi") for arg in command)


@pytest.mark.parametrize(("name", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_are_separate_celery_processes(
    services: dict[str, dict[str, Any]], name: str, subcommand: str
) -> None:
    command = command_of(services[name])

    assert command[0] == "celery" and subcommand in command
    assert "-B" not in command and "--beat" not in command, "beat runs on its own, not inside a worker"


def test_every_other_service_with_a_command_runs_a_real_entry_point(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name in APP_SERVICES or not service.get("build"):
            continue
        assert_real_entry_point(command_of(service))


def test_services_depend_only_on_services_that_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        depends_on = service.get("depends_on") or []
        for dependency in depends_on if isinstance(depends_on, list) else depends_on.keys():
            assert dependency in services, f"{name} depends on an unknown service {dependency!r}"


def waits_for(services: dict[str, dict[str, Any]], name: str) -> dict[str, str]:
    """Every service ``name`` waits for, directly or through another, with the condition
    it waits on (a YAML merge replaces ``depends_on`` whole, so follow the chain)."""
    found: dict[str, str] = {}
    pending = [name]
    while pending:
        depends_on = services[pending.pop()].get("depends_on") or {}
        if isinstance(depends_on, list):
            depends_on = {dependency: {"condition": "service_started"} for dependency in depends_on}
        for dependency, spec in depends_on.items():
            if dependency not in found:
                found[dependency] = (spec or {}).get("condition", "service_started")
                pending.append(dependency)
    return found


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(services: dict[str, dict[str, Any]], name: str) -> None:
    waited = waits_for(services, name)

    assert waited.get("postgres") == "service_healthy", f"{name} does not wait for a healthy postgres"
    assert waited.get("redis") == "service_healthy", f"{name} does not wait for a healthy redis"


def test_app_services_start_after_the_migrations(services: dict[str, dict[str, Any]]) -> None:
    assert "migrate" in services
    for name in APP_SERVICES:
        assert waits_for(services, name).get("migrate") == "service_completed_successfully", name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_use_the_compose_postgres_and_redis(services: dict[str, dict[str, Any]], name: str) -> None:
    environment = services[name].get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)

    database = urlsplit(environment["DATABASE_URL"])
    broker = urlsplit(environment["CELERY_BROKER_URL"])
    assert database.scheme in {"postgres", "postgresql"} and database.hostname == "postgres"
    assert broker.scheme == "redis" and broker.hostname == "redis"
    postgres = services["postgres"]["environment"]
    assert (database.username, database.password, database.path.lstrip("/")) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )


def test_the_web_healthcheck_asks_a_url_the_project_serves(services: dict[str, dict[str, Any]]) -> None:
    from django.urls import resolve

    (url,) = re.findall(r"https?://[^'\" ]+", " ".join(argv(services["web"]["healthcheck"]["test"])))
    assert resolve(urlsplit(url).path).url_name == "healthz"


@pytest.mark.django_db
def test_the_web_healthcheck_passes_with_the_production_allowed_hosts(
    services: dict[str, dict[str, Any]], client: Client, settings: Any
) -> None:
    """The healthcheck runs inside the container and asks 127.0.0.1; with ALLOWED_HOSTS set
    as .env.example shows, Django must still answer it, not refuse it as a bad host (400)."""
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [host.strip() for host in example["ALLOWED_HOSTS"].split(",") if host.strip()]
    settings.SECURE_SSL_REDIRECT = True  # production's default: the probe must not be redirected either
    (url,) = re.findall(r"https?://[^'\" ]+", " ".join(argv(services["web"]["healthcheck"]["test"])))
    parts = urlsplit(url)

    response = client.get(parts.path, HTTP_HOST=parts.netloc)

    assert response.status_code == 200, response.content[:300]


def env_example() -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )


def compose_environment(service: dict[str, Any], dotenv: dict[str, str]) -> dict[str, str]:
    """What the service's process sees: ``env_file`` (.env), then ``environment`` on top,
    with ``${NAME:-default}`` filled in from .env as compose does."""

    def interpolate(value: str) -> str:
        return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: dotenv.get(m.group(1)) or m.group(2), value)

    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    assert service.get("env_file") == ".env"
    return {**dotenv, **{name: interpolate(str(value)) for name, value in environment.items()}}


@pytest.mark.parametrize(("redirect", "expected"), [("", 404), ("1", 301)])
def test_the_web_service_serves_plain_http_unless_env_turns_the_https_redirect_on(
    services: dict[str, dict[str, Any]], redirect: str, expected: int
) -> None:
    """Compose publishes plain HTTP on port 8000: with .env as .env.example has it, a page is
    answered (404 for an unknown one), not redirected to an HTTPS nobody serves. Behind a TLS
    proxy, SECURE_SSL_REDIRECT=1 in .env turns the redirect on."""
    dotenv = {**env_example(), "SECRET_KEY": "a-real-secret-key-for-this-test-only-0123456789-abcdefghijklmnop"}
    dotenv["SECURE_SSL_REDIRECT"] = redirect
    environment = compose_environment(services["web"], dotenv)
    host = environment["ALLOWED_HOSTS"].split(",")[0].strip()
    code = (
        "import django; django.setup(); from django.test import Client; "
        f"print(Client().get('/no-such-page/', HTTP_HOST={host!r}).status_code)"
    )
    # The compose host names do not resolve here; settings need only a PostgreSQL URL.
    environment.update(
        DATABASE_URL="postgres://claimwatch@127.0.0.1:5432/claimwatch",
        PATH=os.environ.get("PATH", ""),
        DJANGO_SETTINGS_MODULE="project.settings",
    )

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(expected), result.stderr[-2000:]


def test_the_docker_build_leaves_out_local_state_and_secrets() -> None:
    """``COPY . .`` must not bake the virtualenv, the embedded database or .env into the image."""
    ignore = ROOT / ".dockerignore"
    assert ignore.exists(), "no .dockerignore: COPY . . copies .venv, .data and .env into the image"
    patterns = {line.strip().strip("/") for line in ignore.read_text().splitlines() if line.strip()}
    for path in (".venv", ".data", ".env", ".git"):
        assert path in patterns or f"{path}/" in patterns, f"{path} is not in .dockerignore"
