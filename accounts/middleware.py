"""Read-only roles at the door: a leader (领导) records nothing and changes nothing.

Every write path refuses a read-only role in its own service (``PermissionDenied``) or page
(404). This middleware states the same rule once for the pages: a signed-in user of a
read-only role who sends POST, PUT, PATCH or DELETE gets 403 before any view runs, so a page
added later cannot forget it. Signing in and out and switching the language change no data
and stay open. The API has the same rule as a default permission
(``accounts.permissions.RefuseReadOnlyRoles``), which also holds for API clients that do not
come through the session.
"""

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# URL names a read-only user may still POST to.
OPEN_TO_READERS = ("login", "logout", "set_language", "accounts:password_change")


def _is_api_view(view_func) -> bool:
    from rest_framework.views import APIView

    view_class = getattr(view_func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


class ReadOnlyRoleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS or _is_api_view(view_func):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_read_only:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_TO_READERS:
            return None
        raise PermissionDenied(_("Your role reads; it does not record or change anything."))


# URL names a person who must change their password may still open.
OPEN_BEFORE_PASSWORD_CHANGE = (
    "login",
    "logout",
    "set_language",
    "accounts:password_change",
    "visits:manifest",
    "visits:service_worker",
    "healthz",
)


class PasswordChangeRequiredMiddleware:
    """A person with a one-time code (``User.must_change_password``) sets their own password
    before anything else (DOMAIN.md §9): every page redirects to the password-change page,
    every API request gets 403 with a JSON reason. Switched by ``PASSWORD_CHANGE_REQUIRED``
    (on by default; ``make run``'s demo turns it off)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from django.conf import settings

        if not settings.PASSWORD_CHANGE_REQUIRED:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.must_change_password:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_PASSWORD_CHANGE:
            return None
        if _is_api_view(view_func) or request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": _("Set your own password on the password-change page first."),
                    "code": "password_change_required",
                },
                status=403,
            )
        return redirect("accounts:password_change")
