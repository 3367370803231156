"""Settings come from the environment; production-like values pass check --deploy."""

import os
import subprocess
import sys

from django.conf import settings

BASE = settings.BASE_DIR


def clean_env(*drop):
    """The test process's environment without what the suite itself sets for tests."""
    dropped = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", *drop}
    return {k: v for k, v in os.environ.items() if k not in dropped}


def run_manage(*args, **env):
    clean = clean_env()
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k7#p2v!x9s@q4m&w8z$e1r^t6y*u3i(o0p)a5s-d_f+g=h[j]k;l",
    "ALLOWED_HOSTS": "cms.example.com",
    "HTTPS": "1",
    "DATABASE_URL": "postgres://cms@127.0.0.1:5432/cms",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_check_deploy_is_clean_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_https_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "HTTPS": "0"}
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


def test_secret_key_is_required_when_debug_is_off():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_without_secret_key_runs():
    result = run_manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_embedded_defaults():
    code = (
        "import django, os; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG, "
        "s.TIME_ZONE, s.LANGUAGE_CODE)"
    )
    env = clean_env("DATABASE_URL", "REDIS_URL")
    env.update(DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="x" * 60)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "False",
        "Asia/Shanghai",
        "zh-hans",
    ], result.stderr


def test_services_from_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    )
    env = {**clean_env(), **PRODUCTION, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "redis://127.0.0.1:6379/0",
    ], result.stderr


def test_every_beat_entry_names_a_registered_task():
    from config.celery import app

    app.loader.import_default_modules()
    missing = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] not in app.tasks
    ]
    assert missing == []
    assert len(settings.CELERY_BEAT_SCHEDULE) == 13  # + statuses, handovers, watch, inbox


# The command that runs (or backfills) each scheduled job by hand; the heartbeat is the
# worker's own sign of life and has none.
BEAT_COMMANDS = {
    "retailers.tasks.classify_retailers": "classify_retailers",
    "visits.tasks.generate_visit_plans": "generate_plans",
    "visits.tasks.generate_work_plans": "generate_work_plans",
    "visits.tasks.refresh_shelf_rates": "refresh_shelf_rates",
    "reports.tasks.review_tiers_task": "review_tiers",
    "assessment.tasks.close_month": "close_month",
    "reports.tasks.refresh_order_rollup": "refresh_order_rollup",
    "reports.tasks.refresh_dashboards": "refresh_kpis",
    "retailers.tasks.import_order_inbox": "import_order_inbox",
    "retailers.tasks.apply_retailer_statuses": "apply_retailer_statuses",
    "retailers.tasks.apply_handovers": "apply_handovers",
    "jobs.tasks.watch_jobs": "watch_jobs",
}


def test_every_scheduled_job_has_a_command():
    from django.core.management import get_commands

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks - {"health.tasks.heartbeat"} == set(BEAT_COMMANDS)
    assert [name for name in BEAT_COMMANDS.values() if name not in get_commands()] == []
