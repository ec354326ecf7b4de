from django.urls import path

from pilar.verivali.views import field, office

app_name = "verivali"
urlpatterns: list = [
    # The office (pilar/verivali/views/office.py): rounds, progress, visits, results.
    path("", office.round_list, name="round-list"),
    path("new/", office.round_create, name="round-create"),
    path("<int:pk>/", office.round_detail, name="round-detail"),
    path("<int:pk>/visits/", office.round_visits, name="round-visits"),
    path("<int:pk>/close/", office.round_close, name="round-close"),
    path("<int:pk>/results.xlsx", office.round_results, name="round-results"),
    path("visits/<int:pk>/assign/", office.visit_assign, name="visit-assign"),
    # In the field (pilar/verivali/views/field.py): the pillar's phone and the review.
    path("my/", field.my_visits, name="my"),
    path("visits/<int:pk>/", field.visit_detail, name="visit"),
    path("rounds/<int:pk>/propose/", field.visit_propose, name="propose"),
    path("review/", field.review, name="review"),
    path("findings/<int:pk>/accept/", field.finding_accept, name="finding-accept"),
    path("findings/<int:pk>/return/", field.finding_return, name="finding-return"),
    path("findings/<int:pk>/photo/", field.finding_photo, name="finding-photo"),
]
