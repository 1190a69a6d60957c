from django.urls import path

from chassis.urls import (
    admin_urlpatterns,
    docs_urlpatterns,
    handler400,
    handler403,
    handler404,
    handler500,
    ops_urlpatterns,
    optional_slash,
)
from chassis_tests_app import views

urlpatterns = [
    *ops_urlpatterns(),
    *admin_urlpatterns(),
    *docs_urlpatterns("chassis_tests"),
    optional_slash("echo", views.EchoView.as_view()),
    optional_slash("protected", views.ProtectedView.as_view()),
    optional_slash("throttled", views.ThrottledView.as_view()),
    path("raise/<str:kind>", views.RaiseView.as_view()),
    optional_slash("whoami", views.WhoAmIView.as_view()),
    optional_slash("trace", views.TraceView.as_view()),
    optional_slash("admin-only", views.AdminOnlyView.as_view()),
    optional_slash("staff-only", views.StaffOnlyView.as_view()),
    path("self-or-admin/<str:owner>", views.SelfOrAdminView.as_view()),
    path("self-or-staff/<str:owner>", views.SelfOrStaffView.as_view()),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
