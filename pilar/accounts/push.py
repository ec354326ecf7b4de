"""Web push for Pilar's users (docs/NOTICES.md, "Web push"): the server's VAPID key, the phones'
subscriptions, and `send_to_user`, the one call the reminders make to reach a user's phones.

The standards' work (signing, encryption, the POST) is in pilar/lib/webpush.py; this module
decides which key, which devices and which push services."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.models import PushSubscription, User
from pilar.lib import webpush

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "vapid-private.pem"
# The payload the service worker (pilar/static/pilar/sw-push.js) reads, as JSON, at most this
# many octets: well inside what every push service carries (RFC 8291 section 4: 3993).
MAX_PAYLOAD = 3 * 1024
# How long a push service keeps a message for a phone that is off or out of signal: two days,
# long enough for a pillar back from a desa without coverage; the in-app notice stays anyway.
TTL_SECONDS = 2 * 24 * 3600


# ---- The server's key -------------------------------------------------------------------------


def _key_from_file(path: Path):
    """The key kept in the data directory, made on first use. Several server processes may start
    at once: the file is written aside and linked into place, so none reads a half-written key
    and the first one written wins."""
    if not path.exists():
        key = webpush.generate_private_key()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(webpush.private_key_pem(key))
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return webpush.load_private_key(path.read_bytes())


@lru_cache(maxsize=4)
def _load_key(configured: str, path: str):
    if configured:
        return webpush.load_private_key(configured)
    return _key_from_file(Path(path))


def vapid_key():
    """The server's VAPID private key: PILAR_VAPID_PRIVATE_KEY, else the data directory's file."""
    return _load_key(settings.PILAR_VAPID_PRIVATE_KEY, str(settings.DATA_DIR / KEY_FILE_NAME))


def public_key() -> str:
    """What a browser passes to pushManager.subscribe() as applicationServerKey (base64url)."""
    return webpush.public_key_b64(vapid_key())


# ---- Subscriptions ----------------------------------------------------------------------------


class SubscriptionError(ValueError):
    """A subscription the server refuses; `field` names the part of the JSON at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SubscriptionData:
    endpoint: str
    p256dh: str
    auth: str


def endpoint_allowed(endpoint: str) -> bool:
    return webpush.endpoint_allowed(endpoint, settings.PILAR_PUSH_HOSTS)


def _endpoint(data: dict) -> str:
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise SubscriptionError("endpoint", _("endpoint: the push address is missing."))
    endpoint = endpoint.strip()
    max_length = PushSubscription._meta.get_field("endpoint").max_length
    if len(endpoint) > max_length:
        raise SubscriptionError(
            "endpoint",
            _("endpoint: the push address is longer than %(max)s characters.")
            % {"max": max_length},
        )
    if not endpoint_allowed(endpoint):
        raise SubscriptionError(
            "endpoint",
            _(
                "endpoint: the push address is not an https address of a known browser push "
                "service; Pilar sends notifications to those only."
            ),
        )
    return endpoint


def parse_subscription(data: object) -> SubscriptionData:
    """A browser's PushSubscription.toJSON(), checked: an allowed push service, a P-256 public
    key on the curve, a 16-octet auth secret. Raises SubscriptionError naming the field."""
    if not isinstance(data, dict):
        raise SubscriptionError("body", _("The body must be the subscription as a JSON object."))
    endpoint = _endpoint(data)
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise SubscriptionError("keys", _("keys: the subscription's keys are missing."))
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    try:
        webpush.load_public_key(webpush.b64url_decode(p256dh if isinstance(p256dh, str) else ""))
    except ValueError:
        raise SubscriptionError(
            "keys.p256dh",
            _("keys.p256dh: not a P-256 public key (65 octets, base64url)."),
        ) from None
    try:
        auth_ok = len(webpush.b64url_decode(auth if isinstance(auth, str) else "")) == 16
    except ValueError:
        auth_ok = False
    if not auth_ok:
        raise SubscriptionError(
            "keys.auth", _("keys.auth: not an authentication secret (16 octets, base64url).")
        )
    return SubscriptionData(endpoint=endpoint, p256dh=p256dh.strip(), auth=auth.strip())


def push_subscription_save(
    *, user: User, data: SubscriptionData, user_agent: str = ""
) -> tuple[PushSubscription, bool]:
    """Keep a browser's subscription for `user`. The same endpoint again updates its row (a
    browser renews its keys); an endpoint another user had moves to this one (the phone
    changed hands: the previous user's notices must stop coming to it). Returns (row, created)."""
    with transaction.atomic():
        subscription, created = PushSubscription.objects.update_or_create(
            endpoint=data.endpoint,
            defaults={
                "user": user,
                "p256dh": data.p256dh,
                "auth": data.auth,
                "user_agent": user_agent[:300],
            },
        )
    return subscription, created


def endpoint_digests(user: User) -> list[str]:
    """SHA-256 (hex) of the endpoints of the user's subscribed browsers."""
    endpoints = PushSubscription.objects.filter(user=user).values_list("endpoint", flat=True)
    return sorted(hashlib.sha256(endpoint.encode()).hexdigest() for endpoint in endpoints)


def push_subscription_delete(*, user: User, endpoint: str) -> int:
    """Forget this user's subscription at `endpoint` (another user's is left alone). Returns how
    many rows went (0 or 1)."""
    deleted, _detail = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted


# ---- Sending ----------------------------------------------------------------------------------


def payload_for(*, title: str, body: str, url: str, tag: str) -> bytes:
    """The JSON the service worker shows, at most MAX_PAYLOAD octets: a long body is shortened
    (the notice in Pilar keeps the whole text). `url` is a path on this site."""
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError(f"a notification opens a path on this site, not {url!r}")

    def encode(body_text: str) -> bytes:
        message = {"title": title, "body": body_text, "url": url, "tag": tag}
        return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()

    payload = encode(body)
    while len(payload) > MAX_PAYLOAD and body:
        body = body[: max(0, len(body) - (len(payload) - MAX_PAYLOAD) - 1)].rstrip()
        payload = encode(body + "…" if body else "")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("the title, url and tag alone exceed a push message")
    return payload


def _deliver(subscription: PushSubscription, payload: bytes, *, topic: str) -> bool:
    """One device. True when the push service took the message; a device it says is gone is
    deleted; anything else is logged and left for the next reminder."""
    if not endpoint_allowed(subscription.endpoint):
        # PILAR_PUSH_HOSTS was narrowed after this phone subscribed.
        logger.warning("push: subscription %s: push service no longer allowed", subscription.pk)
        return False
    try:
        body = webpush.encrypt(
            payload,
            webpush.b64url_decode(subscription.p256dh),
            webpush.b64url_decode(subscription.auth),
        )
        authorization = webpush.vapid_authorization(
            subscription.endpoint, vapid_key(), subject=settings.PILAR_VAPID_SUBJECT
        )
        answer = webpush.send(
            subscription.endpoint,
            body,
            authorization=authorization,
            ttl=TTL_SECONDS,
            topic=topic,
        )
    except webpush.PushError as error:
        logger.warning("push: subscription %s unreachable: %s", subscription.pk, error)
        return False
    except ValueError as error:
        # Keys that no longer decode (a row edited by hand): the device cannot be reached.
        logger.warning("push: subscription %s has unusable keys: %s", subscription.pk, error)
        return False
    if answer.accepted:
        PushSubscription.objects.filter(pk=subscription.pk).update(last_ok_at=timezone.now())
        return True
    if answer.gone:
        logger.info("push: subscription %s is gone (%s), removed", subscription.pk, answer.status)
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        return False
    logger.warning(
        "push: subscription %s refused with %s %s", subscription.pk, answer.status, answer.reason
    )
    return False


def send_to_user(user: User, *, title: str, body: str, url: str, tag: str) -> int:
    """Send a notification to every device `user` turned notifications on for. Returns how many
    push services took it (0 when the user has none, or none could be reached). Never raises for
    the network: a failure is logged and counts as not reached. Devices the push service says
    are gone (404, 410) are forgotten. `tag` names the reminder: a newer notification of the same
    tag replaces the older one, on the phone and while waiting at the push service."""
    payload = payload_for(title=title, body=body, url=url, tag=tag)
    topic = webpush.topic_for(tag) if tag else ""
    if not user.is_active:
        return 0
    reached = 0
    for subscription in PushSubscription.objects.filter(user=user).order_by("pk"):
        try:
            reached += _deliver(subscription, payload, topic=topic)
        except Exception:  # a reminders' run goes on to the next device and the next user
            logger.exception("push: subscription %s failed", subscription.pk)
    return reached
