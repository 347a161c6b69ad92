from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("attachments/", include("tongcheng.kit.attachments.urls")),
    path("jobs/", include("tongcheng.kit.jobs.urls")),
    path("notifications/", include("tongcheng.kit.notifications.urls")),
    path("cooperation/", include("tongcheng.cooperation.sharing.urls")),
    path("cooperation/", include("tongcheng.cooperation.settlements.urls")),
    path("", include("tongcheng.core.urls")),
    path("", include("tongcheng.core.calendar.urls")),
    path("", include("tongcheng.cooperation.urls")),
]

# Pages and JSON that work without the database or the static manifest; a database that does not answer
# is a 503 there. 403 and 404 are Django's own handlers rendering our 403.html and 404.html.
handler500 = "tongcheng.kit.errors.server_error"
