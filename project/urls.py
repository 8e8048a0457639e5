from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

from project.api.schema_view import SchemaView
from project.health import healthz

admin.site.site_header = "Claimwatch"
admin.site.site_title = "Claimwatch"
admin.site.index_title = "Claims, verdicts and contradictions"
# The full-width change list matters more to analysts than the app sidebar.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("account/", include("accounts.urls", namespace="accounts")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include("project.api.urls", namespace="api")),
    # The journalists' reader, last: its home page is /, and it claims no other prefix above.
    path("", include("reader.urls", namespace="reader")),
]

# JSON errors, in the API's one shape, for what Django answers before a view runs under
# /api/ (an unknown URL, too many query parameters) and for server errors there.
handler400 = "project.api.errors.handler400"
handler404 = "project.api.errors.handler404"
handler500 = "project.api.errors.handler500"
