from django.urls import path

from pilar.trainings import views
from pilar.trainings.certificates.urls import urlpatterns as certificate_patterns

app_name = "trainings"
# Courses, events, participants, attendance and results (pilar.trainings.views); certificates
# (pilar.trainings.certificates) have their own list.
urlpatterns: list = [
    path("", views.event_list, name="event-list"),
    path("courses/", views.course_list, name="course-list"),
    path("courses/new/", views.course_create, name="course-create"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course-edit"),
    path("events/new/", views.event_create, name="event-create"),
    path("events/<int:pk>/", views.event_detail, name="event-detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="event-edit"),
    path("events/<int:pk>/invite/", views.participant_invite, name="participant-invite"),
    path(
        "events/<int:pk>/participants/<int:pid>/remove/",
        views.participant_remove,
        name="participant-remove",
    ),
    path("events/<int:pk>/attendance/<str:day>/", views.attendance, name="attendance"),
    path("events/<int:pk>/results/", views.results, name="results"),
    path("mine/", views.mine, name="mine"),
    path("requirements/", views.requirements, name="requirements"),
    *certificate_patterns,
]
