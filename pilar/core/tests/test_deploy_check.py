"""The production settings docs/DEPLOY.md gives (deploy/pilar.env.example) pass Django's deploy
checks with no issue; the error mail is wired only when asked for."""

import os
import subprocess
import sys
from pathlib import Path

import pilar

ENV_FILE = Path(pilar.__file__).parent.parent / "deploy" / "pilar.env.example"


def guide_environment(data_dir: Path, **changes: str) -> dict[str, str]:
    """Exactly the variables of the guide's file (its data directory moved into the test's), and
    nothing from the environment the tests run in."""
    env = {"PATH": os.environ["PATH"], "HOME": str(data_dir), "LANG": "C.UTF-8"}
    for line in ENV_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value.removeprefix('"').removesuffix('"')  # as systemd reads it
    env["PILAR_DATA_DIR"] = str(data_dir)
    env.update(changes)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pilar.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_with_the_guides_settings_reports_no_issues(tmp_path):
    result = run(guide_environment(tmp_path), "check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_without_https_the_check_names_what_is_missing(tmp_path):
    """The same settings without PILAR_HTTPS: the warnings of issue 17 come back (the session
    cookie's is W010 here, Pilar's session middleware being its own)."""
    result = run(guide_environment(tmp_path, PILAR_HTTPS="false"), "check", "--deploy")
    for code in ("security.W004", "security.W008", "security.W010", "security.W016"):
        assert code in result.stderr, result.stderr
    assert "System check identified 4 issues" in result.stderr


PROBE = """
import logging, django
django.setup()
from django.conf import settings
print("root", sorted(type(h).__name__ for h in logging.getLogger().handlers))
print("django", sorted(type(h).__name__ for h in logging.getLogger("django").handlers))
print("admins", settings.ADMINS)
"""


def test_the_error_mail_goes_to_the_admins_only_when_named(tmp_path):
    env = guide_environment(tmp_path, DJANGO_SETTINGS_MODULE="pilar.settings")
    probe = [sys.executable, "-c", PROBE]
    plain = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60)
    assert "root ['StreamHandler']" in plain.stdout, plain.stderr
    # Django's own error mail (request body, cookies, local variables) is never wired.
    assert "django []" in plain.stdout
    env["PILAR_ADMINS"] = "Tim TI <ti@example.go.id>, ops@example.go.id"
    named = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60)
    assert "root ['AdminErrorEmail', 'StreamHandler']" in named.stdout, named.stderr
    assert (
        "admins [('Tim TI', 'ti@example.go.id'), ('ops@example.go.id', 'ops@example.go.id')]"
        in named.stdout
    )
    env["SENTRY_DSN"] = "https://public@sentry.example.invalid/1"
    sentry = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60)
    assert "root ['StreamHandler']" in sentry.stdout, sentry.stderr


def test_malformed_admins_or_proxies_fail_loudly(tmp_path):
    bad_admins = run(guide_environment(tmp_path, PILAR_ADMINS="not an address"), "check")
    assert bad_admins.returncode != 0 and "PILAR_ADMINS" in bad_admins.stderr
    bad_proxy = run(guide_environment(tmp_path, PILAR_TRUSTED_PROXIES="proxy.local"), "check")
    assert bad_proxy.returncode != 0 and "PILAR_TRUSTED_PROXIES" in bad_proxy.stderr
