"""The browser's side of web push, written for the tests from the RFCs' steps and independent of
pilar/lib/webpush.py: a subscription's keys made as a browser makes them, the decryption a
browser does (RFC 8291 section 3.4, RFC 8188 section 2, with plain HMAC instead of the HKDF
class the sender uses), and the push service's check of the VAPID header (RFC 8292)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def unb64(text: str) -> bytes:
    text = "".join(text.split())
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hkdf_expand_one_block(prk: bytes, info: bytes, length: int) -> bytes:
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()[:length]


def decrypt(body: bytes, ua_private: ec.EllipticCurvePrivateKey, auth: bytes) -> bytes:
    """What a browser does with a push message's body (one aes128gcm record)."""
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    as_public_bytes = body[21 : 21 + idlen]
    record = body[21 + idlen :]
    assert idlen == 65 and len(record) <= rs
    as_public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public_bytes)
    ua_public_bytes = ua_private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    ecdh_secret = ua_private.exchange(ec.ECDH(), as_public)
    prk_key = hmac.new(auth, ecdh_secret, hashlib.sha256).digest()
    key_info = b"WebPush: info\x00" + ua_public_bytes + as_public_bytes
    ikm = hkdf_expand_one_block(prk_key, key_info, 32)
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    cek = hkdf_expand_one_block(prk, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = hkdf_expand_one_block(prk, b"Content-Encoding: nonce\x00", 12)
    padded = AESGCM(cek).decrypt(nonce, record, None)
    unpadded = padded.rstrip(b"\x00")
    # RFC 8291 section 4: the delimiter of the single (last) record must be 0x02.
    assert unpadded.endswith(b"\x02"), "padding delimiter"
    return unpadded[:-1]


@dataclass
class Phone:
    """A browser's push subscription: its P-256 key pair and 16-octet auth secret."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    @property
    def p256dh(self) -> str:
        return b64(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription(self, endpoint: str) -> dict:
        """As PushSubscription.toJSON() gives it."""
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64(self.auth)},
        }

    def read(self, body: bytes) -> dict:
        return json.loads(decrypt(body, self.key, self.auth))


def check_vapid(authorization: str, *, now: int) -> dict:
    """The push service's check: the header's form, the JWT's ES256 signature by key k, and its
    claims. Returns the claims and the public key; raises AssertionError or InvalidSignature."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    token, k = values["t"], values["k"]
    head, claims, signature = token.split(".")
    assert json.loads(unb64(head)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64(signature)
    assert len(raw) == 64
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(k))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    body = json.loads(unb64(claims))
    assert now < body["exp"] <= now + 24 * 3600
    return {**body, "k": k}


__all__ = ["InvalidSignature", "Phone", "b64", "check_vapid", "decrypt", "unb64"]
