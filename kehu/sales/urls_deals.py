"""Routes included by kehu/sales/urls.py under the "sales" namespace: the opportunity page,
quotes and their approval. A route about one record keeps its id right after its kind
segment ("opportunities/<pk>/", "quotes/<pk>/", "customers/<pk>/") for the visibility walker."""

from django.urls import path

from kehu.sales import views_deals as views

urlpatterns: list = [
    path("opportunities/<int:pk>/", views.opportunity_detail_view, name="opportunity-detail"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit_view, name="opportunity-edit"),
    path("customers/<int:pk>/quotes/new/", views.quote_create_view, name="quote-create"),
    path("quotes/", views.quote_list_view, name="quote-list"),
    path("quotes/approvals/", views.quote_approvals_view, name="quote-approvals"),
    path("quotes/<int:pk>/", views.quote_detail_view, name="quote-detail"),
    path("quotes/<int:pk>/edit/", views.quote_edit_view, name="quote-edit"),
    path("quotes/<int:pk>/submit/", views.quote_submit_view, name="quote-submit"),
    path("quotes/<int:pk>/decide/", views.quote_decide_view, name="quote-decide"),
    path("quotes/<int:pk>/status/", views.quote_status_view, name="quote-status"),
]
