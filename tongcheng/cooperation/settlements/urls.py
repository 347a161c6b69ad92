"""Pages of settlements, under /cooperation/."""

from django.urls import path

from . import views

urlpatterns = [
    path("settlements/", views.settlement_list, name="settlement_list"),
    path("settlements/new/", views.settlement_create, name="settlement_create"),
    path("settlements/<str:number>/", views.settlement_detail, name="settlement_detail"),
    path("settlements/<str:number>/compute/", views.settlement_compute, name="settlement_compute"),
    path("settlements/<str:number>/submit/", views.settlement_submit, name="settlement_submit"),
    path("settlements/<str:number>/confirm/", views.settlement_confirm, name="settlement_confirm"),
    path("settlements/<str:number>/reject/", views.settlement_reject, name="settlement_reject"),
    path("settlements/<str:number>/finalise/", views.settlement_finalise, name="settlement_finalise"),
    path(
        "settlements/<str:number>/statement.<str:fmt>",
        views.settlement_statement,
        name="settlement_statement",
    ),
]
