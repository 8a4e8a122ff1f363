"""Routes of /ranking/ (see kehu/ranking/urls.py)."""

urlpatterns = []
