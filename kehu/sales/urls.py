"""Selling routes, under /sales/ (config/urls.py). A route about one opportunity keeps its id
right after "opportunities/" so the visibility walker knows what the <pk> names."""

from django.urls import include, path

from kehu.sales import views

app_name = "sales"
urlpatterns = [
    path("pipeline/", views.pipeline_view, name="pipeline"),
    path("opportunities/", views.opportunity_list_view, name="opportunity-list"),
    path("opportunities/new/", views.opportunity_create_view, name="opportunity-create"),
    path("opportunities/<int:pk>/move/", views.opportunity_move_view, name="opportunity-move"),
    # opportunity pages, quotes and their approval (views_deals.py)
    path("", include("kehu.sales.urls_deals")),
]
