from django.urls import path  # noqa: F401

from pilar.trainings.certificate_urls import urlpatterns as certificate_patterns

app_name = "trainings"
# Courses, events, participants, attendance and results (pilar.trainings.views); certificates
# (pilar.trainings.certificate_views) have their own list.
urlpatterns: list = [
    *certificate_patterns,
]
