import datetime
import io
import json
import uuid

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pilar.casework.tests.conftest import caseload, home_visit, make_household  # noqa: F401
from pilar.tests_support import english_messages

D = datetime.date
# The tests run on 20 November 2024, 17:00 in Bukittinggi (as casework's tests do).
NOW = datetime.datetime(2024, 11, 20, 10, tzinfo=datetime.UTC)

english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture(autouse=True)
def november_2024():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def english_users(actors):
    from pilar.accounts.models import User

    User.objects.update(language="en")


@pytest.fixture
def make_item(actors, home_visit, caseload):  # noqa: F811
    """An outbox item as the phone makes it, recorded by the `pillar` user (a1)."""

    def make(type_="activity", data=None, user=None, **extra):
        user = user or actors["pillar"]
        if data is None:
            data = {
                "date": "2024-11-18",
                "activity_type": home_visit.pk,
                "households": [caseload["h1"].pk],
                "notes": "Lansia sakit, perlu rujukan",
                "follow_up_on": "2024-11-25",
                "latitude": "",
                "longitude": "",
            }
        return {
            "id": str(uuid.uuid4()),
            "type": type_,
            "user": user.pk,
            "person": user.person_id,
            "recorded_at": "2024-11-18T09:30:00+07:00",
            "data": data,
            **extra,
        }

    return make


def send(client, item, photo=None, **fields):
    """POST one item as the phone does (multipart: `item`, optional `photo`)."""
    body = {"item": item if isinstance(item, str) else json.dumps(item), **fields}
    if photo is not None:
        body["photo"] = photo
    return client.post("/field/sync/", body)


def jpeg(size=(800, 600)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG")
    return SimpleUploadedFile("IMG_1.jpg", out.getvalue(), content_type="image/jpeg")
