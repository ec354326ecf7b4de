from django.urls import path

from pilar.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("read-all/", views.notices_read_all, name="read-all"),
    path("settings/", views.notice_settings, name="settings"),
    path("<int:pk>/open/", views.notice_open, name="open"),
    path("<int:pk>/read/", views.notice_read, name="read"),
    path("<int:pk>/unread/", views.notice_unread, name="unread"),
]
