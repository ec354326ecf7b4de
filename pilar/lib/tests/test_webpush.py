"""pilar/lib/webpush.py against the standards' own examples and an independent receiver."""

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from pilar.lib import webpush
from pilar.lib.tests.pushphone import InvalidSignature, Phone, check_vapid, decrypt, unb64

# RFC 8291, section 5 ("Push Message Encryption Example") and appendix A ("Intermediate Values
# for Encryption"); the RFC prints the base64url values wrapped, the whitespace is not part of
# them.
RFC8291 = {
    "plaintext": "V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24",
    "as_public": "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIg"
    "Dll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
    "as_private": "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
    "ua_public": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcx"
    "aOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
    "ua_private": "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
    "salt": "DGv6ra1nlYgDCS1FRnbzlw",
    "auth_secret": "BTBZMqHH6r4Tts7J_aSIgg",
    # The 86-octet header, and the ciphertext AES-GCM emits: two base64url strings in the RFC.
    "header": "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml"
    "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
    "ciphertext": "8pfeW0KbunFT06SuDKoJH9Ql87S1QUrdirN6GcG7sFz1y1sqLgVi1VhjVkHsUoEsbI_0LpXMuGvnzQ",
    # Section 5: the whole body as the example POST carries it.
    "body": "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml"
    "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT"
    "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
}


def test_encryption_reproduces_rfc8291s_example_octet_for_octet():
    sender = webpush.load_private_key(RFC8291["as_private"])
    assert webpush.public_key_b64(sender) == RFC8291["as_public"]
    body = webpush.encrypt(
        unb64(RFC8291["plaintext"]),
        unb64(RFC8291["ua_public"]),
        unb64(RFC8291["auth_secret"]),
        salt=unb64(RFC8291["salt"]),
        sender_key=sender,
    )
    assert body == unb64(RFC8291["header"]) + unb64(RFC8291["ciphertext"])
    assert body == unb64(RFC8291["body"])
    # 86 + 41 + 1 + 16 octets. (The example's "Content-Length: 145" is one too many: the body
    # it prints decodes to these 144 octets.)
    assert len(body) == 144


def test_the_independent_receiver_reads_the_rfcs_example():
    ua_private = webpush.load_private_key(RFC8291["ua_private"])
    plaintext = decrypt(unb64(RFC8291["body"]), ua_private, unb64(RFC8291["auth_secret"]))
    assert plaintext == b"When I grow up, I want to be a watermelon"


def test_a_random_message_is_read_by_the_phone_it_was_for_and_no_other():
    phone, other = Phone(), Phone()
    body = webpush.encrypt(b'{"title":"Laporan"}', unb64(phone.p256dh), phone.auth)
    assert phone.read(body) == {"title": "Laporan"}
    # Fresh salt and sender key each time: the same message never looks the same twice.
    assert body != webpush.encrypt(b'{"title":"Laporan"}', unb64(phone.p256dh), phone.auth)
    with pytest.raises(Exception):  # noqa: B017 (AES-GCM's InvalidTag)
        other.read(body)


def test_a_key_off_the_curve_or_malformed_is_refused():
    phone = Phone()
    point = bytearray(unb64(phone.p256dh))
    point[-1] ^= 1  # no longer on P-256
    with pytest.raises(ValueError):
        webpush.encrypt(b"x", bytes(point), phone.auth)
    with pytest.raises(ValueError):
        webpush.encrypt(b"x", unb64(phone.p256dh)[:33], phone.auth)
    with pytest.raises(ValueError):
        webpush.encrypt(b"x", unb64(phone.p256dh), b"short")
    with pytest.raises(ValueError):
        webpush.encrypt(b"x" * (webpush.MAX_PLAINTEXT + 1), unb64(phone.p256dh), phone.auth)


def test_vapid_header_is_an_es256_jwt_for_the_push_services_origin():
    key = webpush.generate_private_key()
    now = int(time.time())
    header = webpush.vapid_authorization(
        "https://fcm.googleapis.com:443/fcm/send/abc?x=1", key, subject="mailto:a@b.go.id", now=now
    )
    claims = check_vapid(header, now=now)
    assert claims["aud"] == "https://fcm.googleapis.com"
    assert claims["sub"] == "mailto:a@b.go.id"
    assert claims["exp"] - now == 12 * 3600
    assert claims["k"] == webpush.public_key_b64(key)


def test_a_vapid_token_signed_by_another_key_fails_the_check():
    key, other = webpush.generate_private_key(), webpush.generate_private_key()
    now = int(time.time())
    header = webpush.vapid_authorization("https://web.push.apple.com/x", key, subject="mailto:a@b")
    forged = header.split(", k=")[0] + ", k=" + webpush.public_key_b64(other)
    with pytest.raises(InvalidSignature):
        check_vapid(forged, now=now)
    with pytest.raises(ValueError):
        webpush.vapid_token("https://web.push.apple.com/x", key, subject="x", lifetime=25 * 3600)


def test_keys_load_from_pem_or_base64url_and_survive_the_round_trip():
    key = webpush.generate_private_key()
    for text in (webpush.private_key_pem(key).decode(), webpush.private_key_b64(key)):
        assert webpush.public_key_b64(webpush.load_private_key(text)) == webpush.public_key_b64(key)
    for bad in ("", "not a key!", webpush.private_key_b64(key)[:20]):
        with pytest.raises(ValueError):
            webpush.load_private_key(bad)
    rsa_like = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ValueError):
        webpush.load_private_key(webpush.private_key_pem(rsa_like))


ALLOWED = ["fcm.googleapis.com", "*.notify.windows.com", "http://127.0.0.1:8123"]


@pytest.mark.parametrize(
    ("endpoint", "allowed"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", True),
        ("https://FCM.googleapis.com/wp/abc", True),
        ("https://wns2-par02p.notify.windows.com/w/?token=x", True),
        ("http://127.0.0.1:8123/push/1", True),
        # Plain http to an allowed name, the wrong port, look-alike hosts, credentials.
        ("http://fcm.googleapis.com/fcm/send/abc", False),
        ("http://127.0.0.1:8124/push/1", False),
        ("https://127.0.0.1:8123/push/1", False),
        ("https://fcm.googleapis.com.evil.example/x", False),
        ("https://evilfcm.googleapis.com/x", False),
        ("https://notify.windows.com.example/x", False),
        ("https://user:pw@fcm.googleapis.com/x", False),
        ("https://10.0.0.5/x", False),
        ("https://fcm.googleapis.com:99999/x", False),
        ("https://fcm.googleapis.com:443/x", True),
        ("https://fcm.googleapis.com:22/x", False),
        ("https://fcm.googleapis.com:0/x", False),
        ("https://fcm.googleapis.com/x\r\nX: y", False),
        ("https://fcm.googleapis.com/x y", False),
        ("https://fcm.goo\tgleapis.com/x", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_only_allowed_push_services_are_reachable(endpoint, allowed):
    assert webpush.endpoint_allowed(endpoint, ALLOWED) is allowed


def test_topic_is_32_characters_of_the_base64url_alphabet():
    topic = webpush.topic_for("report-due:2026-11")
    assert len(topic) == 32 and topic == webpush.topic_for("report-due:2026-11")
    assert set(topic) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
