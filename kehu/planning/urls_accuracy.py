"""/planning/ pages: accuracy."""

urlpatterns: list = []
