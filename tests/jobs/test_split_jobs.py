"""The monthly classification and visit-plan generation split into parts (Celery groups of
``run_job`` tasks): the classification into one ``JobRun`` per city company, which ranks the
city and then queues one part per marketing center that scores it; the plans into one part
per marketing center. The parts give exactly the rows of the single in-process call, each
part has its own claim and heartbeat, a re-run gives the same rows, and a part already
queued is not queued again.

Two city companies under one province (tests/accounts/test_province.py), each with two
territories of shops spread around the territory centre and buying different amounts in the
classification window (2026-08 … 2026-10), so the ranks, classes, windows, days and routes
all differ between shops. City 1's second territory belongs to a second marketing center, so
city 1 ranks its shops of both centers together and is scored in two parts."""

import hashlib
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import OrgKind, OrgUnit
from jobs.models import JobKind, JobRun, JobStatus
from jobs.tasks import run_job
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
    """Two city companies, 3 marketing centers, 4 territories, 36 shops with orders; returns
    the cities, their companies and the centers (by code)."""
    province = OrgUnitFactory(name="江淮省烟草公司", code="P", kind=OrgKind.PROVINCE)
    cities = [_city(province, 1), _city(province, 2)]
    # City 1's second territory (and its manager) move to a second marketing center.
    second = OrgUnitFactory(
        name="1市郊区营销部", code="C1-2", kind=OrgKind.MARKETING_CENTER, parent=cities[0].company
    )
    department = OrgUnitFactory(
        name="1市第二客户服务部", code="C1-2-1", kind=OrgKind.SERVICE_DEPARTMENT, parent=second
    )
    cities[0].territory2.department = department
    cities[0].territory2.save()
    cities[0].cm2.org_unit = department
    cities[0].cm2.save()
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
    return SimpleNamespace(
        cities=cities,
        companies=[city.company for city in cities],
        centers=list(OrgUnit.objects.filter(kind=OrgKind.MARKETING_CENTER).order_by("code")),
    )


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


def check_parts(kind, parts, month=NOV):
    """One finished part per (city, marketing center or None), each claimed once and with
    its own heartbeat; the parts, in that order."""
    jobs = sorted(
        JobRun.objects.filter(kind=kind).select_related("company", "unit"),
        key=lambda job: (job.company.code, job.unit.code if job.unit else ""),
    )
    assert [(job.company, job.unit, job.month, job.status) for job in jobs] == [
        (company, unit, month, JobStatus.DONE) for company, unit in parts
    ]
    assert all(job.attempts == 1 and job.heartbeat_at >= job.started_at for job in jobs)
    return jobs


def city_parts(data):
    return [(company, None) for company in data.companies]


def center_parts(data):
    return [(center.company, center) for center in data.centers]


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
    # One group of the two cities' parts, then each city's group of its centers' parts.
    assert len(callbacks) == 3
    c1, c1_1, c1_2, c2, c2_1 = check_parts(
        JobKind.CLASSIFY,
        [
            (data.companies[0], None),
            *center_parts(data)[:2],
            (data.companies[1], None),
            center_parts(data)[2],
        ],
    )
    assert split == {"month": "2026-11-01", "jobs": [c1.pk, c2.pk], "queued": [c1.pk, c2.pk]}
    # City 1 ranks its 18 shops of both centers together, then each center scores its 9.
    assert c1.result == {
        "month": "2026-11-01",
        "company": "C1",
        "rule_set": c1.result["rule_set"],
        "ranked": 18,
        "centers": [c.pk for c in data.centers[:2]],
        "parts": [c1_1.pk, c1_2.pk],
    }
    assert c2.result["ranked"] == 18 and c2.result["parts"] == [c2_1.pk]
    assert [(j.result["center"], j.result["retailers"]) for j in (c1_1, c1_2, c2_1)] == [
        ("C1-1", 9),
        ("C1-2", 9),
        ("C2-1", 18),
    ]
    assert all(j.heartbeat_at <= part.created_at for j, part in ((c1, c1_1), (c2, c2_1)))
    with django_capture_on_commit_callbacks(execute=True):
        plans = generate_visit_plans.delay("2026-11-20").get()
    check_parts(JobKind.PLANS, center_parts(data))
    assert len(plans["jobs"]) == 3

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
    # City 2's plans: one part (its one center); then the three centers, city 2's kept.
    assert one_city["queued"] == one_city["jobs"] and len(one_city["jobs"]) == 1
    assert both["jobs"][2] == one_city["jobs"][0] and len(both["queued"]) == 2
    assert len(callbacks) == 3  # the first classification, city 2's plans, city 1's
    assert JobRun.objects.filter(status=JobStatus.QUEUED).count() == 5
    assert list(
        JobRun.objects.filter(kind=JobKind.PLANS)
        .order_by("unit__code")
        .values_list("company__code", "unit__code")
    ) == [("C1", "C1-1"), ("C1", "C1-2"), ("C2", "C2-1")]


@pytest.mark.django_db
def test_the_beat_classification_then_queues_each_center_plans(
    celery_eager, django_capture_on_commit_callbacks
):
    data = build_two_cities()
    this_month = timezone.localdate().replace(day=1)
    with django_capture_on_commit_callbacks(execute=True):
        classify_retailers.delay()
    classified = check_parts(
        JobKind.CLASSIFY,
        [(data.companies[0], None), *center_parts(data)[:2], (data.companies[1], None)]
        + center_parts(data)[2:],
        this_month,
    )
    scored = [job for job in classified if job.unit is not None]
    planned = check_parts(JobKind.PLANS, center_parts(data), this_month)
    assert all(job.params == {"plans": True} for job in classified)
    for classification, plans in zip(scored, planned, strict=True):
        assert plans.params == {} and plans.unit == classification.unit
        assert plans.created_at >= classification.heartbeat_at  # after the center's classes
        assert (
            plans.result["created"]
            == VisitPlan.objects.filter(
                month=this_month, territory__department__parent=plans.unit
            ).count()
            > 0
        )
    assert sum(job.result["created"] for job in planned) == VisitPlan.objects.count()
    # A month given (a backfill): no plans follow.
    JobRun.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        classify_retailers.delay(this_month.isoformat())
    assert not JobRun.objects.filter(kind=JobKind.PLANS).exists()


@pytest.mark.django_db
def test_a_center_part_needs_the_city_ranking(celery_eager):
    """A center's part run without its city's ranking of the month (say, queued again by hand
    after the ranks of a later month replaced them) fails with the reason and writes
    nothing."""
    data = build_two_cities()
    part = JobRun.objects.create(
        kind=JobKind.CLASSIFY, company=data.companies[0], unit=data.centers[0], month=NOV
    )
    run_job.delay(part.pk)
    part.refresh_from_db()
    assert part.status == JobStatus.FAILED
    assert part.error.startswith(f"{data.companies[0].name} 没有 2026-11 的排名：请重新运行")
    assert not ClassificationRecord.objects.exists()


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


@pytest.mark.django_db
def test_a_city_classification_page_lists_its_centers_parts(client, org):
    center = org.a.center
    part = JobRun.objects.create(
        kind=JobKind.CLASSIFY, company=org.company, unit=center, month=NOV, status=JobStatus.DONE
    )
    city = JobRun.objects.create(
        kind=JobKind.CLASSIFY,
        company=org.company,
        month=NOV,
        status=JobStatus.DONE,
        result={"ranked": 12, "centers": [center.pk], "parts": [part.pk]},
    )
    client.force_login(org.admin)
    page = client.get(reverse("jobs:job", args=[city.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Marketing centers' parts" in page.content.decode()
    assert reverse("jobs:job", args=[part.pk]) in page.content.decode()
    assert page.context["parts"] == [part] and page.context["refresh"] is None
    # A part still running keeps the city's page refreshing itself.
    JobRun.objects.filter(pk=part.pk).update(status=JobStatus.RUNNING)
    page = client.get(reverse("jobs:job", args=[city.pk]))
    assert page.context["refresh"] == 3
    page = client.get(reverse("jobs:job", args=[part.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert f"{org.company.name} · {center.name}" in page.content.decode()
