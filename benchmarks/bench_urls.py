"""The project's URLs plus a bare view, the baseline every benchmark ratio is taken against."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_patterns


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/bare/", bare)] + project_patterns
