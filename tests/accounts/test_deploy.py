"""Production settings: ``check --deploy`` is clean, secrets come only from the environment."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

PRINT_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.DEMO_MODE, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
    "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)"
)


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # A clean environment, as on a server: nothing leaks in from the test process (such as
    # DJANGO_ALLOW_ASYNC_UNSAFE, which browser tests set and the deploy check flags).
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        JIUYE_ENV="production",
        JIUYE_SECRET_KEY=secrets.token_urlsafe(60),
        JIUYE_AUDIT_KEY=secrets.token_urlsafe(48),
        JIUYE_ALLOWED_HOSTS="jiuye.example",
        JIUYE_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="jiuye.settings",
    )
    env.update(extra)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jiuye.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    proc = run(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues" in proc.stdout


def test_production_hardening(tmp_path):
    proc = run(production_env(tmp_path), "shell", "-c", PRINT_SETTINGS)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False False True True True True"


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["JIUYE_SECRET_KEY"]
    proc = run(env, "check")
    assert proc.returncode != 0
    assert "JIUYE_SECRET_KEY" in proc.stderr


def test_a_weak_secret_key_fails_the_deploy_check(tmp_path):
    proc = run(
        production_env(tmp_path, JIUYE_SECRET_KEY="short"),
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert proc.returncode != 0 and "security.W009" in proc.stderr + proc.stdout


def test_demo_mode_in_production_fails_the_deploy_check(tmp_path):
    proc = run(production_env(tmp_path, JIUYE_DEMO="1"), "check", "--deploy")
    assert proc.returncode != 0 and "jiuye.E001" in proc.stderr + proc.stdout


# ---- issue 11, finding 12: fail closed on configuration ------------------------------------


def test_an_unknown_environment_refuses_to_start(tmp_path):
    for mistyped in ("Production", "prod", "staging", ""):
        proc = run(production_env(tmp_path, JIUYE_ENV=mistyped), "check")
        assert proc.returncode != 0, mistyped
        assert "JIUYE_ENV must be one of development, production" in proc.stderr


def test_the_sqlite_database_is_private(tmp_path):
    env = production_env(tmp_path, JIUYE_ENV="development")
    env.pop("JIUYE_SECRET_KEY")
    proc = run(env, "migrate", "--noinput")
    assert proc.returncode == 0, proc.stderr
    database = tmp_path / "jiuye.sqlite3"
    assert database.exists()
    assert database.stat().st_mode & 0o777 == 0o600


def test_a_fresh_var_directory_is_created_private(tmp_path):
    var = tmp_path / "fresh" / "var"
    env = production_env(tmp_path, JIUYE_ENV="development", JIUYE_VAR_DIR=str(var))
    env.pop("JIUYE_SECRET_KEY")
    proc = run(env, "check")
    assert proc.returncode == 0, proc.stderr
    assert var.is_dir() and var.stat().st_mode & 0o777 == 0o700


def test_security_headers_on_every_page(client, db):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_the_api_schema_is_behind_login_outside_the_demo(tmp_path):
    env = production_env(tmp_path)
    probe = (
        "from django.test import Client; c = Client(); "
        "r = c.get('/api/openapi.json', HTTP_HOST='jiuye.example', secure=True); "
        "d = c.get('/api/docs', HTTP_HOST='jiuye.example', secure=True); "
        "print(r.status_code, r.get('Location', '')[:20], d.status_code)"
    )
    proc = run(env, "shell", "-c", probe)
    assert proc.returncode == 0, proc.stderr
    status, location, docs = proc.stdout.strip().splitlines()[-1].split()
    assert status == "302" and location.startswith("/accounts/login") and docs == "302"


def test_production_refuses_to_start_without_an_audit_key(tmp_path):
    env = production_env(tmp_path)
    del env["JIUYE_AUDIT_KEY"]
    proc = run(env, "check")
    assert proc.returncode != 0 and "JIUYE_AUDIT_KEY" in proc.stderr


def test_a_weak_audit_key_fails_the_deploy_check(tmp_path):
    proc = run(production_env(tmp_path, JIUYE_AUDIT_KEY="short"), "check", "--deploy")
    assert proc.returncode != 0 and "jiuye.E006" in proc.stderr + proc.stdout
