app_name = "dtsen"
urlpatterns: list = []
