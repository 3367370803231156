"""Bonus-sheet pages through HTTP: HR and admin download, everyone else gets 404."""

import io
from urllib.parse import quote

import pandas as pd
import pytest
from django.urls import reverse

from reports.models import ExportJob, ExportStatus
from reports.views import exports as export_views
from tests.reports.test_export_sheet import make_run


@pytest.fixture
def run(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_run(org)


def sheet_url(month="2026-10", file_format="xlsx"):
    return f"{reverse('reports:bonus_sheet')}?month={month}&format={file_format}"


@pytest.mark.parametrize("role", ["hr", "admin"])
def test_hr_and_admin_download_a_small_sheet(client, org, run, role):
    client.force_login(getattr(org, role))
    response = client.get(sheet_url())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('奖金表-2026年10月.xlsx')}"
    )
    sheets = pd.read_excel(io.BytesIO(response.content), sheet_name=None)
    assert list(sheets) == ["汇总", "A营销部", "B营销部"]
    assert not ExportJob.objects.exists()


def test_csv_download(client, org, run):
    client.force_login(org.hr)
    response = client.get(sheet_url(file_format="csv"))
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "应发奖金" in response.content.decode("utf-8-sig").splitlines()[0]


@pytest.mark.parametrize("who", ["a.cm", "a.dept_supervisor", "a.center_supervisor", "assessor"])
def test_others_get_404_everywhere(client, org, run, who):
    user = org
    for part in who.split("."):
        user = getattr(user, part)
    job = ExportJob.objects.create(run=run, requested_by=org.hr, status=ExportStatus.DONE)
    client.force_login(user)
    for url in (
        reverse("reports:bonus_sheet"),
        sheet_url(),
        reverse("reports:export_job", args=[job.pk]),
        reverse("reports:export_job_status", args=[job.pk]),
        reverse("reports:export_download", args=[job.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_anonymous_is_sent_to_login(client, run):
    response = client.get(sheet_url())
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("query", ["month=2026-11", "month=2026-13", "month=x", "format=pdf"])
def test_unknown_month_or_format_is_404(client, org, run, query):
    client.force_login(org.hr)
    params = {"month": "2026-10", "format": "xlsx"}
    params.update(dict([query.split("=")]))
    response = client.get(reverse("reports:bonus_sheet"), params)
    assert response.status_code == 404


def test_the_list_of_runs(client, org, run):
    client.force_login(org.hr)
    response = client.get(reverse("reports:bonus_sheet"))
    assert response.status_code == 200
    assert "month=2026-10&amp;format=csv" in response.content.decode()


def test_a_large_sheet_goes_through_a_job(
    client, org, run, monkeypatch, celery_eager, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(export_views, "DIRECT_LIMIT", 3)  # the run has 4 lines
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get(sheet_url())
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:export_job", args=[job.pk])
    assert job.requested_by == org.admin and job.file_format == "xlsx"

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in page.content.decode()
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 404

    for callback in callbacks:  # the commit: the eager task runs
        callback()
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    status = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    download = reverse("reports:export_download", args=[job.pk])
    assert status["progress"] == 100 and status["download_url"] == download
    page = client.get(reverse("reports:export_job", args=[job.pk])).content.decode()
    assert "http-equiv" not in page and download in page
    response = client.get(download)
    assert response.status_code == 200
    sheets = pd.read_excel(io.BytesIO(b"".join(response.streaming_content)), sheet_name=None)
    assert list(sheets) == ["汇总", "A营销部", "B营销部"]


def test_a_failed_job_page_shows_the_error(client, org, run):
    job = ExportJob.objects.create(
        run=run, requested_by=org.hr, status=ExportStatus.FAILED, error="OSError: disk full"
    )
    client.force_login(org.hr)
    page = client.get(reverse("reports:export_job", args=[job.pk])).content.decode()
    assert "OSError: disk full" in page and "http-equiv" not in page
