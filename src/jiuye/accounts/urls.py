from django.contrib.auth import views as auth_views
from django.urls import path

from jiuye.accounts import admin_views, views
from jiuye.audit import views as audit_views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/verify/", audit_views.audit_verify, name="audit_verify"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
    # Administration (三权分立: accounts.admin_views says who sees which)
    path("users/", admin_views.user_list, name="user_list"),
    path("users/new/", admin_views.user_create, name="user_create"),
    path("users/<int:pk>/", admin_views.user_detail, name="user_detail"),
    path("users/<int:pk>/active/", admin_views.user_active, name="user_active"),
    path("users/<int:pk>/role/", admin_views.user_role, name="user_role"),
    path("users/<int:pk>/units/", admin_views.user_membership_add, name="user_membership_add"),
    path(
        "users/<int:pk>/units/<int:unit_pk>/remove/",
        admin_views.user_membership_remove,
        name="user_membership_remove",
    ),
    path("users/<int:pk>/password/", admin_views.user_password_reset, name="user_password_reset"),
    path("users/<int:pk>/reveal/", admin_views.user_reveal, name="user_reveal"),
    path("users/<int:pk>/unlock/", admin_views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/2fa-reset/", admin_views.user_otp_reset, name="user_otp_reset"),
]
