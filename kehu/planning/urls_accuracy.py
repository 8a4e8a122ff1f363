"""/planning/ pages: accuracy."""

from django.urls import path

from kehu.planning.views import accuracy

urlpatterns: list = [
    path("accuracy/", accuracy.accuracy, name="accuracy"),
]
