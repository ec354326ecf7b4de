"""Web push without a third-party service library: VAPID, message encryption and sending.

Three standards, each small enough to write out (docs/NOTICES.md, "Web push"):
- RFC 8292 (VAPID): the application server signs a short JWT (ES256) naming the push service's
  origin (`aud`), an expiry within 24 hours (`exp`) and a contact (`sub`); the push service
  checks it against the public key the browser subscribed with.
- RFC 8291 with the `aes128gcm` content coding of RFC 8188: the payload is encrypted for the
  browser's key (`p256dh`) and authentication secret (`auth`), so the push service carries it
  without reading it.
- RFC 8030: one POST per message, with TTL, Urgency and optionally Topic.

Pure: imports nothing of Pilar's apps, reads no settings. `pilar.accounts.push` decides who gets
what and which hosts may be reached.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# RFC 8291 section 4: a push service need not take more than 4096 octets of body; one record of
# this size holds the 86-octet header's message and leaves 3993 octets of plaintext.
RECORD_SIZE = 4096
MAX_PLAINTEXT = RECORD_SIZE - 86 - 1 - 16
# RFC 8292 section 2: `exp` no more than 24 hours ahead.
VAPID_MAX_SECONDS = 24 * 3600


class PushError(Exception):
    """The push service could not be reached (no answer, refused, timed out, bad TLS)."""


_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; also takes the standard alphabet, as some browsers'
    older subscriptions did. Raises ValueError on anything else."""
    text = "".join(text.split())
    if not text or any(c not in _B64_CHARS for c in text):
        raise ValueError("not base64url")
    text = text.rstrip("=").replace("+", "-").replace("/", "_")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as error:  # binascii.Error is one
        raise ValueError("not base64url") from error


# ---- Keys -------------------------------------------------------------------------------------


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The raw 32-octet private value, base64url: the form VAPID tools print, one line for an
    environment file."""
    return b64url_encode(key.private_numbers().private_value.to_bytes(32, "big"))


def load_private_key(text: str | bytes) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM (PKCS#8 or SEC 1) or from the raw 32 octets in base64url.
    Raises ValueError when it is neither."""
    raw = text.encode() if isinstance(text, str) else text
    if raw.strip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_private_key(raw.strip(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("the key is not a P-256 (prime256v1) key")
        return key
    value = b64url_decode(raw.decode("ascii", errors="replace"))
    if len(value) != 32:
        raise ValueError("a raw VAPID private key is 32 octets in base64url")
    return ec.derive_private_key(int.from_bytes(value, "big"), ec.SECP256R1())


def public_key_bytes(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """The uncompressed point (65 octets starting 0x04), as browsers take applicationServerKey."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url_encode(public_key_bytes(key))


def load_public_key(point: bytes) -> ec.EllipticCurvePublicKey:
    """A browser's p256dh: 65 octets, uncompressed, on the curve (RFC 8291 section 7: a key not
    on the curve must be refused). Raises ValueError."""
    if len(point) != 65 or point[0] != 4:
        raise ValueError("p256dh must be an uncompressed P-256 point (65 octets)")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


# ---- Endpoints --------------------------------------------------------------------------------


def origin_of(endpoint: str) -> str:
    """The push service's origin, VAPID's `aud`: scheme://host[:port], the default port left out."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


def endpoint_allowed(endpoint: str, allowed: list[str] | tuple[str, ...]) -> bool:
    """An endpoint is https on port 443 of a host of `allowed` (a name, or `*.domain` for its
    subdomains), with no control character or space;
    an entry written as a whole origin (`http://127.0.0.1:8123`) allows exactly that origin,
    plain http included (a push service of one's own, or a test's)."""
    # No control character or space anywhere: urlsplit would drop some of them silently.
    if any(ord(c) <= 32 or ord(c) == 127 for c in endpoint):
        return False
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return False
    if not host or parts.username or parts.password:
        return False
    origin = origin_of(endpoint)
    for entry in allowed:
        entry = entry.strip().lower().rstrip("/")
        if "://" in entry:
            if origin == entry:
                return True
        elif (
            parts.scheme == "https"
            and port in (None, 443)
            and (host == entry or (entry.startswith("*.") and fnmatchcase(host, entry)))
        ):
            return True
    return False


# ---- VAPID (RFC 8292) -------------------------------------------------------------------------


def vapid_token(
    endpoint: str,
    key: ec.EllipticCurvePrivateKey,
    *,
    subject: str,
    now: int | None = None,
    lifetime: int = 12 * 3600,
) -> str:
    """The signed JWT for one push service: ES256 over `header.claims`, the signature as the raw
    r‖s pair (JWS, RFC 7515 appendix A.3), not DER."""
    if not 0 < lifetime <= VAPID_MAX_SECONDS:
        raise ValueError("a VAPID token lives at most 24 hours")
    issued = int(time.time()) if now is None else now
    header = {"typ": "JWT", "alg": "ES256"}
    claims = {"aud": origin_of(endpoint), "exp": issued + lifetime, "sub": subject}
    signing_input = (
        b64url_encode(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    )
    der = key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return signing_input + "." + b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def vapid_authorization(
    endpoint: str, key: ec.EllipticCurvePrivateKey, *, subject: str, now: int | None = None
) -> str:
    """The Authorization header's value: `vapid t=<JWT>, k=<public key>` (RFC 8292 section 3)."""
    token = vapid_token(endpoint, key, subject=subject, now=now)
    return f"vapid t={token}, k={public_key_b64(key)}"


# ---- Encryption (RFC 8291, RFC 8188 aes128gcm) -------------------------------------------------


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def encrypt(
    plaintext: bytes,
    p256dh: bytes,
    auth: bytes,
    *,
    salt: bytes | None = None,
    sender_key: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """The body of one push message: the aes128gcm header (salt, record size, the sender's
    one-off public key) and one record holding the plaintext, its padding delimiter 0x02 and
    the GCM tag. `salt` and `sender_key` are random unless given (RFC 8291's own example gives
    both; nothing else should)."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"a push message holds at most {MAX_PLAINTEXT} octets")
    if len(auth) != 16:
        raise ValueError("auth must be 16 octets")
    ua_public = load_public_key(p256dh)
    salt = secrets.token_bytes(16) if salt is None else salt
    if len(salt) != 16:
        raise ValueError("the salt is 16 octets")
    sender_key = generate_private_key() if sender_key is None else sender_key
    as_public = public_key_bytes(sender_key)

    ecdh_secret = sender_key.exchange(ec.ECDH(), ua_public)
    # RFC 8291 section 3.3: the ECDH secret and the auth secret combined into the IKM...
    key_info = b"WebPush: info\x00" + p256dh + as_public
    ikm = _hkdf(auth, ecdh_secret, key_info, 32)
    # ...from which RFC 8188 section 2.2 and 2.3 derive the content key and the nonce.
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    # One record, so its sequence number is 0 and the nonce is used as derived; the last (and
    # only) record ends with the delimiter 0x02 and no further padding.
    record = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    header = salt + RECORD_SIZE.to_bytes(4, "big") + bytes([len(as_public)]) + as_public
    return header + record


# ---- Sending (RFC 8030) -----------------------------------------------------------------------


@dataclass(frozen=True)
class PushResponse:
    status: int
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """The subscription has expired or was withdrawn (RFC 8030 section 7.3)."""
        return self.status in (404, 410)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A push service answers, it does not send us elsewhere: a redirect could point at any host,
    the office's own network included, so none is followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def topic_for(tag: str) -> str:
    """RFC 8030 section 5.4: a Topic is at most 32 characters of the base64url alphabet. A
    message waiting at the push service is replaced by a newer one of the same topic."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(tag.encode())
    return b64url_encode(digest.finalize())[:32]


def send(
    endpoint: str,
    body: bytes,
    *,
    authorization: str,
    ttl: int,
    urgency: str = "normal",
    topic: str = "",
    timeout: float = 10.0,
) -> PushResponse:
    """POST one encrypted message. Any answer of the push service is returned (the caller reads
    201 as delivered, 404/410 as gone); no answer at all raises PushError."""
    if urgency not in {"very-low", "low", "normal", "high"}:
        raise ValueError(f"unknown urgency {urgency!r}")
    headers = {
        "Authorization": authorization,
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(max(0, int(ttl))),
        "Urgency": urgency,
    }
    if topic:
        headers["Topic"] = topic
    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")  # noqa: S310 (the caller allows only https push services' hosts)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return PushResponse(response.status, response.reason or "")
    except urllib.error.HTTPError as error:
        with error:
            return PushResponse(error.code, str(error.reason or ""))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise PushError(str(getattr(error, "reason", error))) from error


if __name__ == "__main__":  # pragma: no cover
    # `python -m pilar.lib.webpush`: a new VAPID private key for PILAR_VAPID_PRIVATE_KEY.
    print(private_key_b64(generate_private_key()))
