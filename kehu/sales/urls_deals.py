"""Routes included by kehu/sales/urls.py under the "sales" namespace."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
