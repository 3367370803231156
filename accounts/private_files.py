"""Private files (visit photos, inspection evidence, exports): served only through views that
have already checked ``visible_to``; nothing under MEDIA_ROOT is served directly in any mode.

In production nginx sends the file (``X-Accel-Redirect`` to an ``internal`` location, see
deploy/nginx.conf) so no Python worker streams it; without ``PRIVATE_FILES_ACCEL_PREFIX``
(``make run``, tests) Django streams it itself.
"""

from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header

# What a private file may be sent as; anything else goes out as a download.
SAFE_INLINE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".heic": "image/heic",
}


def private_file_response(
    field_file, *, filename: str | None = None, content_type: str | None = None, inline=False
) -> HttpResponse:
    """The response that sends ``field_file`` (a FieldFile) to a user already allowed to see it.

    ``inline`` only for the image types above (shown in the page); everything else is an
    attachment. ``nosniff`` keeps browsers from guessing another type.
    """
    if not field_file or not field_file.name:
        raise Http404
    name = PurePosixPath(field_file.name)
    filename = filename or name.name
    image_type = SAFE_INLINE_TYPES.get(name.suffix.lower())
    inline = inline and image_type is not None
    content_type = content_type or image_type or "application/octet-stream"
    prefix = settings.PRIVATE_FILES_ACCEL_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(str(name))
    else:
        try:
            handle = field_file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=not inline, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
