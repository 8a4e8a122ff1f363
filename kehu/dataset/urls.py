from django.http import HttpResponse
from django.urls import path

app_name = "dataset"


def _todo(request):
    return HttpResponse("todo")


urlpatterns = [
    path("import/", _todo, name="import"),
    path("export/", _todo, name="export"),
]
