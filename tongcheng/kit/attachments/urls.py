"""Routes of the attachments app, included under /attachments/ by tongcheng/urls.py. Uploads are routed by
each module (its owner URL), downloads and removals here, by the attachment's id."""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/", views.download, name="attachment_download"),
    path("<int:pk>/remove/", views.remove, name="attachment_remove"),
]
