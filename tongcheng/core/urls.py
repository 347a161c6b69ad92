from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .auth_forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="core/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("me/tokens/", views.tokens, name="tokens"),
    path("metro/", views.metro_map, name="metro_map"),
    path("geo.json", views.geojson, name="geojson"),
    path("zones/", views.zone_list, name="zone_list"),
    path("zones/new/", views.zone_create, name="zone_create"),
    path("zones/<slug:code>/", views.zone_detail, name="zone_detail"),
    path("zones/<slug:code>/edit/", views.zone_edit, name="zone_edit"),
    path("zones/<slug:code>/decide/", views.zone_decide, name="zone_decide"),
    path("zones/<slug:code>/sheet.pdf", views.zone_sheet, name="zone_sheet"),
    path("jurisdictions/", views.jurisdiction_list, name="jurisdiction_list"),
    path("jurisdictions/<str:code>/", views.jurisdiction_detail, name="jurisdiction_detail"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/import/", views.organisation_import, name="organisation_import"),
    path(
        "organisations/import/template.<str:fmt>",
        views.organisation_import_template,
        name="organisation_import_template",
    ),
    path("organisations/<slug:key>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<slug:key>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<slug:key>/people/new/", views.person_create, name="person_create"),
    path("organisations/<slug:key>/documents/", views.organisation_documents, name="organisation_documents"),
    path("people/", views.person_list, name="person_list"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/unmask/", views.person_unmask, name="person_unmask"),
    path("pick/", views.pick, name="pick"),
    path("audit/", views.audit_list, name="audit_list"),
    path("grants/", views.grant_list, name="grant_list"),
    path("grants/new/", views.grant_create, name="grant_create"),
    path("grants/<int:pk>/", views.grant_detail, name="grant_detail"),
    path("grants/<int:pk>/withdraw/", views.grant_withdraw, name="grant_withdraw"),
    path("healthz", views.healthz, name="healthz"),
]
