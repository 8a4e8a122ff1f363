"""Selling routes, under /sales/ (config/urls.py). A route about one record keeps its id right
after its kind segment ("opportunities/<pk>/", "quotes/<pk>/", "customers/<pk>/") so the
visibility walker knows what the <pk> names."""

from django.urls import path

from kehu.sales.views import opportunities, pipeline, quotes

app_name = "sales"
urlpatterns = [
    path("pipeline/", pipeline.pipeline_view, name="pipeline"),
    path("pipeline/column/", pipeline.pipeline_column_view, name="pipeline-column"),
    path("opportunities/", opportunities.opportunity_list_view, name="opportunity-list"),
    path("opportunities/new/", opportunities.opportunity_create_view, name="opportunity-create"),
    path("opportunities/<int:pk>/", opportunities.opportunity_detail_view, name="opportunity-detail"),
    path("opportunities/<int:pk>/edit/", opportunities.opportunity_edit_view, name="opportunity-edit"),
    path("opportunities/<int:pk>/move/", pipeline.opportunity_move_view, name="opportunity-move"),
    path("customers/<int:pk>/quotes/new/", quotes.quote_create_view, name="quote-create"),
    path("quotes/", quotes.quote_list_view, name="quote-list"),
    path("quotes/approvals/", quotes.quote_approvals_view, name="quote-approvals"),
    path("quotes/<int:pk>/", quotes.quote_detail_view, name="quote-detail"),
    path("quotes/<int:pk>/edit/", quotes.quote_edit_view, name="quote-edit"),
    path("quotes/<int:pk>/submit/", quotes.quote_submit_view, name="quote-submit"),
    path("quotes/<int:pk>/decide/", quotes.quote_decide_view, name="quote-decide"),
    path("quotes/<int:pk>/status/", quotes.quote_status_view, name="quote-status"),
]
