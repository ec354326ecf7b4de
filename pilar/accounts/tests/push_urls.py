"""The project's URLs plus what the web push browser test needs before the offline app's own
service worker is there: a worker at /field/sw.js that only imports sw-push.js (as the offline
app's worker does, among its other work), and a page holding the switch."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from pilar.urls import urlpatterns as project_urlpatterns

PAGE = (
    '{% extends "base.html" %}{% block title %}Push{% endblock %}'
    '{% block content %}<section class="card"><h1>Push</h1>'
    '{% include "accounts/_push_toggle.html" %}</section>{% endblock %}'
)


def worker(request):
    response = HttpResponse(
        "importScripts('/static/pilar/sw-push.js');\n", content_type="text/javascript"
    )
    response["Service-Worker-Allowed"] = "/"
    return response


@login_required
def page(request):
    return HttpResponse(engines["django"].from_string(PAGE).render({}, request))


urlpatterns = [
    path("field/sw.js", worker),
    path("push-test/", page),
    *project_urlpatterns,
]
