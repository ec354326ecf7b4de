"""`after`: an action with no form of its own goes back to its page when it went through (a
redirect), and answers 400 with the refusal and a link back when it was refused."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from pilar.lib.views import after, attempt

REFUSAL = "The batch was approved already; nothing to approve."


def _post(rf):
    request = rf.post("/action/")
    request.user = AnonymousUser()
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    return request


def _refuse():
    raise ValidationError(REFUSAL)


@pytest.mark.django_db
def test_a_refused_action_answers_400_with_its_message_once_and_a_link_back(rf):
    request = _post(rf)
    with translation.override("en"):
        response = after(request, attempt(request, _refuse, success="Approved."), "home")
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count(REFUSAL) == 1
    assert 'role="alert"' in html
    assert f'<a class="button primary" href="{reverse("home")}">Back to the page</a>' in html
    assert "Approved." not in html


@pytest.mark.django_db
def test_an_action_that_went_through_goes_back_to_its_page(rf):
    request = _post(rf)
    response = after(request, attempt(request, lambda: 1, success="Approved."), "home")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert [str(m) for m in get_messages(request)] == ["Approved."]
