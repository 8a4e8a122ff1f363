"""Routes of /integrations/: the webhook pages (admin only)."""

from django.urls import path

from kehu.integrations import views

app_name = "integrations"
urlpatterns = [
    path("webhooks/", views.subscription_list_view, name="subscription-list"),
    path("webhooks/new/", views.subscription_create_view, name="subscription-create"),
    path("webhooks/subscriptions/<int:pk>/", views.subscription_edit_view, name="subscription-edit"),
    path("webhooks/subscriptions/<int:pk>/rotate/", views.subscription_rotate_view, name="subscription-rotate"),
    path("webhooks/subscriptions/<int:pk>/delete/", views.subscription_delete_view, name="subscription-delete"),
    path("webhooks/deliveries/", views.delivery_list_view, name="delivery-list"),
    path("webhooks/deliveries/<int:pk>/", views.delivery_detail_view, name="delivery-detail"),
    path("webhooks/deliveries/<int:pk>/replay/", views.delivery_replay_view, name="delivery-replay"),
]
