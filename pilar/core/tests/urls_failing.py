"""The site's URLs plus a page that fails holding a person's data, for the error-report tests."""

from django.urls import path

from pilar.registry.models import Person
from pilar.urls import handler500  # noqa: F401 (the site's own error page)
from pilar.urls import urlpatterns as site


def fail(request, pk: int):
    person = Person.objects.get(pk=pk)  # a local variable full of personal data
    raise ValueError(f"could not file {person.name} ({person.nik}, {person.phone})")


urlpatterns = [path("failing/<int:pk>/", fail), *site]
