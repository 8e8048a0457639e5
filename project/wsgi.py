"""WSGI entry point, served by gunicorn in production (``gunicorn project.wsgi``)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

application = get_wsgi_application()

# Load the URLconf now rather than on the first request, then freeze everything loaded
# (apps, models, admin, URL patterns: some 100,000 objects that live as long as the
# process) out of the garbage collector's way: walking them again and again costs more
# than the queries on the API's list endpoints. Each web worker imports this module.
get_resolver().url_patterns  # noqa: B018 - imports the URLconf
gc.freeze()
