"""Settings fail loudly on a missing or bad environment, and production has no insecure
fallback. Each case loads the settings in a fresh interpreter, as a server would."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgres://claimwatch@127.0.0.1:5432/claimwatch"

SETUP = "import django; django.setup()"
REPORT = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'DEBUG': s.DEBUG, 'ALLOWED_HOSTS': s.ALLOWED_HOSTS, 'SECRET_KEY': s.SECRET_KEY, "
    "'SESSION_COOKIE_SECURE': s.SESSION_COOKIE_SECURE, 'CSRF_COOKIE_SECURE': s.CSRF_COOKIE_SECURE, "
    "'ENGINE': s.DATABASES['default']['ENGINE']}))"
)


def load_settings(code: str = SETUP, **env: str | None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with the project's settings in a clean environment: only PATH, HOME,
    DJANGO_SETTINGS_MODULE and a PostgreSQL DATABASE_URL (so no embedded server is
    started), then ``env`` on top (``None`` removes a variable)."""
    return run_python(["-c", code], **env)


def run_python(args: list[str], **env: str | None) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in the project, in the clean environment ``load_settings`` describes."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(Path.home())),
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": POSTGRES_URL,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/5",
    }
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_settings_load_for_local_development_without_a_secret_key() -> None:
    """The control case: the failures below are caused by what each one changes."""
    result = load_settings(REPORT, DEBUG="1")

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["DEBUG"] is True
    assert len(loaded["SECRET_KEY"]) >= 50
    assert loaded["ENGINE"] == "django.db.backends.postgresql"


def test_local_development_processes_without_a_secret_key_share_one_key() -> None:
    """gunicorn's workers, Celery and runserver are separate processes: a session signed by
    one must be valid in the others, so they all read the key kept in .data/."""
    keys = {
        json.loads(load_settings(REPORT, DEBUG="1").stdout.strip().splitlines()[-1])["SECRET_KEY"] for _ in range(3)
    }

    assert len(keys) == 1
    key_file = ROOT / ".data" / "secret_key"
    assert key_file.read_text().strip() == keys.pop()
    assert key_file.stat().st_mode & 0o777 == 0o600, "the key file must be readable by its owner only"


def test_processes_starting_together_make_one_development_key(tmp_path: Path) -> None:
    """The first start makes the key; processes racing to make it all end up with the same one,
    never half a key, and leave no temporary files behind."""
    path = tmp_path / "data" / "secret_key"
    code = f"from pathlib import Path; from project.settings import development_secret_key as k; print(k(Path({str(path)!r})))"
    environment = {**os.environ, "DEBUG": "1", "DATABASE_URL": POSTGRES_URL}
    processes = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    keys = {process.communicate(timeout=120)[0].strip() for process in processes}

    assert all(process.returncode == 0 for process in processes)
    assert keys == {path.read_text().strip()}
    assert len(keys.pop()) >= 50
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]


def test_a_development_key_file_without_a_key_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text("\n")
    code = f"from pathlib import Path; from project.settings import development_secret_key as k; k(Path({str(path)!r}))"

    result = load_settings(code, DEBUG="1")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert str(path) in result.stderr


def test_production_without_a_secret_key_refuses_to_start() -> None:
    result = load_settings(DEBUG=None, SECRET_KEY=None)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("debug", ["0", "false", "", "off"])
def test_debug_off_with_an_empty_secret_key_refuses_to_start(debug: str) -> None:
    result = load_settings(DEBUG=debug, SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("debug", ["maybe", "2", "True please", "debug"])
def test_a_debug_value_that_is_not_a_boolean_is_a_clear_error(debug: str) -> None:
    result = load_settings(DEBUG=debug, SECRET_KEY="a-real-secret-key-for-this-test-only-0123456789")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG" in result.stderr
    assert repr(debug) in result.stderr, "the error should quote the bad value"


@pytest.mark.parametrize(
    "url",
    ["sqlite:///claimwatch.sqlite3", "sqlite://:memory:", "mysql://user:pw@127.0.0.1/claimwatch"],
)
def test_a_database_other_than_postgresql_is_a_clear_error(url: str) -> None:
    result = load_settings(DEBUG="1", DATABASE_URL=url)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "PostgreSQL" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_a_non_integer_connection_age_is_a_clear_error() -> None:
    result = load_settings(DEBUG="1", CONN_MAX_AGE="a minute")

    assert result.returncode != 0
    assert "CONN_MAX_AGE" in result.stderr


def test_production_settings_have_no_insecure_fallbacks() -> None:
    key = "a-real-secret-key-for-this-test-only-0123456789"
    result = load_settings(REPORT, DEBUG="0", SECRET_KEY=key)

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["DEBUG"] is False
    assert loaded["SECRET_KEY"] == key
    assert "*" not in loaded["ALLOWED_HOSTS"]
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-real-secret-key-for-this-test-only-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "claimwatch.example.org",
}
SECURITY_REPORT = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({name: getattr(s, name) for name in ['SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
    "'SECURE_HSTS_PRELOAD', 'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER']}))"
)


def security_settings(**env: str | None) -> dict[str, object]:
    result = load_settings(SECURITY_REPORT, **env)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_the_deploy_checks_pass_with_production_settings() -> None:
    """``manage.py check --deploy`` is the list of what production needs; none may warn."""
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_defaults_to_hsts_and_redirecting_to_https() -> None:
    assert security_settings(**PRODUCTION) == {
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_local_development_serves_plain_http_without_hsts() -> None:
    loaded = security_settings(DEBUG="1")

    assert loaded["SECURE_HSTS_SECONDS"] == 0
    assert loaded["SECURE_SSL_REDIRECT"] is False


def test_the_https_settings_are_read_from_the_environment() -> None:
    loaded = security_settings(
        **PRODUCTION,
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        SECURE_HSTS_PRELOAD="false",
        SECURE_SSL_REDIRECT="off",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
    )

    assert loaded == {
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


@pytest.mark.parametrize(
    "value",
    [
        "X-Forwarded-Proto,https",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_PROTO,",
        "HTTP_X_FORWARDED_PROTO,https,http",
        "http_x_forwarded_proto,https",
        "HTTP_X_FORWARDED_PROTO, https",
        "HTTP_X_FORWARDED_PROTO=https",
    ],
)
def test_a_proxy_ssl_header_that_is_not_header_comma_value_is_a_clear_error(value: str) -> None:
    result = load_settings(**PRODUCTION, SECURE_PROXY_SSL_HEADER=value)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECURE_PROXY_SSL_HEADER" in result.stderr
    assert repr(value) in result.stderr, "the error should quote the bad value"


@pytest.mark.parametrize("value", ["a year", "-1", "1.5"])
def test_an_hsts_duration_that_is_not_a_whole_number_of_seconds_is_a_clear_error(value: str) -> None:
    result = load_settings(**PRODUCTION, SECURE_HSTS_SECONDS=value)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECURE_HSTS_SECONDS" in result.stderr


def test_a_deploy_check_with_a_bad_https_setting_fails_loudly() -> None:
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https",
    )

    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER" in result.stderr


def test_healthz_answers_plain_http_probes_in_production_while_pages_redirect_to_https() -> None:
    """Probes call http://127.0.0.1:8000/healthz inside the container; the redirect to HTTPS
    is for browsers, and must not turn the probe into a 301."""
    code = (
        "import django; django.setup(); from django.test import Client; c = Client(); "
        "h = c.get('/healthz', HTTP_HOST='127.0.0.1:8000'); "
        "p = c.get('/admin/login/', HTTP_HOST='claimwatch.example.org'); "
        "print(h.status_code, p.status_code, p.get('Location'))"
    )
    # The database the tests use, so the probe's own database check can pass.
    result = load_settings(code, **PRODUCTION, DATABASE_URL=os.environ["DATABASE_URL"], CELERY_BROKER_URL=None)

    assert result.returncode == 0, result.stderr
    healthz, page, location = result.stdout.strip().splitlines()[-1].split(" ")
    assert healthz == "200", result.stderr[-2000:]
    assert (page, location) == ("301", "https://claimwatch.example.org/admin/login/")


def _variables_read_by_settings() -> set[str]:
    """Names passed to os.environ.get / os.environ[...] / the env_* helpers (env_bool, env_int…)."""
    tree = ast.parse((ROOT / "project" / "settings.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            target = ast.unparse(func)
            if called.startswith("env_") or target in {"os.environ.get", "os.getenv"}:
                names.add(cast(str, node.args[0].value))
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if isinstance(node.slice, ast.Constant):
                names.add(cast(str, node.slice.value))
    return names


def test_every_variable_the_settings_read_is_listed_in_env_example() -> None:
    listed = {
        line.split("=", 1)[0].strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    read = _variables_read_by_settings()

    assert {"SECRET_KEY", "DEBUG", "DATABASE_URL", "CELERY_BROKER_URL"} <= read  # the parser works
    assert read - listed == set()


def test_importing_the_project_package_does_not_load_the_settings() -> None:
    """bin/run runs ``python -m project.launch``, which imports ``project`` (and so the
    Celery app) before it sets DEBUG; that import must not need SECRET_KEY yet."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "-c", "import project, project.launch"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_every_connection_has_the_fuzzy_name_threshold_the_entity_search_uses() -> None:
    from django.db import connection

    from claims.models import Entity, EntityQuerySet

    with connection.cursor() as cursor:
        cursor.execute("SELECT 'x' <% 'y', current_setting('pg_trgm.word_similarity_threshold')")  # loads pg_trgm
        threshold = float(cursor.fetchone()[1])

    assert threshold == EntityQuerySet.FUZZY_THRESHOLD
    # A near spelling just above the threshold is found, through the operator that reads it.
    Entity.objects.create(name="Aghband", kind=Entity.Kind.PLACE)
    assert [e.name for e in Entity.objects.search("Agbend")] == ["Aghband"]
