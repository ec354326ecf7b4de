"""`pilar serve` runs the real stack (manifest static, gunicorn, worker) and stops on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "PILAR_DATA_DIR": str(tmp_path), "PILAR_WEB_WORKERS": "1"}
    env.pop("DATABASE_URL", None)  # its own SQLite file: never the test database
    proc = subprocess.Popen(
        [sys.executable, "-m", "pilar.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = ""
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:
                    body = r.read().decode()
                    css = [line for line in body.splitlines() if "pilar/pilar." in line]
                break
            except OSError:
                time.sleep(0.25)
        assert "Masuk" in body or "csrfmiddlewaretoken" in body
        # The stylesheet link points at a hashed, collected file that WhiteNoise serves.
        href = css[0].split('href="')[1].split('"')[0]
        assert href != "/static/pilar/pilar.css"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{href}") as r:
            assert r.status == 200
        # Certificate codes someone checked never reach the output: neither gunicorn's access
        # log nor Django's warnings (a refused POST, an unrouted API path).
        checks = [
            ("GET", "/c/K7QXM3RT9A/"),
            ("HEAD", "/c/K7QXM3RT9C/"),
            ("POST", "/c/K7QXM3RT9D/"),
            ("GET", "/c/?code=K7QX-M3RT-9B"),
            ("GET", "/api/v1/certificates/verify/Q9W8E7R6T5"),
            ("GET", "/api/v1/certificates/verify/Q9W8E7R6T6/"),
        ]
        for method, path in checks:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
            try:
                urllib.request.urlopen(request)  # noqa: S310 (http, built above)
            except urllib.error.HTTPError as e:
                assert e.code in {403, 404}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        log = proc.stdout.read().decode()
        assert '"GET /c/…/ HTTP/1.1" 404' in log and '"HEAD /c/…/ HTTP/1.1" 404' in log
        assert '"POST /c/…/ HTTP/1.1" 403' in log and '"GET /c/?… HTTP/1.1"' in log
        assert "/api/v1/certificates/verify/…" in log
        for code in ("K7QX", "M3RT", "Q9W8E7R6T"):
            assert code not in log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
