from django.contrib.auth import views as auth_views
from django.urls import path

from reader import views

app_name = "reader"

urlpatterns = [
    path("", views.search, name="search"),
    path("export.<str:fmt>", views.export_list, name="export"),
    path("contradictions/<int:pk>/", views.contradiction, name="contradiction"),
    path("contradictions/<int:pk>/card/", views.contradiction_card, name="contradiction-card"),
    path("contradictions/<int:pk>/claimreview.json", views.contradiction_claimreview, name="contradiction-claimreview"),
    path("claims/<int:pk>/", views.claim, name="claim"),
    path("claims/<int:pk>/card/", views.claim_card, name="claim-card"),
    path("claims/<int:pk>/claimreview.json", views.claim_claimreview, name="claim-claimreview"),
    path("places/<int:pk>/", views.place, name="place"),
    path("parties/<int:pk>/", views.party, name="party"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="reader/login.html", redirect_authenticated_user=True, next_page="reader:search"
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(next_page="reader:login"), name="logout"),  # POST only
]
