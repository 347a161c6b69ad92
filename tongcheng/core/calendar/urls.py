from django.urls import path

from . import views

urlpatterns = [
    path("calendar/", views.calendar_list, name="calendar_list"),
    path("calendar/<int:year>/", views.calendar_year, name="calendar_year"),
]
