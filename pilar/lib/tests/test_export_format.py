"""Every list refuses a download format it does not make in the same words, naming the field
(pilar.lib.exports.export_format), where some lists used to show the page and ignore it."""

import pytest

from pilar.tests_support import english_messages, login

english = pytest.fixture(autouse=True, name="english")(english_messages)

LISTS = [
    "/pillars/",
    "/headcount/",
    "/kube/",
    "/households/",
    "/activities/",
    "/tagana/",
    "/trainings/",
    "/equipment/",
    "/stipends/arrears/",
    "/audit/",
    "/imports/",
]


@pytest.mark.parametrize("url", LISTS)
def test_an_unknown_format_is_refused_by_name(client, actors, url):
    login(client, actors["admin"])
    assert client.get(url).status_code == 200
    page = client.get(url, {"format": "pdf"})
    assert page.status_code == 400
    text = page.content.decode()
    assert "Unknown format; use xlsx or csv." in text and "format" in text
