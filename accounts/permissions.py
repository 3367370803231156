"""API permissions of the accounts app (a module of its own: DRF loads default permission
classes while ``rest_framework.views`` is being imported, so this imports nothing else)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions


class RefuseReadOnlyRoles(permissions.BasePermission):
    """A leader (read-only role) reads the API and writes nothing: every POST, PUT, PATCH and
    DELETE is a 403, before the body is read. A default permission (``REST_FRAMEWORK``)."""

    message = _("Your role reads; it does not record or change anything.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return not (user and user.is_authenticated and user.is_read_only)
