"""The monthly classification and visit-plan generation split into one ``JobRun`` per city
company (a Celery group of ``run_job`` tasks): the parts give exactly the rows of the single
in-process call, each part has its own claim and heartbeat, a re-run gives the same rows,
and a part already queued is not queued again.

Two city companies under one province (tests/accounts/test_province.py), each with two
territories of shops spread around the territory centre and buying different amounts in the
classification window (2026-08 … 2026-10), so the ranks, classes, windows, days and routes
all differ between shops."""

import hashlib
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import OrgKind
from jobs.models import JobKind, JobRun, JobStatus
from retailers.models import ClassificationRecord, Environment, Retailer
from retailers.services import classification_run
from retailers.tasks import classify_retailers
from tests.accounts.test_province import _city
from tests.factories import BrandFactory, OrderLineFactory, OrgUnitFactory, RetailerFactory
from visits.models import VisitPlan
from visits.services.plans import plans_generate
from visits.tasks import generate_visit_plans

NOV = date(2026, 11, 1)
ENVIRONMENTS = [
    Environment.BUSINESS_CENTER,
    Environment.RESIDENTIAL,
    Environment.RURAL_TOWN,
    Environment.REMOTE_RURAL,
]
SHOPS_PER_TERRITORY = 9


def build_two_cities() -> SimpleNamespace:
    """Two city companies, 4 territories, 36 shops with orders; returns the cities."""
    province = OrgUnitFactory(name="江淮省烟草公司", code="P", kind=OrgKind.PROVINCE)
    cities = [_city(province, 1), _city(province, 2)]
    brand = BrandFactory()
    n = 0
    for c, city in enumerate(cities):
        for t, territory in enumerate((city.territory, city.territory2)):
            territory.latitude = Decimal("31.900000") + Decimal(c) / 10
            territory.longitude = Decimal("118.800000") + Decimal(t) / 10
            territory.save()
            for i in range(SHOPS_PER_TERRITORY):
                n += 1
                shop = RetailerFactory(
                    territory=territory,
                    latitude=territory.latitude + Decimal((i % 3) - 1) / 100,
                    longitude=territory.longitude + Decimal((i // 3) - 1) / 100,
                    environment=ENVIRONMENTS[n % 4],
                    potential=n % 5 + 1,
                )
                for month in (8, 9, 10):
                    OrderLineFactory(
                        retailer=shop,
                        brand=brand,
                        order_date=date(2026, month, 5 + i),
                        quantity=(n * 37) % 400 + 10,
                        settled_on_time=bool(n % 3),
                    )
    return SimpleNamespace(cities=cities, companies=[city.company for city in cities])


def classification_rows() -> list[tuple]:
    """Every stored figure of the month's classification, and the retailers' classes."""
    records = ClassificationRecord.objects.filter(month=NOV).order_by("retailer_id")
    fields = [f.name for f in ClassificationRecord._meta.fields if f.name not in {"id"}]
    fields.remove("created_at")
    rows = [tuple(row) for row in records.values_list(*fields)]
    classes = list(Retailer.objects.order_by("pk").values_list("pk", "abc_class"))
    return rows + [("class", *row) for row in classes]


def plan_rows() -> list[tuple]:
    """Every planned visit of the month: who, where, which window, which day, route place."""
    return list(
        VisitPlan.objects.filter(month=NOV)
        .order_by("retailer_id", "window_start")
        .values_list(
            "retailer_id",
            "manager_id",
            "territory_id",
            "window_start",
            "window_end",
            "planned_class",
            "scheduled_for",
            "route_position",
            "dropped",
        )
    )


def digest(rows) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def single_run() -> tuple[list, list]:
    """The month's classification and plans in this process (one call each, every city);
    the rows, then everything they wrote undone, so that the split run starts alike."""
    classes = dict(Retailer.objects.values_list("pk", "abc_class"))
    classification_run(month=NOV)
    plans_generate(month=NOV)
    rows = classification_rows(), plan_rows()
    VisitPlan.objects.filter(month=NOV).delete()
    ClassificationRecord.objects.filter(month=NOV).delete()
    for klass in set(classes.values()):
        Retailer.objects.filter(pk__in=[pk for pk, k in classes.items() if k == klass]).update(
            abc_class=klass
        )
    assert not ClassificationRecord.objects.exists() and not VisitPlan.objects.exists()
    return rows


def check_parts(kind, companies, month=NOV):
    """One finished part per city, each claimed once and with its own heartbeat."""
    jobs = list(JobRun.objects.filter(kind=kind).order_by("company_id"))
    assert [(job.company, job.month, job.status) for job in jobs] == [
        (company, month, JobStatus.DONE) for company in sorted(companies, key=lambda c: c.pk)
    ]
    assert all(job.attempts == 1 and job.heartbeat_at >= job.started_at for job in jobs)
    return jobs


@pytest.mark.django_db
def test_split_jobs_give_the_rows_of_the_single_run(
    celery_eager, django_capture_on_commit_callbacks
):
    data = build_two_cities()
    classified, planned = single_run()
    assert len(classified) == 2 * 36 and len({row[-4] for row in classified[:36]}) == 3
    assert {row[1] for row in planned} >= {c.cm.pk for c in data.cities}

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        split = classify_retailers.delay(NOV.isoformat()).get()
    assert len(callbacks) == 1  # one group of two parts
    jobs = check_parts(JobKind.CLASSIFY, data.companies)
    assert split == {"month": "2026-11-01", "jobs": [j.pk for j in jobs], "queued": split["jobs"]}
    assert sorted(job.result["company"] for job in jobs) == ["C1", "C2"]
    assert sum(job.result["retailers"] for job in jobs) == 36
    with django_capture_on_commit_callbacks(execute=True):
        generate_visit_plans.delay("2026-11-20")
    check_parts(JobKind.PLANS, data.companies)

    assert classification_rows() == classified
    assert plan_rows() == planned
    assert digest(plan_rows()) == digest(planned)

    # Idempotent: running the parts again writes the same rows.
    JobRun.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        classify_retailers.delay(NOV.isoformat())
    with django_capture_on_commit_callbacks(execute=True):
        generate_visit_plans.delay(NOV.isoformat())
    # (the class before the month's run stays the one the first run recorded)
    assert classification_rows() == classified
    assert plan_rows() == planned


@pytest.mark.django_db
def test_a_part_already_queued_is_not_queued_again(django_capture_on_commit_callbacks):
    data = build_two_cities()
    with django_capture_on_commit_callbacks() as callbacks:  # not run: the parts stay queued
        first = classify_retailers(NOV.isoformat())
        second = classify_retailers(NOV.isoformat())
        one_city = generate_visit_plans(NOV.isoformat(), company=data.companies[1].pk)
        both = generate_visit_plans(NOV.isoformat())
    assert len(first["queued"]) == 2 and first["jobs"] == first["queued"]
    assert second == {**first, "queued": []}
    assert one_city["queued"] == one_city["jobs"] and len(one_city["jobs"]) == 1
    assert both["jobs"][1] == one_city["jobs"][0] and len(both["queued"]) == 1
    assert len(callbacks) == 3  # the first classification, the city's plans, the other's
    assert JobRun.objects.filter(status=JobStatus.QUEUED).count() == 4


@pytest.mark.django_db
def test_the_beat_classification_then_queues_each_city_plans(
    celery_eager, django_capture_on_commit_callbacks
):
    data = build_two_cities()
    this_month = timezone.localdate().replace(day=1)
    with django_capture_on_commit_callbacks(execute=True):
        classify_retailers.delay()
    classified = check_parts(JobKind.CLASSIFY, data.companies, this_month)
    planned = check_parts(JobKind.PLANS, data.companies, this_month)
    for classification, plans in zip(classified, planned, strict=True):
        assert classification.params == {"plans": True} and plans.params == {}
        assert plans.created_at >= classification.heartbeat_at  # after the city's classes
        assert (
            plans.result["created"]
            == VisitPlan.objects.filter(
                month=this_month, territory__department__company=plans.company
            ).count()
        )
        assert plans.result["created"] > 0
    # A month given (a backfill): no plans follow.
    JobRun.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        classify_retailers.delay(this_month.isoformat())
    assert not JobRun.objects.filter(kind=JobKind.PLANS).exists()


@pytest.mark.django_db
def test_a_city_part_page_is_for_admins_and_leaders(client, org):
    job = JobRun.objects.create(
        kind=JobKind.CLASSIFY, company=org.company, month=NOV, status=JobStatus.FAILED
    )
    url = reverse("jobs:job", args=[job.pk])
    client.force_login(org.admin)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Retailer classification" in page and reverse("retailers:list") in page
    assert reverse("jobs:job_retry", args=[job.pk]) in page
    for user in (org.assessor, org.hr, org.a.cm):
        client.force_login(user)
        assert client.get(url).status_code == 404
