"""/planning/ pages: review."""

urlpatterns: list = []
