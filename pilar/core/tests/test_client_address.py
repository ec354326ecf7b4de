"""The client's address comes from a proxy's X-Forwarded-For only when the request came from a
trusted proxy (PILAR_TRUSTED_PROXIES); login throttling and the audit log read it from there."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from pilar.accounts.models import LoginFailure
from pilar.audit.models import AuditEntry
from pilar.lib.clientip import client_ip, parse_networks
from pilar.tests_support import PASSWORD

PROXY = "127.0.0.1"


def address(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


def test_without_trusted_proxies_a_forwarded_header_is_ignored(settings):
    settings.PILAR_TRUSTED_PROXIES = []
    assert address("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert address(PROXY, "198.51.100.1") == PROXY


def test_a_forged_header_from_an_untrusted_address_is_ignored(settings):
    settings.PILAR_TRUSTED_PROXIES = [PROXY, "10.0.0.0/8"]
    assert address("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert address("203.0.113.9", PROXY) == "203.0.113.9"


def test_from_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(settings):
    settings.PILAR_TRUSTED_PROXIES = [PROXY, "10.0.0.0/8"]
    assert address(PROXY, "198.51.100.1") == "198.51.100.1"
    # What the client wrote itself lies to the left of what our proxies appended.
    assert address(PROXY, "1.2.3.4, 198.51.100.1") == "198.51.100.1"
    assert address(PROXY, "1.2.3.4, 198.51.100.1, 10.1.2.3") == "198.51.100.1"
    assert address(PROXY, "198.51.100.1:51234") == "198.51.100.1"
    assert address(PROXY, "[2001:db8::7]:443") == "2001:db8::7"
    assert address("::ffff:127.0.0.1", "::ffff:198.51.100.1") == "198.51.100.1"
    # No header, or nothing but rubbish in it: the proxy itself, never the rubbish.
    assert address(PROXY) == PROXY
    assert address(PROXY, "") == PROXY
    assert address(PROXY, "unknown, <script>") == PROXY
    assert address(PROXY, "x" * 100_000) == PROXY
    assert address(PROXY, "198.51.100.1, not-an-ip, 10.0.0.1") == "10.0.0.1"
    # Only trusted hops: the furthest one.
    assert address(PROXY, "10.0.0.5, 10.0.0.1") == "10.0.0.5"


def test_a_malformed_trusted_proxy_fails_loudly():
    with pytest.raises(ImproperlyConfigured, match="PILAR_TRUSTED_PROXIES"):
        parse_networks(["127.0.0.1", "localhost"])


def post_login(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_throttling_behind_a_proxy_counts_each_real_client(client, actors, settings):
    """One attacker behind the proxy is locked out by address; a colleague behind the same proxy
    still signs in, and the audit log names each one's own address."""
    settings.PILAR_TRUSTED_PROXIES = [PROXY]
    settings.PILAR_LOGIN_MAX_FAILURES = 2  # ×4 per address: 8
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for n in range(8):
        post_login(client, f"guess{n}", "wrong", **attacker)
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"198.51.100.66"}
    page = post_login(client, "operator1", PASSWORD, **attacker)
    assert page.status_code == 200  # locked: the address used up its tries
    colleague = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert post_login(client, "operator1", PASSWORD, **colleague).status_code == 302
    failed = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED)
    assert set(failed.values_list("ip", flat=True)) == {"198.51.100.66"}


@pytest.mark.django_db
def test_a_forged_header_does_not_escape_the_throttle(client, actors, settings):
    """Without a trusted proxy, a new X-Forwarded-For on every try changes nothing: the
    address counted is the connection's."""
    settings.PILAR_TRUSTED_PROXIES = []
    settings.PILAR_LOGIN_MAX_FAILURES = 2
    for n in range(8):
        forged = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"}
        post_login(client, f"guess{n}", "wrong", **forged)
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"203.0.113.9"}
    forged = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.200"}
    assert post_login(client, "operator1", PASSWORD, **forged).status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_ipv6_client_rotating_addresses_within_its_64_is_still_locked(client, actors, settings):
    """A phone or home router is given a whole /64: a new address for each guess is the same
    client. Another /64 is another client and still signs in."""
    settings.PILAR_LOGIN_MAX_FAILURES = 2  # ×4 per address: 8
    for n in range(8):
        post_login(client, f"guess{n}", "wrong", REMOTE_ADDR=f"2001:db8:7:1::{n + 1:x}")
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"2001:db8:7:1::"}
    rotated = post_login(client, "operator1", PASSWORD, REMOTE_ADDR="2001:db8:7:1:ffff::9")
    assert rotated.status_code == 200  # locked: the /64 used up its tries
    elsewhere = post_login(client, "operator1", PASSWORD, REMOTE_ADDR="2001:db8:7:2::1")
    assert elsewhere.status_code == 302
