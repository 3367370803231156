"""The watchdog of background jobs on fake stale heartbeats (SQLite pass; the real worker
kill is tests/jobs/test_worker_killed.py): a stopped job is queued again and finishes, gives
up after JOB_MAX_ATTEMPTS with the reason on its page, and the retry button is for those who
may run the job (404 for outsiders, 403 for readers)."""

import io
from datetime import timedelta

import pandas as pd
import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from assessment.models import ItemScore, ManagerScore
from assessment.services import month_close
from assessment.tasks import close_month
from jobs.models import JobKind, JobRun, JobStatus
from jobs.services import job_claim, jobs_watch
from reports.models import ExportJob, ExportStatus
from reports.selectors.tables import can_view_scores
from reports.sheets import write_bonus_sheet_xlsx
from tests.assessment import test_close_month
from tests.factories import OrgUnitFactory, UserFactory
from tests.reports.test_export_sheet import make_run

OCT = test_close_month.OCT
october = test_close_month.october  # the fixture: a month of hand-computed scores


@pytest.fixture(autouse=True)
def job_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JOB_HEARTBEAT_STALE_SECONDS = 2
    settings.JOB_MAX_ATTEMPTS = 3
    settings.JOB_TEST_PAUSE_AFTER_FIRST_STEP_SECONDS = 0
    return settings


def stopped(job, *, attempts=1, seconds=60):
    """Make ``job`` look like its worker died ``seconds`` ago after ``attempts`` starts."""
    beat = timezone.now() - timedelta(seconds=seconds)
    type(job).objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=attempts, started_at=beat, heartbeat_at=beat
    )
    job.refresh_from_db()
    return job


def scores(month):
    return {
        (row.manager_id, item.code): (item.points, item.explanation)
        for row in ManagerScore.objects.filter(assessment__month=month)
        for item in ItemScore.objects.filter(score=row)
    } | {
        ("total", row.manager_id): row.total
        for row in ManagerScore.objects.filter(assessment__month=month)
    }


def sheets_of(content: bytes):
    """Every sheet's cells as read back (empty cells as None: NaN never equals itself)."""
    return {
        name: frame.astype(object).where(frame.notna(), None).to_dict("split")
        for name, frame in pd.read_excel(io.BytesIO(content), sheet_name=None).items()
    }


@pytest.fixture
def export(org):
    run = make_run(org)
    return ExportJob.objects.create(run=run, file_format="xlsx", requested_by=org.hr)


def test_a_stopped_export_is_queued_again_and_finishes_with_the_same_file(
    org, export, celery_eager, django_capture_on_commit_callbacks, english
):
    stopped(export)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        summary = jobs_watch()
    assert summary == {"requeued": [f"exportjob {export.pk}"], "failed": []}
    export.refresh_from_db()
    assert export.status == ExportStatus.QUEUED
    assert "The worker stopped (no heartbeat since" in export.error
    assert "attempt 2 of 3" in export.error
    assert len(callbacks) == 1
    callbacks[0]()  # the task, queued on commit (eager)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.attempts == 2 and export.error == ""
    assert export.heartbeat_at > export.started_at - timedelta(seconds=1)
    direct = io.BytesIO()
    write_bonus_sheet_xlsx(export.run, direct)
    with export.file.open("rb") as handle:
        assert sheets_of(handle.read()) == sheets_of(direct.getvalue())


def test_a_fresh_heartbeat_or_a_finished_job_is_left_alone(org, export):
    stopped(export, seconds=1)
    done = ExportJob.objects.create(
        run=export.run, file_format="csv", requested_by=org.hr, status=ExportStatus.DONE
    )
    stopped(done, seconds=600)
    ExportJob.objects.filter(pk=done.pk).update(status=ExportStatus.DONE)
    assert jobs_watch() == {"requeued": [], "failed": []}
    export.refresh_from_db()
    assert export.status == ExportStatus.RUNNING


def test_a_redelivered_message_does_not_run_a_running_or_finished_job(org, export):
    assert job_claim(ExportJob, export.pk) is True
    assert job_claim(ExportJob, export.pk) is False  # a second message of the same job
    export.refresh_from_db()
    assert export.status == ExportStatus.RUNNING and export.attempts == 1


def test_after_the_last_attempt_the_export_fails_with_the_reason_and_a_retry_button(
    client, org, export, celery_eager, django_capture_on_commit_callbacks, english
):
    stopped(export, attempts=3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("watch_jobs", stdout=io.StringIO())
    assert callbacks == []  # nothing queued
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.error.startswith("The worker stopped: no heartbeat since ")
    assert export.error.endswith("after 3 attempts. Run it again when the workers are back.")
    assert export.finished_at is not None

    client.force_login(org.hr)
    page = client.get(reverse("reports:export_job", args=[export.pk])).content.decode()
    assert "The worker stopped: no heartbeat since" in page
    assert reverse("reports:export_retry", args=[export.pk]) in page
    status = client.get(reverse("reports:export_job_status", args=[export.pk])).json()
    assert status["status"] == "failed" and status["attempts"] == 3

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("reports:export_retry", args=[export.pk]))
    assert response.status_code == 302
    assert len(callbacks) == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.attempts == 1 and export.file


def test_the_export_retry_is_404_for_outsiders_and_403_for_who_may_not_run_it(
    client, org, export, english
):
    stopped(export, attempts=3)
    jobs_watch()
    url = reverse("reports:export_retry", args=[export.pk])
    for user in (org.a.cm, org.assessor, org.a.dept_supervisor):  # they never see the sheet
        client.force_login(user)
        assert client.post(url).status_code == 404
    # A report export by a manager who can no longer see the report: visible (their own),
    # not to be run again.
    assert not can_view_scores(org.a.cm)
    mine = ExportJob.objects.create(
        report="ranking", params={"month": ["2026-10"]}, requested_by=org.a.cm
    )
    stopped(mine, attempts=3)
    with translation.override("en"):  # the requests above activated the page language
        jobs_watch()
    client.force_login(org.a.cm)
    page = client.get(reverse("reports:export_job", args=[mine.pk])).content.decode()
    assert "The worker stopped" in page
    assert reverse("reports:export_retry", args=[mine.pk]) not in page
    assert client.post(reverse("reports:export_retry", args=[mine.pk])).status_code == 403
    assert client.get(reverse("reports:export_retry", args=[mine.pk])).status_code == 405
    mine.refresh_from_db()
    assert mine.status == ExportStatus.FAILED
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED


# --- The month close (a split job: one JobRun per city) ---------------------------------------


def test_the_beat_close_runs_one_job_per_city(
    org, october, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = close_month.delay(OCT.isoformat()).get()
    job = JobRun.objects.get()
    assert result == {"month": "2026-10-01", "jobs": [job.pk], "skipped": []}
    assert (job.kind, job.company, job.month, job.status) == (
        JobKind.CLOSE,
        org.company,
        OCT,
        JobStatus.DONE,
    )
    assert job.attempts == 1 and job.heartbeat_at is not None
    assert job.result == {"month": "2026-10-01", "company": "C0", "managers": 4}


def test_a_stopped_close_is_queued_again_and_scores_as_an_uninterrupted_close(
    org, october, celery_eager, django_capture_on_commit_callbacks
):
    month_close(month=OCT, company=org.company)
    expected = scores(OCT)
    ManagerScore.objects.all().delete()
    job = JobRun.objects.create(kind=JobKind.CLOSE, company=org.company, month=OCT)
    stopped(job)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert jobs_watch()["requeued"] == [f"jobrun {job.pk}"]
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 2
    assert scores(OCT) == expected


def test_a_close_gives_up_with_the_reason_on_its_pages_and_the_right_people_retry_it(
    client, org, october, celery_eager, django_capture_on_commit_callbacks, english
):
    job = JobRun.objects.create(kind=JobKind.CLOSE, company=org.company, month=OCT)
    stopped(job, attempts=3)
    assert jobs_watch()["failed"] == [f"jobrun {job.pk}"]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "after 3 attempts" in job.error

    page_url = reverse("jobs:job", args=[job.pk])
    retry_url = reverse("jobs:job_retry", args=[job.pk])
    client.force_login(org.assessor)
    months = client.get(reverse("assessment:months")).content.decode()
    assert page_url in months and "The worker stopped: no heartbeat since" in months
    page = client.get(page_url).content.decode()
    assert "The worker stopped: no heartbeat since" in page and retry_url in page

    # Outside the city, or a role that never sees the close: 404.
    other = OrgUnitFactory(code="C9", name="其他市烟草公司", kind="company")
    outsider = UserFactory(employee_no="800009", role=Role.ASSESSMENT_CENTER, org_unit=other)
    for user in (outsider, org.a.cm, org.hr):
        client.force_login(user)
        assert client.get(page_url).status_code == 404
        assert client.post(retry_url).status_code == 404
    # A leader reads the job but may not run it.
    leader = UserFactory(employee_no="990001", role=Role.LEADER, org_unit=org.company)
    client.force_login(leader)
    page = client.get(page_url).content.decode()
    assert "The worker stopped" in page and retry_url not in page
    assert client.post(retry_url).status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED

    client.force_login(org.assessor)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(retry_url).status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 1 and job.error == ""
    assert job.requested_by == org.assessor
    assert ManagerScore.objects.filter(assessment__month=OCT).count() == 4
    entry = LogEntry.objects.get_for_object(job).filter(actor=org.assessor).get()
    assert entry.changes_dict["status"] == ["failed", "queued"]


def test_a_second_close_of_the_same_city_and_month_is_not_queued_twice(org, october):
    first = close_month(OCT.isoformat())  # not eager here: the job stays queued
    second = close_month(OCT.isoformat())
    assert first["jobs"] == second["jobs"]
    assert JobRun.objects.count() == 1
