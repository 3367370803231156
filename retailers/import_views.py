"""The upload page for imports (admins only) and the sample files it links to.

``import_urlpatterns`` is included by ``retailers/urls.py`` (app name ``retailers``):
``retailers:import`` is the upload form, ``retailers:import_sample`` a sample file.
"""

import os
import tempfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from imports.datum import Datum
from imports.kinds import SAMPLES, SAMPLES_DIR, ImportKind, import_file

MB = 1024 * 1024
MAX_UPLOAD_BYTES = {ImportKind.ORDERS: settings.IMPORT_UPLOAD_MAX_MB * MB}
DEFAULT_MAX_UPLOAD_BYTES = 20 * MB
EXTENSIONS = (".csv", ".txt", ".xlsx")


def can_import(user) -> bool:
    return user.is_superuser or user.role == Role.ADMIN


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (UTF-8 or GB18030) or Excel .xlsx, header in row 1.")
    )
    effective_date = forms.DateField(
        label=_("Assignments effective from"),
        required=False,
        help_text=_(
            "Retailers: new or moved retailers are assigned from this day. Staff: the import "
            "date that probation and initial tiers count from. Default: today."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    datum = forms.ChoiceField(
        label=_("Coordinates datum"),
        required=False,
        choices=[("", _("As the file's 坐标系 column says")), *Datum.choices],
        help_text=_("Files with coordinates and no 坐标系 column: the map system they come from."),
    )
    allow_uncredited = forms.BooleanField(
        label=_("Allow order lines not to be credited"),
        required=False,
        help_text=_(
            "Retailers only: import even though existing order lines dated before the effective "
            "date will not be credited to the retailers' new manager."
        ),
    )
    dry_run = forms.BooleanField(label=_("Check only, import nothing"), required=False)

    def clean(self):
        data = super().clean()
        upload, kind = data.get("file"), data.get("kind")
        if upload and kind:
            if not upload.name.lower().endswith(EXTENSIONS):
                self.add_error("file", _("Upload a .csv or .xlsx file."))
            limit = MAX_UPLOAD_BYTES.get(kind, DEFAULT_MAX_UPLOAD_BYTES)
            if upload.size > limit:
                self.add_error(
                    "file",
                    _("The file is larger than %(size)s MB.") % {"size": limit // MB},
                )
        return data


def run_upload(upload, *, kind, dry_run, **options):
    """Import an uploaded file from a temporary file that is removed afterwards."""
    if hasattr(upload, "temporary_file_path"):  # Django already streamed it to disk
        return import_file(
            kind, upload.temporary_file_path(), filename=upload.name, dry_run=dry_run, **options
        )
    suffix = Path(upload.name).suffix.lower()
    handle, name = tempfile.mkstemp(suffix=suffix, prefix="import-")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return import_file(kind, name, filename=upload.name, dry_run=dry_run, **options)
    finally:
        os.unlink(name)


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    if not can_import(request.user):
        raise Http404
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            report = run_upload(
                data["file"],
                kind=data["kind"],
                dry_run=data["dry_run"],
                on=data["effective_date"] or timezone.localdate(),
                company=request.user.company,  # the file limits in force for the city
                **({"datum": data["datum"]} if data["datum"] else {}),
                **(
                    {"allow_uncredited": data["allow_uncredited"]}
                    if data["kind"] == ImportKind.RETAILERS
                    else {}
                ),
                user=request.user,
            )
    else:
        form = ImportForm(initial={"kind": request.GET.get("kind", ImportKind.RETAILERS)})
    samples = [(ImportKind(kind).label, names) for kind, names in SAMPLES.items()]
    return render(
        request,
        "retailers/import.html",
        {"form": form, "report": report, "samples": samples},
    )


@login_required
def import_sample(request, name):
    if not can_import(request.user) or not any(name in names for names in SAMPLES.values()):
        raise Http404
    return FileResponse(open(SAMPLES_DIR / name, "rb"), as_attachment=True, filename=name)


import_urlpatterns = [
    path("imports/", import_upload, name="import"),
    path("imports/samples/<str:name>", import_sample, name="import_sample"),
]
