"""/planning/ pages: forecast."""

urlpatterns: list = []
