import io

import pytest
from django.core.management import call_command

from pilar.accounts.models import ApiToken, LoginFailure
from pilar.tests_support import PASSWORD


def post_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_page_is_indonesian_even_when_the_browser_asks_for_english(client, reference):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page.headers["Content-Language"] == "id"


def test_wrong_password_message_and_throttle(client, actors, settings):
    settings.PILAR_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        page = post_login(client, "operator1", "wrong")
        assert page.status_code == 200
    assert LoginFailure.objects.filter(username="operator1").count() == 3
    # Now even the right password is refused until the window passes.
    page = post_login(client, "operator1", PASSWORD)
    assert page.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "15" in page.content.decode()  # the minutes to wait


def test_successful_login_clears_failures(client, actors):
    post_login(client, "operator1", "wrong")
    response = post_login(client, "operator1", PASSWORD)
    assert response.status_code == 302
    assert not LoginFailure.objects.filter(username="operator1").exists()


def test_language_choice_is_stored_on_the_user(client, actors):
    client.login(username="operator1", password=PASSWORD)
    client.post("/accounts/language/", {"language": "en", "next": "/pillars/"})
    actors["operator"].refresh_from_db()
    assert actors["operator"].language == "en"
    assert client.get("/pillars/").headers["Content-Language"] == "en"


def test_token_create_prints_token_last_and_stores_only_its_hash(actors, client):
    out = io.StringIO()
    call_command("token", "create", "operator1", "--name", "script", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.startswith("pilar_") and " " not in raw
    token = ApiToken.objects.get()
    assert raw not in (token.digest, token.prefix) and token.digest != raw
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/people", **auth).status_code == 200
    assert client.get("/api/v1/people", HTTP_AUTHORIZATION="Bearer pilar_wrong").status_code == 401
    actors["operator"].language = "en"
    actors["operator"].save()
    error = client.post(
        "/api/v1/people",
        {"nik": "1", "name": "X", "sex": "L", "birth_date": "1990-01-01"},
        content_type="application/json",
        **auth,
    ).json()
    assert "16 digits" in error["message"]  # the token user chose English
    call_command("token", "revoke", token.prefix, stdout=io.StringIO())
    response = client.get("/api/v1/people", **auth)
    assert response.status_code == 401
    assert "Bearer" in response.json()["message"]


def test_token_for_unknown_user_fails(reference):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("token", "create", "nobody", stdout=io.StringIO())
