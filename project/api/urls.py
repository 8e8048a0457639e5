"""/api/v1/: every API app's routes, under one namespace (``api``)."""

from __future__ import annotations

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("claims.api.urls")),
    path("", include("sources.api.urls")),
    path("", include("accounts.api.urls")),
]
