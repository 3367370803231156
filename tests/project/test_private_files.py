"""Private files and request limits: photos and exports only through views that check
access (404 otherwise), X-Accel-Redirect behind nginx, nothing under /media/ in any mode,
bodies over their route's limit refused before they are read."""

import io
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from config.request_limits import LimitedUploadHandler
from tests.factories import RetailerFactory
from visits.models import VisitPhoto, VisitRules

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def png(size=(64, 48)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def photo(org, settings, tmp_path):
    """A photo uploaded through the API by manager A1 on one of their visits."""
    settings.MEDIA_ROOT = tmp_path
    shop = RetailerFactory(territory=org.a.territory)
    api = APIClient()
    api.force_authenticate(org.a.cm)
    at = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=1)
    visit = api.post(
        reverse("visit-list"),
        {
            "client_id": str(uuid.uuid4()),
            "retailer": shop.pk,
            "checked_in_at": at.isoformat(),
            "checked_out_at": (at + timedelta(minutes=10)).isoformat(),
            "latitude": "31.950000",
            "longitude": "118.850000",
            "location_status": "ok",
        },
        format="json",
    ).json()
    response = api.post(
        f"/api/v1/visits/{visit['client_id']}/photos/",
        {"client_id": str(uuid.uuid4()), "image": SimpleUploadedFile("shelf.png", png())},
        format="multipart",
    )
    assert response.status_code == 201
    stored = VisitPhoto.objects.get()
    assert response.json()["url"] == reverse("visits:photo", args=[stored.pk])
    return stored


def test_a_photo_is_served_to_those_who_see_the_visit(client, org, photo):
    url = reverse("visits:photo", args=[photo.pk])
    for user in (org.a.cm, org.a.dept_supervisor, org.admin):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("inline;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == photo.image.open("rb").read()
    for user in (org.a.cm2, org.b.dept_supervisor, org.b.center_supervisor):
        client.force_login(user)
        assert client.get(url).status_code == 404, user


def test_anonymous_and_the_media_path_get_nothing(client, org, photo, settings):
    url = reverse("visits:photo", args=[photo.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(org.admin)
    assert client.get("/media/" + photo.image.name).status_code == 404
    settings.DEBUG = True  # the URLconf has no media route in any mode
    assert client.get("/media/" + photo.image.name).status_code == 404


def test_behind_nginx_the_file_is_sent_by_x_accel_redirect(client, org, photo, settings):
    settings.PRIVATE_FILES_ACCEL_PREFIX = "/protected/"
    client.force_login(org.a.cm)
    response = client.get(reverse("visits:photo", args=[photo.pk]))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected/" + photo.image.name
    assert response.content == b""
    assert response["Content-Type"] == "image/png"


def test_an_inspection_photo_is_private_too(client, org, settings, tmp_path):
    from django.utils import timezone

    from assessment.services import inspection_record

    settings.MEDIA_ROOT = tmp_path
    inspection = inspection_record(
        inspector=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        inspected_on=timezone.localdate(),
        item_code="visits",
        points=Decimal("1"),
        reason="走访不实",
        photo=ContentFile(png(), name="evidence.png"),
    )
    url = reverse("assessment:inspection_photo", args=[inspection.pk])
    client.force_login(org.a.cm)
    assert client.get(url).status_code == 200
    client.force_login(org.b.cm)
    assert client.get(url).status_code == 404


def test_a_file_that_is_not_an_image_goes_out_as_a_download(org, settings, tmp_path):
    from accounts.private_files import private_file_response

    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "x.html").write_text("<script>alert(1)</script>")

    class Stored:
        name = "x.html"

        def __bool__(self):
            return True

        def open(self, mode):
            return open(tmp_path / "x.html", mode)

    response = private_file_response(Stored(), inline=True)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_photo_url_with_a_bad_visit_id_is_404(org):
    api = APIClient()
    api.force_authenticate(org.a.cm)
    response = api.post("/api/v1/visits/" + "-" * 36 + "/photos/", {}, format="multipart")
    assert response.status_code == 404


def test_a_body_over_the_photo_limit_is_refused_before_it_is_read(org):
    VisitRules.objects.update(photo_max_kb=100)
    api = APIClient()
    api.force_authenticate(org.a.cm)
    url = f"/api/v1/visits/{uuid.uuid4()}/photos/"
    body = b"\xff" * (400 * 1024)  # over 100 KB + the 256 KB envelope
    response = api.post(
        url,
        {"image": SimpleUploadedFile("big.png", body)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The upload is too large: at most 0.3 MB.",
        "code": "too_large",
    }


def test_an_import_upload_over_the_limit_is_refused_with_a_page(client, org, settings):
    settings.IMPORT_UPLOAD_MAX_MB = 0
    client.force_login(org.admin)
    content = b"x" * (300 * 1024)
    response = client.post(
        reverse("retailers:import"),
        {"kind": "brands", "file": SimpleUploadedFile("brands.csv", content)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert "The upload is too large: at most 0.2 MB." in response.content.decode()


def test_the_upload_handler_stops_a_body_without_a_true_length():
    request = RequestFactory().post("/imports/")
    request.body_limit = 10
    handler = LimitedUploadHandler(request)
    handler.handle_raw_input(None, {}, 0, b"b")
    assert handler.receive_data_chunk(b"12345", 0) == b"12345"
    with pytest.raises(RequestDataTooBig):
        handler.receive_data_chunk(b"678901", 5)


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_the_nginx_config_passes_nginx_t(tmp_path):
    conf = (Path(django_settings.BASE_DIR) / "deploy" / "nginx.conf").read_text()
    assert "client_max_body_size 201m;" in conf  # IMPORT_UPLOAD_MAX_MB + the envelope
    assert "internal;" in conf
    # "web" resolves only inside docker compose.
    (tmp_path / "nginx.conf").write_text(conf.replace("server web:8000;", "server 127.0.0.1:8000;"))
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert Decimal(django_settings.IMPORT_UPLOAD_MAX_MB) + 1 == 201
