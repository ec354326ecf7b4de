"""`pilar serve` with the guide's settings, asked as the reverse proxy on the same machine asks:
HTTPS is believed from the proxy, plain http is redirected (but /healthz), the access log names
the real client and the request id, and gunicorn's control socket is in the data directory."""

import http.client
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pilar.core.tests.test_deploy_check import guide_environment
from pilar.core.tests.test_serve import free_port
from pilar.lib.serving import control_socket_options, forwarded_options


def ask(port: int, path: str, headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def test_the_control_socket_lives_in_the_data_directory_or_is_off(tmp_path):
    assert control_socket_options(tmp_path) == ["--control-socket", str(tmp_path / "gunicorn.ctl")]
    deep = tmp_path / ("d" * 120)
    assert control_socket_options(deep) == ["--no-control-socket"]


def test_gunicorn_believes_the_scheme_from_the_trusted_proxies_only():
    assert forwarded_options(["127.0.0.1", "::1", "10.0.0.0/8"]) == [
        "--forwarded-allow-ips",
        "127.0.0.1,::1,10.0.0.0/8",
    ]
    assert forwarded_options([]) == []  # gunicorn's default: this machine


@pytest.mark.django_db(transaction=True)
def test_serve_behind_a_proxy(tmp_path: Path):
    port = free_port()
    env = guide_environment(
        tmp_path, PILAR_PORT=str(port), PILAR_WEB_WORKERS="1", PILAR_WEB_THREADS="2"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pilar.cli", "serve", "--no-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    proxied = {
        "Host": "pilar.example.go.id",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "6.6.6.6, 198.51.100.7",
        "X-Request-ID": "proxy-id-1234",
    }
    try:
        for _ in range(240):
            try:
                page = ask(port, "/accounts/login/", proxied)
                break
            except OSError:
                time.sleep(0.25)
        assert page.status == 200
        assert page.headers["X-Request-ID"] == "proxy-id-1234"
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert "Secure" in page.headers["Set-Cookie"]
        # Plain http straight to gunicorn is sent to https; /healthz is not (monitoring).
        plain = ask(port, "/accounts/login/", {"Host": "pilar.example.go.id"})
        assert plain.status == 301
        assert plain.headers["Location"] == "https://pilar.example.go.id/accounts/login/"
        assert ask(port, "/healthz", {"Host": "127.0.0.1"}).status != 301
        # gunicorn's control socket: this installation's, in its data directory.
        socket_path = tmp_path / "gunicorn.ctl"
        assert stat.S_ISSOCK(socket_path.stat().st_mode)
        assert not (tmp_path / ".gunicorn").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        log = proc.stdout.read().decode()
        (line,) = [line for line in log.splitlines() if "proxy-id-1234" in line]
        assert line.startswith("198.51.100.7 ") and line.endswith(" proxy-id-1234")
        assert "6.6.6.6" not in log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert os.path.exists(tmp_path / "secret_key")
