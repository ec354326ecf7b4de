from django.urls import path

from pilar.tagana import views

app_name = "tagana"
urlpatterns = [
    path("", views.event_list, name="event-list"),
    path("events/new/", views.event_create, name="event-create"),
    path("events/<int:pk>/", views.event_detail, name="event-detail"),
    path("events/<int:pk>/deployments/", views.deployment_add, name="deployment-add"),
    path("events/<int:pk>/log/", views.log_add, name="log-add"),
    path("events/<int:pk>/close/", views.event_close, name="event-close"),
    path("deployments/<int:pk>/end/", views.deployment_end, name="deployment-end"),
    # Corrections: an amending or reversing entry with a reason (docs/CASEWORK.md).
    path("deployments/<int:pk>/correct/", views.deployment_correct, name="deployment-correct"),
    path("deployments/<int:pk>/reverse/", views.deployment_reverse, name="deployment-reverse"),
    path("roster/", views.roster_view, name="roster"),
]
