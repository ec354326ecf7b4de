"""Outbox items from the phones, each accepted exactly once (docs/FIELD.md, "Sync: exactly
once").

An item is an activity, a follow-up done or a household note recorded on the phone, perhaps
with no signal, under an id the phone made. `accept` judges it by the server's own rules (the
same services and form parsing as the pages) and answers what the outbox shows: accepted, or
refused with the reason. What it made and its receipt are written in one transaction; a
refusal writes nothing, so the pillar may fix the item and send it again under the same id.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import uuid
from types import SimpleNamespace

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilar.audit.services import Actor
from pilar.casework import notes
from pilar.casework import services as casework
from pilar.casework.forms import ActivityForm
from pilar.casework.models import Activity, Caseload, Household
from pilar.casework.signals import groups_offered
from pilar.field.models import SyncReceipt
from pilar.lib import params
from pilar.lib.dates import long_date

# An item is a few fields and at most 1000 characters of notes; anything far larger is broken.
MAX_ITEM_CHARS = 64 * 1024
# A phone's clock this far from the server's is mentioned in the answer.
CLOCK_TOLERANCE = datetime.timedelta(minutes=10)
ACTIVITY_KEYS = [
    "date",
    "kind",
    "activity_type",
    "need_category",
    "kube_group",
    "notes",
    "follow_up_on",
    "latitude",
    "longitude",
    "keep_location",
]


class BadItem(Exception):
    """The `item` field is not an outbox item at all (not JSON, no id or type): answered 400,
    shown on the phone as refused and never sent again by itself."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Refused(Exception):
    """An item the server will not accept, with the reason by field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class OtherUser(Exception):
    """An item recorded on this phone by someone other than the signed-in user: not refused
    (its owner may still send it), only not taken under this user."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def parse_item(text: str | None) -> dict:
    """The outbox item in the request's `item` field: a JSON object with a UUID `id` and a
    `type`. Raises BadItem otherwise."""
    if not text or not text.strip():
        raise BadItem(_("The request has no item."))
    if len(text) > MAX_ITEM_CHARS:
        raise BadItem(_("The item is too large to be an outbox item."))
    try:
        item = json.loads(text)
    except (ValueError, RecursionError):
        raise BadItem(_("The item is not valid JSON.")) from None
    if not isinstance(item, dict):
        raise BadItem(_("The item is not a JSON object."))
    if not isinstance(item.get("id"), str) or not item.get("type"):
        raise BadItem(_("The item has no id or no type."))
    try:
        item["id"] = str(uuid.UUID(item["id"]))
    except ValueError:
        raise BadItem(_("The item's id is not a UUID.")) from None
    return item


def accept(*, by: Actor, item: dict, photo=None, sent_at: str | None = None) -> dict:
    """The answer to one outbox item (a dict from `parse_item`) sent by `by` (a signed-in
    pillar with a person record): accepted (new, or a duplicate of an item accepted before
    under the same id with the same content) or refused with the reasons, plus the server's
    date and time and, when the phone's clock looks wrong, a note saying so."""
    user = by.signed_in_user
    now = timezone.now()
    answer = {
        "id": item["id"],
        "server_date": timezone.localdate(now).isoformat(),
        "server_time": timezone.localtime(now).isoformat(timespec="seconds"),
    }
    note = clock_note(item.get("recorded_at"), sent_at, now)
    if note:
        answer["clock_note"] = note
    try:
        answer |= _accept(by, user, item, photo)
    except Refused as exc:
        answer |= refusal(exc.errors)
    except OtherUser as exc:
        answer |= {
            "status": "other_user",
            "errors": {exc.field: [exc.message]},
            "message": exc.message,
        }
    return answer


def refusal(errors: dict[str, list[str]]) -> dict:
    messages = [str(m) for field_errors in errors.values() for m in field_errors]
    return {
        "status": "refused",
        "errors": {field: [str(m) for m in msgs] for field, msgs in errors.items()},
        "message": messages[0] if messages else _("The item was refused."),
    }


def _accept(by: Actor, user, item: dict, photo) -> dict:
    _check_sender(user, item)
    kind = item.get("type")
    if kind not in SyncReceipt.Type.values:
        raise Refused({"type": [_("Unknown item type; the phone's page may be out of date.")]})
    data = item.get("data")
    if not isinstance(data, dict):
        raise Refused({"data": [_("The item holds no data.")]})
    _check_text(data)
    digest = payload_hash(item, photo)
    receipt = SyncReceipt.objects.filter(client_id=item["id"]).first()
    if receipt is not None:
        return _answer_again(receipt, user, digest)
    made = None
    try:
        with transaction.atomic():
            # The receipt first: a second send of the same id waits here for the first one's
            # transaction, then finds its receipt (docs/FIELD.md).
            receipt = SyncReceipt.objects.create(
                client_id=item["id"],
                user=user,
                type=kind,
                payload_sha256=digest,
                recorded_at=_recorded_at(item.get("recorded_at")),
            )
            made, url, message = HANDLERS[kind](by, user, data, photo)
            receipt.content_type = ContentType.objects.get_for_model(made)
            receipt.object_id = made.pk
            receipt.url = url
            receipt.save(update_fields=["content_type", "object_id", "url"])
    except IntegrityError:
        _drop_photo(made)
        receipt = SyncReceipt.objects.filter(client_id=item["id"]).first()
        if receipt is None:
            raise
        return _answer_again(receipt, user, digest)
    except ValidationError as exc:
        raise Refused(_errors_of(exc)) from None
    except Exception:
        _drop_photo(made)
        raise
    return {
        "status": "accepted",
        "duplicate": False,
        "url": url,
        "object_id": made.pk,
        "message": message,
    }


def _drop_photo(made) -> None:
    """A photo stored for an activity whose transaction was then rolled back goes too."""
    photo = getattr(made, "photo", None)
    if photo:
        photo.delete(save=False)


def _answer_again(receipt: SyncReceipt, user, digest: str) -> dict:
    """An id accepted before: the same answer when it is the same item, else a refusal."""
    if receipt.user_id != user.pk or receipt.payload_sha256 != digest:
        raise Refused(
            {
                "id": [
                    _(
                        "This item's id was already used for other content; nothing was saved. "
                        "Discard the item, or record it again."
                    )
                ]
            }
        )
    when = timezone.localtime(receipt.created_at)
    return {
        "status": "accepted",
        "duplicate": True,
        "url": receipt.url,
        "object_id": receipt.object_id,
        "message": _("Already received on %(day)s at %(time)s; nothing new was saved.")
        % {"day": long_date(when.date()), "time": when.strftime("%H:%M")},
    }


def _check_sender(user, item: dict) -> None:
    """The item was recorded by the signed-in user as their own person: an item left on a
    shared phone by someone else is never attached to whoever signs in next."""
    message = _("Recorded by another user on this phone; sign in as them to send it.")
    if not _same_id(item.get("user"), user.pk):
        raise OtherUser("user", message)
    if not _same_id(item.get("person"), user.person_id):
        raise OtherUser("person", message)


def _same_id(value, pk: int | None) -> bool:
    if pk is None or isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == pk
    return isinstance(value, str) and value.strip() == str(pk)


def _check_text(data: dict) -> None:
    """No control characters in any text of the item (no one types them; PostgreSQL cannot
    store NUL)."""

    def holds(value) -> bool:
        if isinstance(value, str):
            return "\x00" in value or params.has_control_characters(value)
        if isinstance(value, list):
            return any(holds(v) for v in value)
        if isinstance(value, dict):
            return any(holds(k) or holds(v) for k, v in value.items())
        return False

    for key, value in data.items():
        if holds(key) or holds(value):
            raise Refused(
                {
                    str(key)[:40]: [
                        _("%(field)s holds invisible control characters; type it again.")
                        % {"field": str(key)[:40]}
                    ]
                }
            )


def payload_hash(item: dict, photo) -> str:
    """The item's content (every field, the photo's bytes too): the same item sent again has
    the same hash; an item changed on the phone under the same id has another."""
    digest = hashlib.sha256()
    digest.update(json.dumps(item, sort_keys=True, ensure_ascii=False, default=str).encode())
    if photo:
        digest.update(b"\x00photo\x00")
        photo.seek(0)
        for chunk in photo.chunks():
            digest.update(chunk)
        photo.seek(0)
    return digest.hexdigest()


def _parse_datetime(value) -> datetime.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _recorded_at(value) -> datetime.datetime | None:
    """The phone's time of recording, kept when plausible (a phone whose clock was reset to
    1970 still syncs; its time is simply not kept)."""
    moment = _parse_datetime(value)
    if moment is None or not params.MIN_YEAR <= moment.year <= params.MAX_YEAR:
        return None
    return moment


def clock_note(recorded_at, sent_at, now: datetime.datetime) -> str:
    """A sentence when the phone's clock looks off by more than CLOCK_TOLERANCE, else "".

    The phone's time of sending (`sent_at`) is compared when the phone gives it: an item
    recorded offline days ago is not a wrong clock. Without it, only a time of recording
    ahead of the server's clock shows a wrong clock."""
    sent = _parse_datetime(sent_at)
    if sent is not None:
        off = sent - now
    else:
        recorded = _parse_datetime(recorded_at)
        if recorded is None or recorded <= now:
            return ""
        off = recorded - now
    seconds = abs(off.total_seconds())
    if not math.isfinite(seconds) or abs(off) <= CLOCK_TOLERANCE:
        return ""
    minutes = round(seconds / 60)
    if minutes < 90:
        amount = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    elif minutes < 48 * 60:
        hours = round(minutes / 60)
        amount = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    else:
        days = round(minutes / (24 * 60))
        amount = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    local = timezone.localtime(now)
    if off.total_seconds() > 0:
        text = _(
            "The phone's clock looks about %(amount)s ahead of the server's; dates were judged "
            "by the server's clock (%(day)s, %(time)s)."
        )
    else:
        text = _(
            "The phone's clock looks about %(amount)s behind the server's; dates were judged "
            "by the server's clock (%(day)s, %(time)s)."
        )
    return text % {
        "amount": amount,
        "day": long_date(local.date()),
        "time": local.strftime("%H:%M"),
    }


def _errors_of(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for m in ValidationError(errs).messages]
            for field, errs in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


def _future(field: str, day: datetime.date) -> Refused:
    today = casework.today()
    return Refused(
        {
            field: [
                _(
                    "%(day)s is after today's date on the server (%(today)s): the phone's clock "
                    "may be wrong. Check the date and send it again."
                )
                % {"day": long_date(day), "today": long_date(today)}
            ]
        }
    )


def _date(data: dict, field: str, *, required: bool = True) -> datetime.date | None:
    value = data.get(field)
    if value is None or value == "":
        if required:
            raise Refused({field: [_("Give the date.")]})
        return None
    if not isinstance(value, str):
        raise Refused({field: [_("Write the date as YYYY-MM-DD.")]})
    try:
        day = params.parse_date(value, field)
    except params.InputError as exc:
        raise Refused({field: [exc.message_text]}) from None
    if day > casework.today():
        raise _future(field, day)
    return day


def _id(data: dict, field: str) -> int:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise Refused({field: [_("Choose one; the item holds no valid id here.")]})
    try:
        return params.parse_id(value, field)
    except params.InputError as exc:
        raise Refused({field: [exc.message_text]}) from None


# --- the three kinds of item -----------------------------------------------------------------


def _form_value(field: str, value) -> str:
    """One value of the activity form as the page would post it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # nan and inf are refused by the form's number fields
    raise Refused({field: [_("This field holds one value, not a list.")]})


def _activity(by: Actor, user, data: dict, photo):
    """An activity, parsed by the page's own form (its messages) and recorded by
    `casework.services.activity_record` (its rules: a duty that day, an open month...)."""
    person = user.person
    post = QueryDict(mutable=True)
    for key in ACTIVITY_KEYS:
        if key in data:
            post[key] = _form_value(key, data[key])
    households = data.get("households") or []
    if not isinstance(households, list) or len(households) > params.MAX_IDS:
        raise Refused({"households": [_("Choose households from your caseload.")]})
    post.setlist("households", [_form_value("households", h) for h in households])
    # The day's duties give the form its choices (as the page's form on that day).
    day = _date(data, "date")
    duties = list(casework.active_duties(person, day))
    if not duties:
        raise Refused({"date": [notes.no_duty_message(person, day)]})
    ever = Caseload.objects.filter(person=person).values_list("household_id", flat=True)
    form = ActivityForm(
        post,
        MultiValueDict({"photo": [photo]}) if photo else None,
        person=person,
        households=[SimpleNamespace(pk=pk, label=str(pk)) for pk in set(ever)],
        duties=duties,
        groups=groups_offered(duties),
    )
    if not form.is_valid():
        raise Refused({field: [str(m) for m in errs] for field, errs in form.errors.items()})
    values = form.service_data()
    chosen = set(values["households"])
    current = set(
        Caseload.objects.filter(
            person=person, end_date__isnull=True, household__in=chosen
        ).values_list("household_id", flat=True)
    )
    gone = [h for h in Household.objects.filter(pk__in=chosen - current)]
    if gone:
        raise Refused(
            {
                "households": [
                    _(
                        "%(household)s is no longer in your caseload; record the activity "
                        "without it, or ask your coordinator."
                    )
                    % {"household": notes.household_label(h)}
                    for h in gone
                ]
            }
        )
    values["households"] = list(Household.objects.filter(pk__in=chosen))
    activity = casework.activity_record(
        by=by,
        person=person,
        data=values,
        photo=values.pop("photo", None),
        keep_location=values.pop("keep_location", False),
    )
    url = reverse("casework:activity-detail", args=[activity.pk])
    message = _("Saved: %(what)s on %(day)s.") % {
        "what": activity.activity_type.name,
        "day": activity.date.strftime("%d-%m-%Y"),
    }
    return activity, url, message


def _follow_up(by: Actor, user, data: dict, photo):
    """A follow-up done: on one of the pillar's own activities, by its id on the server or by
    the outbox id of the activity item that made it (sent and accepted before)."""
    value = data.get("activity")
    pk = None
    if isinstance(value, str) and "-" in value:
        try:
            client_id = uuid.UUID(value)
        except ValueError:
            client_id = None
        if client_id is not None:
            pk = (
                SyncReceipt.objects.filter(
                    client_id=client_id, user=user, type=SyncReceipt.Type.ACTIVITY
                )
                .values_list("object_id", flat=True)
                .first()
            )
            if pk is None:
                raise Refused(
                    {
                        "activity": [
                            _(
                                "The activity this follow-up belongs to has not reached the "
                                "server yet; send it first."
                            )
                        ]
                    }
                )
    if pk is None:
        pk = _id(data, "activity")
    activity = Activity.objects.filter(pk=pk, person_id=user.person_id).first()
    if activity is None:
        raise Refused(
            {"activity": [_("This activity is not one of yours, or it no longer exists.")]}
        )
    day = _date(data, "done_on")
    if activity.follow_up_done_on is not None:
        raise Refused(
            {
                "activity": [
                    _("This follow-up was already marked done on %(day)s.")
                    % {"day": long_date(activity.follow_up_done_on)}
                ]
            }
        )
    try:
        activity = casework.follow_up_done(by=by, activity=activity, day=day)
    except ValidationError as exc:
        errors = _errors_of(exc)
        if "follow_up_done_on" in errors:
            errors["done_on"] = errors.pop("follow_up_done_on")
        raise Refused(errors) from None
    url = reverse("casework:activity-detail", args=[activity.pk])
    return activity, url, _("Follow-up marked done.")


def _note(by: Actor, user, data: dict, photo):
    """A household note, by `casework.notes.household_note_add`."""
    pk = _id(data, "household")
    day = _date(data, "date")
    text = data.get("text")
    if text is not None and not isinstance(text, str):
        raise Refused({"text": [_("Write the note.")]})
    # Only a household this pillar has accompanied is looked at: any other id is answered alike,
    # naming no one (the refusals below name the household to the pillar who knows it).
    household = (
        Household.objects.filter(pk=pk, caseloads__person_id=user.person_id).distinct().first()
    )
    if household is None:
        raise Refused({"household": [_("Choose households from your caseload.")]})
    note = notes.household_note_add(
        by=by, person=user.person, household=household, data={"date": day, "text": text}
    )
    url = reverse("casework:household-detail", args=[household.pk]) + "#notes"
    return (
        note,
        url,
        _("Note saved for %(household)s.") % {"household": notes.household_label(household)},
    )


HANDLERS = {
    SyncReceipt.Type.ACTIVITY: _activity,
    SyncReceipt.Type.FOLLOW_UP: _follow_up,
    SyncReceipt.Type.NOTE: _note,
}
