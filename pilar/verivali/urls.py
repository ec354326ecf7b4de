app_name = "verivali"
urlpatterns: list = []
