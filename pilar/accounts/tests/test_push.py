"""Web push end to end on the server: the key, a phone's subscription, and `send_to_user`
against a real HTTP server on 127.0.0.1 playing the push service, which checks the VAPID
header as a push service does and decrypts the message as the phone would."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from pilar.accounts import push
from pilar.accounts.models import PushSubscription
from pilar.lib import webpush
from pilar.lib.tests.pushphone import Phone, check_vapid
from pilar.tests_support import PASSWORD, english_messages

english = pytest.fixture(autouse=True, name="english")(english_messages)


class PushService:
    """A push service on 127.0.0.1: keeps every request, answers with `status`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                service.requests.append(
                    {"path": self.path, "headers": self.headers, "body": self.rfile.read(length)}
                )
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service():
    running = PushService()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def push_settings(settings, tmp_path, service):
    settings.DATA_DIR = tmp_path
    settings.PILAR_VAPID_PRIVATE_KEY = ""
    settings.PILAR_VAPID_SUBJECT = "mailto:dinsos@bukittinggi.example"
    settings.PILAR_PUSH_HOSTS = [*settings.PILAR_PUSH_HOSTS, service.origin]
    return settings


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def subscribe(client, body):
    return client.post(
        "/accounts/push/subscribe/",
        json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 10) Chrome/120 Mobile",
    )


# ---- The key ----------------------------------------------------------------------------------


def test_the_key_is_made_once_kept_private_in_the_data_dir_and_served(client, actors, tmp_path):
    signed_in(client, actors["pillar"])
    first = client.get("/accounts/push/key")
    assert first.status_code == 200
    key = first.json()["key"]
    assert len(webpush.b64url_decode(key)) == 65
    kept = tmp_path / "vapid-private.pem"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert webpush.public_key_b64(webpush.load_private_key(kept.read_bytes())) == key
    push._load_key.cache_clear()  # a restarted server reads the same file
    assert client.get("/accounts/push/key").json()["key"] == key
    assert [p.name for p in tmp_path.iterdir()] == ["vapid-private.pem"]


def test_a_key_from_the_environment_is_used_instead(client, actors, settings, tmp_path):
    key = webpush.generate_private_key()
    settings.PILAR_VAPID_PRIVATE_KEY = webpush.private_key_b64(key)
    signed_in(client, actors["operator"])
    assert client.get("/accounts/push/key").json()["key"] == webpush.public_key_b64(key)
    assert not (tmp_path / "vapid-private.pem").exists()


# ---- Subscribing ------------------------------------------------------------------------------


def test_a_phone_subscribes_and_a_second_subscribe_updates_it(client, actors, service):
    pillar = actors["pillar"]
    signed_in(client, pillar)
    phone = Phone()
    answer = subscribe(client, phone.subscription(service.endpoint("a")))
    assert answer.status_code == 200
    assert answer.json() == {"status": "subscribed", "created": True}
    row = PushSubscription.objects.get()
    assert (row.user, row.endpoint, row.p256dh) == (pillar, service.endpoint("a"), phone.p256dh)
    assert "Android" in row.user_agent and row.last_ok_at is None

    renewed = Phone()  # the browser renewed its keys for the same endpoint
    answer = subscribe(client, renewed.subscription(service.endpoint("a")))
    assert answer.json() == {"status": "subscribed", "created": False}
    assert PushSubscription.objects.get().p256dh == renewed.p256dh


def test_an_endpoint_taken_over_moves_to_the_user_signed_in(client, actors, service):
    phone = Phone()
    subscribe(signed_in(client, actors["pillar"]), phone.subscription(service.endpoint("shared")))
    other = signed_in(Client(), actors["coordinator_a"])
    assert subscribe(other, phone.subscription(service.endpoint("shared"))).status_code == 200
    assert PushSubscription.objects.get().user == actors["coordinator_a"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: "{not json", "body"),
        (lambda s: [s], "body"),
        (lambda s: {**s, "endpoint": ""}, "endpoint"),
        (lambda s: {**s, "endpoint": 42}, "endpoint"),
        # Not a push service: the office's network, plain http, another host.
        (lambda s: {**s, "endpoint": "https://10.0.0.5/push/1"}, "endpoint"),
        (lambda s: {**s, "endpoint": "http://fcm.googleapis.com/fcm/send/x"}, "endpoint"),
        (lambda s: {**s, "endpoint": "https://fcm.googleapis.com.evil.example/x"}, "endpoint"),
        (lambda s: {**s, "endpoint": "https://fcm.googleapis.com/" + "x" * 2000}, "endpoint"),
        (lambda s: {**s, "keys": None}, "keys"),
        (lambda s: {**s, "keys": {**s["keys"], "p256dh": "AAAA"}}, "keys.p256dh"),
        (lambda s: {**s, "keys": {**s["keys"], "p256dh": "B" + "A" * 86}}, "keys.p256dh"),
        (lambda s: {**s, "keys": {**s["keys"], "p256dh": None}}, "keys.p256dh"),
        (lambda s: {**s, "keys": {**s["keys"], "auth": "c2hvcnQ"}}, "keys.auth"),
        (lambda s: {**s, "keys": {**s["keys"], "auth": "!!"}}, "keys.auth"),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field(client, actors, change, field):
    signed_in(client, actors["pillar"])
    good = Phone().subscription("https://fcm.googleapis.com/fcm/send/abc")
    answer = subscribe(client, change(good))
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == [field]
    assert answer.json()["message"].startswith(field if field != "body" else "The body")
    assert not PushSubscription.objects.exists()


def test_the_refusal_is_in_the_users_language(client, actors):
    actors["pillar"].language = "id"
    actors["pillar"].save()
    signed_in(client, actors["pillar"])
    answer = subscribe(client, Phone().subscription("https://10.0.0.5/push/1"))
    assert "endpoint" in answer.json()["message"]
    assert "alamat" in answer.json()["message"]


def test_signed_out_wrong_method_and_no_csrf_token(actors, service):
    body = Phone().subscription(service.endpoint("a"))
    anonymous = Client()
    answer = subscribe(anonymous, body)
    assert answer.status_code == 401
    assert answer.json()["status"] == "signed_out"
    assert answer.json()["login_url"] == "/accounts/login/"
    assert anonymous.get("/accounts/push/subscribe/").status_code == 405
    assert anonymous.get("/accounts/push/key").status_code == 302

    strict = Client(enforce_csrf_checks=True)
    signed_in(strict, actors["pillar"])
    assert subscribe(strict, body).status_code == 403
    strict.get("/accounts/push/key")  # sets no cookie; a page does: take the token as push.js
    token = strict.get("/pillars/").cookies.get("csrftoken") or strict.cookies.get("csrftoken")
    answer = strict.post(
        "/accounts/push/subscribe/",
        json.dumps(body),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token.value,
    )
    assert answer.status_code == 200
    assert not PushSubscription.objects.exclude(user=actors["pillar"]).exists()


def test_unsubscribe_removes_only_the_users_own(client, actors, service):
    phone, theirs = Phone(), Phone()
    subscribe(signed_in(Client(), actors["operator"]), theirs.subscription(service.endpoint("op")))
    signed_in(client, actors["pillar"])
    subscribe(client, phone.subscription(service.endpoint("mine")))
    answer = client.post(
        "/accounts/push/unsubscribe/",
        {"endpoint": service.endpoint("op")},
        content_type="application/json",
    )
    assert answer.json() == {"status": "unsubscribed", "removed": 0}
    answer = client.post(
        "/accounts/push/unsubscribe/",
        phone.subscription(service.endpoint("mine")),
        content_type="application/json",
    )
    assert answer.json() == {"status": "unsubscribed", "removed": 1}
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        service.endpoint("op")
    ]
    bad = client.post("/accounts/push/unsubscribe/", "[]", content_type="application/json")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["endpoint"]


def test_signing_out_turns_this_browsers_notifications_off(client, actors, service):
    subscribe(signed_in(Client(), actors["pillar"]), Phone().subscription(service.endpoint("b")))
    signed_in(client, actors["pillar"])
    subscribe(client, Phone().subscription(service.endpoint("a")))
    assert client.post("/accounts/logout/").status_code == 302
    # The browser signed out no longer gets the pillar's reminders; their other phone does.
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        service.endpoint("b")
    ]


# ---- Sending ----------------------------------------------------------------------------------


def subscribed(user, phone: Phone, endpoint: str) -> PushSubscription:
    data = push.parse_subscription(phone.subscription(endpoint))
    return push.push_subscription_save(user=user, data=data)[0]


NOTICE = {
    "title": "Laporan bulanan jatuh tempo",
    "body": "Laporan November dikirim paling lambat 10 Desember.",
    "url": "/reports/mine/",
    "tag": "report-due:2026-11",
}


def test_send_to_user_reaches_each_of_their_phones_encrypted_and_signed(actors, service):
    pillar = actors["pillar"]
    phones = {"a": Phone(), "b": Phone()}
    for name, phone in phones.items():
        subscribed(pillar, phone, service.endpoint(name))
    subscribed(actors["operator"], Phone(), service.endpoint("someone-else"))
    now = int(time.time())

    assert push.send_to_user(pillar, **NOTICE) == 2

    assert sorted(r["path"] for r in service.requests) == ["/push/a", "/push/b"]
    for request in service.requests:
        headers = request["headers"]
        assert headers["Content-Encoding"] == "aes128gcm"
        assert headers["TTL"] == str(push.TTL_SECONDS)
        assert headers["Urgency"] == "normal"
        assert headers["Topic"] == webpush.topic_for(NOTICE["tag"])
        claims = check_vapid(headers["Authorization"], now=now)
        assert claims["aud"] == service.origin
        assert claims["sub"] == "mailto:dinsos@bukittinggi.example"
        assert claims["k"] == push.public_key()
        phone = phones[request["path"].rsplit("/", 1)[1]]
        assert phone.read(request["body"]) == NOTICE
        assert NOTICE["body"].encode() not in request["body"]
    assert all(s.last_ok_at for s in PushSubscription.objects.filter(user=pillar))
    assert PushSubscription.objects.get(user=actors["operator"]).last_ok_at is None


@pytest.mark.parametrize("status", [404, 410])
def test_a_phone_the_push_service_says_is_gone_is_forgotten(actors, service, status):
    subscribed(actors["pillar"], Phone(), service.endpoint("a"))
    service.status = status
    assert push.send_to_user(actors["pillar"], **NOTICE) == 0
    assert len(service.requests) == 1
    assert not PushSubscription.objects.exists()


def test_another_refusal_keeps_the_phone_for_the_next_reminder(actors, service, caplog):
    subscribed(actors["pillar"], Phone(), service.endpoint("a"))
    service.status = 429
    with caplog.at_level(logging.WARNING, logger="pilar.accounts.push"):
        assert push.send_to_user(actors["pillar"], **NOTICE) == 0
    assert PushSubscription.objects.get().last_ok_at is None
    assert "429" in caplog.text


def test_a_push_service_that_cannot_be_reached_gives_0_and_never_raises(actors, settings, caplog):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PILAR_PUSH_HOSTS = [*settings.PILAR_PUSH_HOSTS, f"http://127.0.0.1:{port}"]
    subscribed(actors["pillar"], Phone(), f"http://127.0.0.1:{port}/push/a")
    with caplog.at_level(logging.WARNING, logger="pilar.accounts.push"):
        assert push.send_to_user(actors["pillar"], **NOTICE) == 0
    assert "unreachable" in caplog.text
    assert PushSubscription.objects.count() == 1


def test_a_push_service_no_longer_allowed_is_not_posted_to(actors, service, settings):
    subscribed(actors["pillar"], Phone(), service.endpoint("a"))
    settings.PILAR_PUSH_HOSTS = ["fcm.googleapis.com"]
    assert push.send_to_user(actors["pillar"], **NOTICE) == 0
    assert service.requests == []


def test_no_phone_no_request_and_an_inactive_user_gets_nothing(actors, service):
    assert push.send_to_user(actors["pillar"], **NOTICE) == 0
    subscribed(actors["pillar"], Phone(), service.endpoint("a"))
    actors["pillar"].is_active = False
    actors["pillar"].save()
    assert push.send_to_user(actors["pillar"], **NOTICE) == 0
    assert service.requests == []


def test_a_long_body_is_shortened_to_fit_and_the_url_stays_on_the_site(actors, service):
    phone = Phone()
    subscribed(actors["pillar"], phone, service.endpoint("a"))
    long_body = "Rumah tangga Ibu Siti menunggu tindak lanjut. " * 200
    assert push.send_to_user(actors["pillar"], **{**NOTICE, "body": long_body}) == 1
    body = service.requests[0]["body"]
    shown = phone.read(body)
    assert shown["body"].endswith("…") and long_body.startswith(shown["body"][:-1])
    assert len(json.dumps(shown, ensure_ascii=False, separators=(",", ":")).encode()) <= 3072
    for url in ("https://evil.example/", "//evil.example/x", "reports/"):
        with pytest.raises(ValueError):
            push.send_to_user(actors["pillar"], **{**NOTICE, "url": url})


def test_the_key_answers_in_few_queries_however_many_phones(
    client, actors, service, django_assert_max_num_queries
):
    for name in "abcdef":
        subscribed(actors["pillar"], Phone(), service.endpoint(name))
    signed_in(client, actors["pillar"])
    client.get("/accounts/push/key")  # the key is made and kept once
    with django_assert_max_num_queries(4):
        answer = client.get("/accounts/push/key")
    assert len(answer.json()["mine"]) == 6


def test_a_form_post_instead_of_json_is_refused_naming_the_body(client, actors):
    signed_in(client, actors["pillar"])
    for path in ("/accounts/push/subscribe/", "/accounts/push/unsubscribe/"):
        answer = client.post(path, {"endpoint": "https://fcm.googleapis.com/fcm/send/x"})
        assert answer.status_code == 400
    assert not PushSubscription.objects.exists()
