"""/planning/ pages: targets."""

urlpatterns: list = []
