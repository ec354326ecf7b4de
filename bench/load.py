"""Load: `pilar serve` on the demo, 20 and 100 concurrent clients on the logged-in pages against
the login page (the floor) in the same run; requests per second and p50/p95/p99 as JSON.

Builds the demo (`pilar demo --reset`) in its own data directory (var/bench-load, SQLite: the
single-machine setup the office runs), starts `pilar serve` on 127.0.0.1 with the worker model
asked for, signs in once as the demo's admin and drives each URL with `wrk` (Debian package
`wrk`) carrying that session cookie. wrk is a C event loop: on a two-core machine the client's
own CPU is taken from the server under test, and a Python client with 100 threads would eat
more of it than the pages it measures. A Lua script counts every answer that is not a 200 (a
redirect to the login page would otherwise pass for a fast page) and prints the figures.

Beside requests per second and latencies, which depend on whatever else the machine runs, each
run reports the server's CPU per request (user + system time of `pilar serve`'s process group,
over the requests of the run): the page's cost against the floor's, whatever the machine's load.

Budget (docs/PERFORMANCE.md, "Load"): at 20 clients every page serves at least 30 % of the
floor's requests per second, with a p99 under 500 ms.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "/accounts/login/"
PAGES = ["/api/v1/headcount", "/pillars/", "/households/", "/reports/", "/dashboard/"]
PASSWORD = "bench-load-Pw-2024"  # noqa: S105 (the bench's own demo database only)
BUDGET_SHARE = 0.30
BUDGET_P99_MS = 500

LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "not_200": %d, "socket_errors": %d, '
    .. '"timeouts": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pilar(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pilar.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def wait_until_up(base: str, proc: subprocess.Popen) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit("pilar serve stopped before answering")
        try:
            with urllib.request.urlopen(base + FLOOR, timeout=2) as r:  # noqa: S310 (http://127.0.0.1)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("pilar serve did not answer within two minutes")


def sign_in(base: str, username: str) -> str:
    """Sign in through the login form; the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + FLOOR) as r:
        html = r.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    headers = {"Referer": base + FLOOR}
    request = urllib.request.Request(base + FLOOR, data=body, headers=headers)  # noqa: S310
    with opener.open(request) as r:
        r.read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"could not sign in as {username}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def check_pages(base: str, cookie: str) -> dict[str, int]:
    """Every page answers 200 to the session (no redirect to the login page); its size."""
    sizes = {}
    opener = urllib.request.build_opener(NoRedirect)
    for path in [FLOOR, *PAGES]:
        # The login page is the floor as a visitor sees it (signed in, it redirects).
        headers = {} if path == FLOOR else {"Cookie": cookie}
        try:
            request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
            with opener.open(request) as r:
                sizes[path] = len(r.read())
        except urllib.error.HTTPError as e:
            raise SystemExit(f"{path} answered {e.code}, not 200") from None
    return sizes


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def run_wrk(
    url: str, *, clients: int, seconds: int, cookie: str, script: str, threads: int
) -> dict:
    command = ["wrk", f"-t{min(threads, clients)}", f"-c{clients}", f"-d{seconds}s"]
    command += ["--timeout", "10s", "-s", script, url]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON ") :])
    seconds_run = raw["duration_us"] / 1e6
    return {
        "req_s": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "requests": raw["requests"],
        "not_200": raw["not_200"],
        "socket_errors": raw["socket_errors"],
        "timeouts": raw["timeouts"],
    }


def session_expiries(env: dict) -> list[str]:
    """The expiry of every session: compared before and after the run, it shows whether the
    run wrote the session (the sliding expiry writes it at most every few minutes)."""
    out = pilar(
        "shell",
        "--no-imports",
        "-c",
        "from django.contrib.sessions.models import Session; "
        "print(*[d.isoformat() for d in Session.objects.values_list('expire_date', flat=True)])",
        env=env,
    ).stdout
    return out.split()


TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of group `pgid`: `pilar serve`,
    gunicorn and its workers, the task worker. Divided by the requests of a run it gives the
    server's CPU per request, which other work on the machine does not change (requests per
    second and latencies it does)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:  # the fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench-load")
    parser.add_argument("--seconds", type=int, default=60, help="per URL and client count (60)")
    parser.add_argument("--clients", default="20,100", help="comma-separated counts (20,100)")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated paths")
    parser.add_argument("--user", default="admin", help="demo user to sign in as (admin)")
    parser.add_argument("--workers", type=int, help="pilar serve --workers (its default)")
    parser.add_argument("--threads", type=int, help="pilar serve --threads (its default)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk's own threads (1)")
    parser.add_argument("--no-demo", action="store_true", help="reuse the demo already loaded")
    parser.add_argument("--label", default="", help="a note kept in the JSON (the machine's state)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    pages = [p for p in args.pages.split(",") if p]
    counts = [int(c) for c in args.clients.split(",") if c]

    args.data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PILAR_DATA_DIR": str(args.data_dir.resolve())}
    env.pop("DATABASE_URL", None)  # the demo's own SQLite file, never another database
    env["PILAR_LOG_LEVEL"] = "ERROR"
    if not args.no_demo:
        log("loading the demo …")
        pilar("demo", "--reset", "--password", PASSWORD, env=env)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    if args.workers:
        serve += ["--workers", str(args.workers)]
    if args.threads:
        serve += ["--threads", str(args.threads)]
    log(f"pilar {' '.join(serve)}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pilar.cli", *serve],
        env=env,
        stdout=subprocess.DEVNULL,  # the access log: a line per request
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    results: dict = {}
    try:
        wait_until_up(base, proc)
        cookie = sign_in(base, args.user)
        sizes = check_pages(base, cookie)
        expiry_before = session_expiries(env)
        load_before = load_average()
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(LUA)
            script = f.name
        for clients in counts:
            row = {}
            for path in [FLOOR, *pages]:
                log(f"{clients} clients × {args.seconds} s: {path}")
                cpu_before = group_cpu_seconds(proc.pid)
                row[path] = run_wrk(
                    base + path,
                    clients=clients,
                    seconds=args.seconds,
                    cookie="" if path == FLOOR else cookie,
                    script=script,
                    threads=args.wrk_threads,
                )
                cpu = group_cpu_seconds(proc.pid) - cpu_before
                row[path]["server_cpu_ms_per_request"] = round(
                    1000 * cpu / max(row[path]["requests"], 1), 2
                )
                row[path]["share_of_floor"] = round(row[path]["req_s"] / row[FLOOR]["req_s"], 2)
                row[path]["cpu_share_of_floor"] = round(
                    row[FLOOR]["server_cpu_ms_per_request"]
                    / max(row[path]["server_cpu_ms_per_request"], 0.01),
                    2,
                )
                row[path]["bytes"] = sizes[path]
                log(f"  {json.dumps(row[path])}")
            results[str(clients)] = row
        os.unlink(script)
        check_pages(base, cookie)  # still signed in after the run
        expiry_after = session_expiries(env)
        load_after = load_average()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)

    budget = {}
    if "20" in results:
        for path in pages:
            figures = results["20"][path]
            budget[path] = {
                "share_ok": figures["share_of_floor"] >= BUDGET_SHARE,
                "p99_ok": figures["p99_ms"] < BUDGET_P99_MS,
                "answers_ok": figures["not_200"] == 0 and figures["socket_errors"] == 0,
            }
    print(
        json.dumps(
            {
                "bench": "load",
                "label": args.label,
                "server": {"workers": args.workers, "threads": args.threads},
                "seconds": args.seconds,
                "user": args.user,
                "load_average_before": load_before,
                "load_average_after": load_after,
                "nproc": os.cpu_count(),
                "session_expiry_before": expiry_before,
                "session_expiry_after": expiry_after,
                "results": results,
                "budget_at_20": budget,
                "within_budget": all(all(v.values()) for v in budget.values()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
