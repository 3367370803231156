"""The error answers of the API, documented once for every operation of the schema.

A drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``):
every operation can answer

- 400 when a query parameter or the body is invalid (the field names with their messages, or
  ``detail`` for a rule that belongs to no one field);
- 403 when the user is not signed in or the role may not do it (``detail``);
- 404 when the object or the scope asked for is outside the user's subtree, or a page number
  is past the end (``detail``);
- 413 (POST, PUT, PATCH) when the body is over the route's limit
  (``config.request_limits``; ``detail`` and ``code``).

Views document only what is theirs (a 409, a 201 …); an answer a view documents itself is
left as it is. A path under /api/ that no route matches (``/api/v1/retailers/1.5/``) answers
the same JSON 404 through ``not_found`` (``handler404`` in ``config.urls``), not the HTML page.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

ERROR = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": (
        "The invalid fields, each with a list of messages; `detail` or `non_field_errors` "
        "for a rule that belongs to no one field."
    ),
    "additionalProperties": {},
}


def _response(description, component):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


RESPONSES = {
    "400": _response("Invalid query parameters or body.", "ValidationError"),
    "403": _response("Not signed in, or the role may not do this.", "Error"),
    "404": _response("Not found in the user's subtree, or no such page.", "Error"),
}
TOO_LARGE = _response("The body is over the route's size limit.", "Error")
METHODS = {"get", "post", "put", "patch", "delete"}
BODY_METHODS = {"post", "put", "patch"}


def document_errors(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR)
    components.setdefault("ValidationError", VALIDATION_ERROR)
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, response in RESPONSES.items():
                responses.setdefault(code, response)
            if method in BODY_METHODS:
                responses.setdefault("413", TOO_LARGE)
            operation["responses"] = dict(sorted(responses.items()))
    return result


def not_found(request, exception):
    """The 404 of a path no route matches: JSON under /api/, the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
