"""/api/v1/keys/: a signed-in user's own API keys."""

from __future__ import annotations

from django.urls import path

from accounts.api import views

urlpatterns = [
    path("keys/", views.KeyListView.as_view(), name="key-list"),
    path("keys/<str:prefix>/", views.KeyDetailView.as_view(), name="key-detail"),
]
