"""Pages of agreements, receipts and imports, under /cooperation/."""

from django.urls import path

from . import preview_views, statistics_views, views

urlpatterns = [
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/", views.agreement_create, name="agreement_create"),
    path("agreements/<slug:agreement>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<slug:agreement>/edit/", views.agreement_edit, name="agreement_edit"),
    path("agreements/<slug:agreement>/versions/new/", views.version_create, name="agreement_version_create"),
    path(
        "agreements/<slug:agreement>/versions/<int:number>/",
        views.version_detail,
        name="agreement_version_detail",
    ),
    path(
        "agreements/<slug:agreement>/versions/<int:number>/edit/",
        views.version_edit,
        name="agreement_version_edit",
    ),
    path(
        "agreements/<slug:agreement>/versions/<int:number>/approve/",
        views.version_approve,
        name="agreement_version_approve",
    ),
    path(
        "agreements/<slug:agreement>/versions/<int:number>/preview/",
        preview_views.version_preview,
        name="agreement_version_preview",
    ),
    path("receipts/", views.receipt_list, name="receipt_list"),
    path("zones/<slug:code>/statistics/", statistics_views.zone_statistics, name="coop_zone_statistics"),
    path("imports/", views.coop_import, name="coop_import"),
    path("imports/<str:dataset>/template.<str:fmt>", views.import_template_view, name="coop_import_template"),
]
