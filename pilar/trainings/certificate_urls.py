"""Certificate pages under /trainings/ (the public verification page is /c/<code>/)."""

urlpatterns: list = []
