from django.urls import path

from pilar.verivali.views import field

app_name = "verivali"
urlpatterns: list = [
    # In the field (pilar/verivali/views/field.py): the pillar's phone and the review.
    path("my/", field.my_visits, name="my"),
    path("visits/<int:pk>/", field.visit_detail, name="visit"),
    path("rounds/<int:pk>/propose/", field.visit_propose, name="propose"),
    path("review/", field.review, name="review"),
    path("findings/<int:pk>/accept/", field.finding_accept, name="finding-accept"),
    path("findings/<int:pk>/return/", field.finding_return, name="finding-return"),
    path("findings/<int:pk>/photo/", field.finding_photo, name="finding-photo"),
]
