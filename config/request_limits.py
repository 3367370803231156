"""Request body limits, enforced before the body is read (mirrored in deploy/nginx.conf).

``RequestBodyLimitMiddleware`` refuses a request whose Content-Length is over its route's
limit with 413 and a clear message (JSON for the API, which the phone's outbox shows), before
anything reads the body. ``LimitedUploadHandler`` stops a body that has no Content-Length or
lies about it at the same limit while it streams. The limits:

- a visit photo: the largest ``photo_max_kb`` of the visit rules in force (data), plus room
  for the multipart envelope; the service then checks the city's own limit exactly;
- an import upload: ``IMPORT_UPLOAD_MAX_MB`` (the order file is the largest kind);
- anything else: ``REQUEST_BODY_MAX_MB`` (inspection evidence photos, forms, JSON).
"""

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

MB = 1024 * 1024
ENVELOPE = 256 * 1024  # multipart boundaries, headers and the other form fields
PHOTO_PATH = re.compile(r"^/api/v1/visits/[^/]+/photos/$")
IMPORT_PATH = re.compile(r"^/imports/$")


def _largest_photo_bytes() -> int:
    from django.db.models import Max

    from visits.models import VisitRules

    today = timezone.localdate()
    kb = VisitRules.objects.filter(effective_from__lte=today).aggregate(m=Max("photo_max_kb"))["m"]
    return (kb or 5120) * 1024


def body_limit(path: str) -> int:
    """The largest body (bytes) a request to ``path`` may send."""
    if PHOTO_PATH.match(path):
        return _largest_photo_bytes() + ENVELOPE
    if IMPORT_PATH.match(path):
        return settings.IMPORT_UPLOAD_MAX_MB * MB + ENVELOPE
    return settings.REQUEST_BODY_MAX_MB * MB


def too_large(request, limit: int):
    message = _("The upload is too large: at most %(size)s MB.") % {"size": round(limit / MB, 1)}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "too_large"}, status=413)
    return render(request, "413.html", {"message": message}, status=413)


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("POST", "PUT", "PATCH"):
            limit = body_limit(request.path)
            request.body_limit = limit
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return too_large(request, limit)
        return self.get_response(request)


class LimitedUploadHandler(FileUploadHandler):
    """Counts the bytes of every uploaded file of a request; stops at the route's limit."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = getattr(self.request, "body_limit", None) or body_limit(self.request.path)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise RequestDataTooBig(_("The upload is too large."))
        return raw_data

    def file_complete(self, file_size):
        return None
