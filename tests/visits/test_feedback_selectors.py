"""Monthly counts for the assessment, hand-computed, with Asia/Shanghai month boundaries."""

# Fixtures are imported by name from feedback_fixtures; test arguments shadow them.
# ruff: noqa: F811

from datetime import date
from decimal import Decimal

import pytest

from tests.visits.feedback_fixtures import DEC, NOV, OCT, local, shops  # noqa: F401
from visits.models import InfoType, WorkPlan, WorkPlanKind
from visits.selectors.feedback import (
    complaint_counts,
    information_counts,
    month_bounds,
    satisfaction_means,
    work_plan_counts,
)
from visits.services import feedback as services

pytestmark = pytest.mark.django_db


def test_month_bounds_are_local_midnights():
    start, end = month_bounds(date(2026, 11, 17))
    assert (start, end) == (local(2026, 11, 1), local(2026, 12, 1))
    assert start.utcoffset().total_seconds() == 8 * 3600


# --- Information --------------------------------------------------------------------------------


def report(user, at, kind=InfoType.PRICE):
    return services.info_report(user=user, kind=kind, content="信息", reported_at=at)


def test_information_counts(org, django_assert_num_queries):
    a, a2, b = org.a.cm, org.a.cm2, org.b.cm
    report(a, local(2026, 9, 30, 23, 59))  # September
    report(a, local(2026, 10, 1, 0, 10))  # October, though still 30 September in UTC
    valid = report(a, local(2026, 10, 15, 10))
    invalid = report(a, local(2026, 10, 20, 10))
    report(a, local(2026, 10, 31, 23, 59), kind=InfoType.GROUP)  # pending counts
    report(a, local(2026, 11, 1, 0, 0))  # November
    report(a2, local(2026, 10, 3, 9))
    only_invalid = report(b, local(2026, 10, 3, 9))
    services.info_review(item=valid, user=org.a.dept_supervisor, valid=True)
    services.info_review(item=invalid, user=org.a.dept_supervisor, valid=False)
    services.info_review(item=only_invalid, user=org.b.dept_supervisor, valid=False)

    with django_assert_num_queries(1):
        counts = information_counts(month=OCT)
    assert counts == {a.pk: 3, a2.pk: 1}
    assert information_counts(month=date(2026, 9, 1)) == {a.pk: 1}
    assert information_counts(month=NOV) == {a.pk: 1}


def test_an_item_marked_invalid_after_the_month_close_still_counts(org):
    item = report(org.a.cm, local(2026, 11, 10, 9))
    services.info_review(
        item=item, user=org.a.dept_supervisor, valid=False, now=local(2026, 12, 3, 9)
    )
    assert information_counts(month=NOV) == {}
    assert information_counts(month=NOV, closed_at=local(2026, 12, 2, 18)) == {org.a.cm.pk: 1}
    assert information_counts(month=NOV, closed_at=local(2026, 12, 4, 18)) == {}


# --- Complaints ---------------------------------------------------------------------------------


def open_complaint(org, shop, at):
    return services.complaint_open(retailer=shop, user=org.assessor, content="投诉", opened_at=at)


def resolve(org, complaint, at):
    return services.complaint_resolve(
        complaint=complaint, user=org.assessor, resolution="已处理", now=at
    )


def close(org, complaint, at, substantiated):
    return services.complaint_close(
        complaint=complaint, user=org.assessor, substantiated=substantiated, now=at
    )


def test_complaint_counts(org, shops, django_assert_num_queries):
    a, a2, b = org.a.cm, org.a.cm2, org.b.cm
    # Opened 29 Oct 20:00 → resolve by 1 Nov 20:00, never resolved: overdue in November.
    open_complaint(org, shops["a1"], local(2026, 10, 29, 20))
    # Resolve by 28 Oct 10:00, resolved a day late: overdue in October only.
    late_oct = open_complaint(org, shops["a1"], local(2026, 10, 25, 10))
    resolve(org, late_oct, local(2026, 10, 29, 10))
    # Resolved exactly at the deadline: on time.
    on_time = open_complaint(org, shops["a2"], local(2026, 11, 10, 9))
    resolve(org, on_time, local(2026, 11, 13, 9))
    # One second after the deadline: overdue; then closed substantiated on 30 Nov 23:30.
    late = open_complaint(org, shops["a2"], local(2026, 11, 10, 9))
    resolve(org, late, local(2026, 11, 13, 9, 0, 1))
    close(org, late, local(2026, 11, 30, 23, 30), substantiated=True)
    # Closed substantiated at 00:30 on 1 December (still 30 Nov in UTC): December.
    december = open_complaint(org, shops["b1"], local(2026, 11, 20, 9))
    resolve(org, december, local(2026, 11, 21, 9))
    close(org, december, local(2026, 12, 1, 0, 30), substantiated=True)
    # Not substantiated: not counted.
    cleared = open_complaint(org, shops["b1"], local(2026, 11, 5, 9))
    resolve(org, cleared, local(2026, 11, 6, 9))
    close(org, cleared, local(2026, 11, 7, 9), substantiated=False)
    # Resolve by 2 Dec 9:00, unresolved: overdue in December once its deadline has passed.
    open_complaint(org, shops["b2"], local(2026, 11, 29, 9))

    closed_at = local(2026, 12, 1, 18)
    with django_assert_num_queries(2):
        counts = complaint_counts(month=NOV, closed_at=closed_at)
    assert counts == {
        a.pk: {"overdue": 1, "substantiated": 0},
        a2.pk: {"overdue": 1, "substantiated": 1},
    }
    assert complaint_counts(month=OCT, closed_at=closed_at) == {
        a.pk: {"overdue": 1, "substantiated": 0}
    }
    assert complaint_counts(month=DEC, closed_at=local(2026, 12, 2, 8)) == {
        b.pk: {"overdue": 0, "substantiated": 1}
    }
    assert complaint_counts(month=DEC, closed_at=local(2026, 12, 2, 10)) == {
        b.pk: {"overdue": 0, "substantiated": 1},
        org.b.cm2.pk: {"overdue": 1, "substantiated": 0},
    }


# --- Work plans ---------------------------------------------------------------------------------


def submit(plan, at):
    return services.work_plan_submit(plan=plan, user=plan.manager, content="计划", now=at)


def plan(manager, kind, period_start):
    return WorkPlan.objects.get(manager=manager, kind=kind, period_start=period_start)


def test_work_plan_counts(org, django_assert_num_queries):
    a, a2, b = org.a.cm, org.a.cm2, org.b.cm
    services.work_plans_generate(today=date(2026, 10, 28))  # week of 2 Nov, due Fri 30 Oct
    services.work_plans_generate(today=date(2026, 11, 4))  # week of 9 Nov, due 6 Nov
    services.work_plans_generate(today=date(2026, 11, 25))  # week of 30 Nov, due 27 Nov
    weekly, monthly = WorkPlanKind.WEEKLY, WorkPlanKind.MONTHLY
    # Manager a: on time at the exact due time, late by one second, monthly late.
    submit(plan(a, weekly, date(2026, 11, 9)), local(2026, 11, 6, 17))
    submit(plan(a, weekly, date(2026, 11, 30)), local(2026, 11, 27, 17, 0, 1))
    submit(plan(a, monthly, date(2026, 11, 1)), local(2026, 11, 6, 9))
    submit(plan(a, weekly, date(2026, 11, 2)), local(2026, 10, 30, 18))  # late, in October
    # Manager a2: everything on time in November except the weekly of 30 Nov, submitted
    # only after the month close (missing).
    submit(plan(a2, weekly, date(2026, 11, 9)), local(2026, 11, 5, 9))
    submit(plan(a2, monthly, date(2026, 11, 1)), local(2026, 11, 5, 16, 59))
    submit(plan(a2, weekly, date(2026, 11, 30)), local(2026, 12, 2, 9))
    # Manager b submits nothing; b2 submits everything on time.
    for p in WorkPlan.objects.filter(manager=org.b.cm2):
        submit(p, p.due_at)

    closed_at = local(2026, 12, 1, 18)
    with django_assert_num_queries(1):
        counts = work_plan_counts(month=NOV, closed_at=closed_at)
    assert counts == {
        a.pk: {"late": 2, "missing": 0},
        a2.pk: {"late": 0, "missing": 1},
        b.pk: {"late": 0, "missing": 3},
    }
    assert work_plan_counts(month=OCT, closed_at=closed_at) == {
        a.pk: {"late": 1, "missing": 1},  # October's monthly plan was never submitted
        a2.pk: {"late": 0, "missing": 2},
        b.pk: {"late": 0, "missing": 2},
    }
    # December's monthly plan (the 5th is a Saturday: due Friday 4 Dec) is not missing
    # before its due time.
    assert work_plan_counts(month=DEC, closed_at=local(2026, 12, 4, 17)) == {}
    assert work_plan_counts(month=DEC, closed_at=local(2026, 12, 4, 17, 1)) == {
        a.pk: {"late": 0, "missing": 1},
        a2.pk: {"late": 0, "missing": 1},
        b.pk: {"late": 0, "missing": 1},
    }


# --- Satisfaction -------------------------------------------------------------------------------


def test_satisfaction_means(org, shops, django_assert_num_queries):
    def survey(shop, score, day):
        services.survey_record(
            retailer=shop, user=org.assessor, score=score, surveyed_on=day, channel="phone"
        )

    survey(shops["a1"], 5, date(2026, 10, 1))
    survey(shops["a1"], 4, date(2026, 10, 15))
    survey(shops["a1"], 4, date(2026, 10, 31))
    survey(shops["a1"], 1, date(2026, 9, 30))
    survey(shops["a1"], 1, date(2026, 11, 1))
    survey(shops["b1"], 2, date(2026, 10, 20))
    with django_assert_num_queries(1):
        means = satisfaction_means(month=OCT)
    assert means == {
        org.a.territory.pk: (Decimal(13) / Decimal(3), 3),
        org.b.territory.pk: (Decimal(2), 1),
    }
    assert means[org.a.territory.pk][0].quantize(Decimal("0.0001")) == Decimal("4.3333")
    assert satisfaction_means(month=NOV) == {org.a.territory.pk: (Decimal(1), 1)}
