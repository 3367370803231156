"""The one door for "go back to where you came from" (``next``): only paths of this site."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_next(request, fallback, *args):
    """Redirect to the request's ``next`` (POST, else GET) when it stays on this host and
    scheme; otherwise to ``fallback`` (a URL name or path, with ``args``)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback, *args)
