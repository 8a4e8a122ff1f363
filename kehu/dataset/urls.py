from django.urls import path

from kehu.dataset import views

app_name = "dataset"
urlpatterns = [
    path("import/", views.import_view, name="import"),
    path("import/confirm/", views.import_confirm_view, name="import-confirm"),
    path("import/template/", views.import_template_view, name="import-template"),
    path("export/", views.export_view, name="export"),
]
