from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.keys, name="keys"),
    path("keys/", views.key_create, name="key-create"),
    path("keys/<str:prefix>/revoke/", views.key_revoke, name="key-revoke"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", next_page="accounts:keys"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="accounts:login"), name="logout"),  # POST only
]
