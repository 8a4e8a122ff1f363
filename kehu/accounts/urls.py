from django.urls import path

from kehu.accounts import tokens_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.language_switch, name="language"),
    # issue 14 (apitok): the user's own settings: API tokens, the calendar feed's address
    path("me/", tokens_views.me_view, name="me"),
    path("me/tokens/revoke/", tokens_views.token_revoke_view, name="token-revoke"),
    path("me/calendar/reset/", tokens_views.calendar_feed_reset_view, name="calendar-feed-reset"),
]
