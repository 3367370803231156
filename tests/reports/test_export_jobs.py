"""Export jobs: requested through the bonus-sheet page, the task queued on commit, run by the
Celery task, done with a file or failed."""

import io

import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reports.models import ExportJob, ExportStatus
from reports.services import exports as export_services
from reports.services.exports import export_request, export_run
from reports.tasks import export_bonus_sheet_task
from reports.views import exports as export_views
from tests.reports.test_export_sheet import cents, make_run
from tests.reports.test_export_views import sheet_url


@pytest.fixture
def run(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_run(org)


@pytest.fixture
def large(monkeypatch):
    """The run's sheet (4 lines) is too large to download at once: the page makes a job."""
    monkeypatch.setattr(export_views, "DIRECT_LIMIT", 3)


def test_the_job_runs_after_commit_and_stores_the_workbook(
    client, org, run, large, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(org.hr)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.get(sheet_url()).status_code == 302
        job = ExportJob.objects.get()
        assert job.status == ExportStatus.QUEUED
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert job.progress == 100
    assert job.finished_at is not None
    assert job.error == ""
    assert job.file.name.endswith("bonus-sheet-C0-2026-10.xlsx")
    with job.file.open("rb") as handle:
        sheets = pd.read_excel(io.BytesIO(handle.read()), sheet_name=None)
    assert list(sheets) == ["汇总", "A营销部", "B营销部"]
    grand = sheets["汇总"][sheets["汇总"]["序号"] == "合计"].iloc[0]
    assert str(cents(grand["应发奖金"])) == "2966.46"


def test_csv_job(client, org, run, large, celery_eager, django_capture_on_commit_callbacks):
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(sheet_url(file_format="csv"))
    job = ExportJob.objects.get()
    assert job.file_format == "csv" and job.requested_by == org.admin
    assert job.status == ExportStatus.DONE
    with job.file.open("rb") as handle:
        assert handle.read(3) == b"\xef\xbb\xbf"


def test_progress_is_recorded_while_the_sheets_are_written(org, run, monkeypatch):
    job = ExportJob.objects.create(run=run, file_format="xlsx", requested_by=org.hr)
    seen = []
    write = export_services.write_bonus_sheet_xlsx

    def spy(run, target, progress=None):
        def record(percent):
            progress(percent)
            seen.append(ExportJob.objects.get(pk=job.pk).progress)

        write(run, target, progress=record)

    monkeypatch.setattr(export_services, "write_bonus_sheet_xlsx", spy)
    export_run(job.pk)
    assert seen == sorted(seen) and len(seen) == 4  # summary, A, B, closed
    assert 0 < seen[0] < 100 and seen[-1] == 99
    job.refresh_from_db()
    assert job.progress == 100


def test_a_failure_records_the_error(org, run, monkeypatch, celery_eager):
    def broken(run, target, progress=None):
        progress(40)
        raise OSError("disk full")

    monkeypatch.setattr(export_services, "write_bonus_sheet_xlsx", broken)
    job = ExportJob.objects.create(run=run, file_format="xlsx", requested_by=org.hr)
    assert export_bonus_sheet_task.delay(job.pk).get() == ExportStatus.FAILED
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.error == "OSError: disk full"
    assert job.progress == 40
    assert job.finished_at is not None
    assert not job.file


def test_a_finished_job_is_not_run_again(org, run, monkeypatch):
    job = ExportJob.objects.create(
        run=run, file_format="xlsx", requested_by=org.hr, status=ExportStatus.DONE, progress=100
    )
    monkeypatch.setattr(export_services, "write_bonus_sheet_xlsx", None)
    assert export_run(job.pk).status == ExportStatus.DONE


def test_only_hr_and_admin_request_exports(org, run):
    for user in (org.a.cm, org.a.center_supervisor, org.assessor):
        with pytest.raises(PermissionDenied):
            export_request(run=run, user=user, file_format="xlsx")
    with pytest.raises(ValidationError):
        export_request(run=run, user=org.hr, file_format="pdf")
    assert not ExportJob.objects.exists()


def test_the_service_records_the_job_and_leaves_queueing_to_its_caller(
    org, run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = export_request(run=run, user=org.hr, file_format="xlsx")
    assert callbacks == []
    job.refresh_from_db()
    assert (job.status, job.requested_by, job.file_format) == (ExportStatus.QUEUED, org.hr, "xlsx")
