"""Pages of the cooperation records, the fund and the overview, under /cooperation/."""

from django.urls import path

from . import views

urlpatterns = [
    path("cooperation/", views.cooperation_index, name="coop_index"),
    path("cooperation/parks/", views.park_list, name="coop_park_list"),
    path("cooperation/parks/new/", views.park_create, name="coop_park_create"),
    path("cooperation/parks/import/", views.park_import, name="coop_park_import"),
    path(
        "cooperation/parks/import/template.<str:fmt>",
        views.park_import_template,
        name="coop_park_import_template",
    ),
    path("cooperation/parks/<slug:code>/", views.park_detail, name="coop_park_detail"),
    path("cooperation/parks/<slug:code>/edit/", views.park_edit, name="coop_park_edit"),
    path("cooperation/enterprises/", views.enterprise_list, name="coop_enterprise_list"),
    path("cooperation/enterprises/new/", views.enterprise_create, name="coop_enterprise_create"),
    path("cooperation/enterprises/import/", views.enterprise_import, name="coop_enterprise_import"),
    path(
        "cooperation/enterprises/import/template.<str:fmt>",
        views.enterprise_import_template,
        name="coop_enterprise_import_template",
    ),
    path(
        "cooperation/enterprises/<str:credit_code>/", views.enterprise_detail, name="coop_enterprise_detail"
    ),
    path(
        "cooperation/enterprises/<str:credit_code>/edit/", views.enterprise_edit, name="coop_enterprise_edit"
    ),
    path("cooperation/projects/", views.project_list, name="coop_project_list"),
    path("cooperation/projects/new/", views.project_create, name="coop_project_create"),
    path("cooperation/projects/import/", views.project_import, name="coop_project_import"),
    path(
        "cooperation/projects/import/template.<str:fmt>",
        views.project_import_template,
        name="coop_project_import_template",
    ),
    path("cooperation/projects/<slug:code>/", views.project_detail, name="coop_project_detail"),
    path("cooperation/projects/<slug:code>/edit/", views.project_edit, name="coop_project_edit"),
    path("cooperation/projects/<slug:code>/step/", views.project_step, name="coop_project_step"),
    path("cooperation/zones/<slug:code>/", views.zone_overview, name="coop_zone_overview"),
    path("cooperation/zones/<slug:code>/fund/", views.zone_fund, name="coop_zone_fund"),
    path(
        "cooperation/zones/<slug:code>/fund/commitments/new/",
        views.commitment_create,
        name="coop_commitment_create",
    ),
    path(
        "cooperation/zones/<slug:code>/fund/contributions/new/",
        views.contribution_create,
        name="coop_contribution_create",
    ),
    path(
        "cooperation/zones/<slug:code>/fund/disbursements/new/",
        views.disbursement_create,
        name="coop_disbursement_create",
    ),
]
