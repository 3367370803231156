"""Services of information feedback, complaints, surveys and work plans: rules, transitions,
service levels, due times, permissions."""

# Fixtures are imported by name from feedback_fixtures; test arguments shadow them.
# ruff: noqa: F811

import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.visits.feedback_fixtures import english, local, shops  # noqa: F401
from visits.models import (
    Complaint,
    ComplaintStatus,
    InfoType,
    LeadStatus,
    SatisfactionSurvey,
    SurveyChannel,
    Validity,
    VisitRules,
    WorkPlan,
    WorkPlanKind,
)
from visits.services import feedback as services
from visits.tasks import generate_work_plans

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def messages_of(excinfo):
    return excinfo.value.messages


# --- Complaints ---------------------------------------------------------------------------------


def test_complaint_deadlines_are_24_and_72_hours(org, shops):
    complaint = services.complaint_open(
        retailer=shops["a1"], user=org.a.cm, content="送货晚到", opened_at=local(2026, 10, 29, 20)
    )
    complaint.refresh_from_db()
    assert complaint.respond_by == local(2026, 10, 30, 20)
    assert complaint.resolve_by == local(2026, 11, 1, 20)
    assert (complaint.status, complaint.territory, complaint.opened_by) == (
        ComplaintStatus.OPEN,
        org.a.territory,
        org.a.cm,
    )


def test_complaint_deadlines_follow_the_rules_of_the_local_day(org, shops):
    VisitRules.objects.create(
        effective_from=date(2026, 11, 1), complaint_response_hours=12, complaint_resolve_hours=48
    )
    before = services.complaint_open(
        retailer=shops["a1"], user=org.a.cm, content="x", opened_at=local(2026, 10, 31, 23, 30)
    )
    # 00:30 on 1 November in Shanghai is still 31 October in UTC: the local day decides.
    after = services.complaint_open(
        retailer=shops["a1"], user=org.a.cm, content="y", opened_at=local(2026, 11, 1, 0, 30)
    )
    assert before.resolve_by - before.opened_at == timedelta(hours=72)
    assert (after.respond_by, after.resolve_by) == (
        local(2026, 11, 1, 12, 30),
        local(2026, 11, 3, 0, 30),
    )


def test_complaint_open_is_idempotent_on_client_id(org, shops):
    client_id = uuid.uuid4()
    first = services.complaint_open(
        retailer=shops["a1"], user=org.a.cm, content="重复提交", client_id=client_id
    )
    again = services.complaint_open(
        retailer=shops["a1"], user=org.a.cm, content="重复提交", client_id=client_id
    )
    assert first.pk == again.pk
    # The same id from someone else (or for another shop) is not an answer to leak.
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_open(
            retailer=shops["a1"], user=org.a.dept_supervisor, content="x", client_id=client_id
        )
    assert excinfo.value.message_dict == {
        "client_id": ["This client id belongs to another complaint."]
    }
    assert Complaint.objects.count() == 1


def test_complaint_open_needs_content_and_a_visible_retailer(org, shops):
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_open(retailer=shops["a1"], user=org.a.cm, content="  ")
    assert "content" in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):
        services.complaint_open(retailer=shops["b1"], user=org.a.cm, content="x")
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_open(
            retailer=shops["a1"],
            user=org.a.cm,
            content="x",
            opened_at=local(2026, 11, 30) + timedelta(days=3650),
        )
    assert excinfo.value.message_dict == {"opened_at": ["The time cannot be in the future."]}
    assert Complaint.objects.count() == 0


def test_complaint_lifecycle(org, shops):
    complaint = services.complaint_open(
        retailer=shops["a1"],
        user=org.a.dept_supervisor,
        content="x",
        opened_at=local(2026, 11, 2, 9),
    )
    complaint = services.complaint_respond(
        complaint=complaint, user=org.a.cm, note="已联系店主", now=local(2026, 11, 2, 15)
    )
    assert (complaint.status, complaint.first_response_at) == (
        ComplaintStatus.IN_PROGRESS,
        local(2026, 11, 2, 15),
    )
    complaint = services.complaint_resolve(
        complaint=complaint, user=org.a.cm, resolution="已补送", now=local(2026, 11, 4, 10)
    )
    assert (complaint.status, complaint.resolved_at) == (
        ComplaintStatus.RESOLVED,
        local(2026, 11, 4, 10),
    )
    complaint = services.complaint_close(
        complaint=complaint,
        user=org.a.center_supervisor,
        substantiated=True,
        now=local(2026, 11, 5, 9),
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.closed_at, complaint.substantiated) == (
        ComplaintStatus.CLOSED,
        local(2026, 11, 5, 9),
        True,
    )
    assert complaint.resolution == (
        f"2026-11-02 15:00 {org.a.cm.name}: 已联系店主\n2026-11-04 10:00 {org.a.cm.name}: 已补送"
    )


def test_resolving_an_open_complaint_is_also_its_first_response(org, shops):
    complaint = services.complaint_open(
        retailer=shops["a1"], user=org.a.cm, content="x", opened_at=local(2026, 11, 2, 9)
    )
    complaint = services.complaint_resolve(
        complaint=complaint, user=org.a.cm, resolution="当场解决", now=local(2026, 11, 2, 10)
    )
    assert complaint.first_response_at == complaint.resolved_at == local(2026, 11, 2, 10)


@pytest.mark.parametrize(
    ("steps", "step", "message"),
    [
        ([], "close", "Only a resolved complaint can be closed."),
        (["respond"], "close", "Only a resolved complaint can be closed."),
        (["respond"], "respond", "Only an open complaint can be responded to."),
        (["resolve"], "respond", "Only an open complaint can be responded to."),
        (["resolve"], "resolve", "Only an open or in-progress complaint can be resolved."),
        (["resolve", "close"], "resolve", "Only an open or in-progress complaint can be resolved."),
        (["resolve", "close"], "close", "Only a resolved complaint can be closed."),
    ],
)
def test_invalid_transitions_are_rejected(org, shops, steps, step, message):
    complaint = services.complaint_open(
        retailer=shops["a1"], user=org.a.cm, content="x", opened_at=local(2026, 11, 2, 9)
    )
    calls = {
        "respond": lambda c: services.complaint_respond(complaint=c, user=org.a.cm, note="n"),
        "resolve": lambda c: services.complaint_resolve(complaint=c, user=org.a.cm, resolution="r"),
        "close": lambda c: services.complaint_close(
            complaint=c, user=org.a.dept_supervisor, substantiated=False
        ),
    }
    for done in steps:
        complaint = calls[done](complaint)
    before = Complaint.objects.values().get(pk=complaint.pk)
    with pytest.raises(ValidationError) as excinfo:
        calls[step](complaint)
    assert messages_of(excinfo) == [message]
    assert Complaint.objects.values().get(pk=complaint.pk) == before


def test_who_may_handle_and_close(org, shops):
    complaint = services.complaint_open(retailer=shops["a1"], user=org.a.cm, content="x")
    with pytest.raises(PermissionDenied):
        services.complaint_respond(complaint=complaint, user=org.a.cm2, note="n")
    services.complaint_respond(complaint=complaint, user=org.a.dept_supervisor, note="督察代为回复")
    services.complaint_resolve(complaint=complaint, user=org.a.cm, resolution="r")
    with pytest.raises(PermissionDenied) as excinfo:
        services.complaint_close(complaint=complaint, user=org.a.cm, substantiated=True)
    assert str(excinfo.value) == "Only supervisors can close a complaint."
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_close(complaint=complaint, user=org.assessor, substantiated=None)
    assert excinfo.value.message_dict == {
        "substantiated": ["Say whether the complaint was substantiated."]
    }
    assert Complaint.objects.get().status == ComplaintStatus.RESOLVED


def test_respond_needs_a_note(org, shops):
    complaint = services.complaint_open(retailer=shops["a1"], user=org.a.cm, content="x")
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_respond(complaint=complaint, user=org.a.cm, note=" ")
    assert excinfo.value.message_dict == {"note": ["Describe the response."]}
    assert Complaint.objects.get().status == ComplaintStatus.OPEN


# --- Work plans ---------------------------------------------------------------------------------


def plans():
    return sorted(
        (p.manager.employee_no, p.kind, p.period_start, p.due_at)
        for p in WorkPlan.objects.select_related("manager")
    )


def test_generation_due_times_and_idempotency(org):
    org.b.cm2.is_active = False
    org.b.cm2.save()
    # Wednesday 25 November 2026.
    assert services.work_plans_generate(today=date(2026, 11, 25)) == {"weekly": 3, "monthly": 6}
    expected = []
    for manager in (org.a.cm, org.a.cm2, org.b.cm):
        expected += [
            (manager.employee_no, "monthly", date(2026, 11, 1), local(2026, 11, 5, 17)),
            # 5 December is a Saturday: due on Friday the 4th (the previous working day).
            (manager.employee_no, "monthly", date(2026, 12, 1), local(2026, 12, 4, 17)),
            (manager.employee_no, "weekly", date(2026, 11, 30), local(2026, 11, 27, 17)),
        ]
    assert plans() == sorted(expected)
    assert services.work_plans_generate(today=date(2026, 11, 26)) == {"weekly": 0, "monthly": 0}
    assert WorkPlan.objects.count() == 9


@pytest.mark.parametrize(
    ("today", "period_start", "due"),
    [
        (date(2026, 11, 29), date(2026, 11, 30), local(2026, 11, 27, 17)),  # Sunday
        (date(2026, 11, 30), date(2026, 12, 7), local(2026, 12, 4, 17)),  # Monday
        (date(2026, 12, 31), date(2027, 1, 4), local(2027, 1, 1, 17)),  # across the year
    ],
)
def test_weekly_plan_is_due_on_friday_17_of_the_week_before(org, today, period_start, due):
    services.work_plans_generate(today=today)
    plan = WorkPlan.objects.get(manager=org.a.cm, kind=WorkPlanKind.WEEKLY)
    assert (plan.period_start, plan.due_at) == (period_start, due)


def test_due_times_come_from_the_rules(org):
    VisitRules.objects.create(
        effective_from=date(2026, 12, 1),
        monthly_plan_due_day=3,
        monthly_plan_due_hour=12,
        weekly_plan_due_weekday=3,
        weekly_plan_due_hour=18,
    )
    # The week of 30 November still runs on the old rules (its Monday is in November).
    services.work_plans_generate(today=date(2026, 12, 2))
    services.work_plans_generate(today=date(2026, 12, 9))
    mine = {(p.kind, p.period_start): p.due_at for p in WorkPlan.objects.filter(manager=org.a.cm)}
    assert mine == {
        ("weekly", date(2026, 12, 7)): local(2026, 12, 4, 17),
        ("weekly", date(2026, 12, 14)): local(2026, 12, 10, 18),  # Thursday 18:00
        ("monthly", date(2026, 12, 1)): local(2026, 12, 3, 12),
        # 3 January 2027 is a Sunday: due Friday the 1st (no holiday calendar here).
        ("monthly", date(2027, 1, 1)): local(2027, 1, 1, 12),
    }


def test_daily_task_generates(org, celery_eager):
    result = generate_work_plans.delay("2026-11-25")
    assert result.get() == {"weekly": 4, "monthly": 8}
    assert (
        WorkPlan.objects.filter(kind=WorkPlanKind.WEEKLY, period_start=date(2026, 11, 30)).count()
        == 4
    )


def weekly_plan(org):
    services.work_plans_generate(today=date(2026, 11, 25))
    return WorkPlan.objects.get(manager=org.a.cm, kind=WorkPlanKind.WEEKLY)


def test_submit_before_due_then_edit_keeps_first_submission(org):
    plan = weekly_plan(org)
    services.work_plan_submit(plan=plan, user=org.a.cm, content="初稿", now=local(2026, 11, 26, 9))
    services.work_plan_submit(plan=plan, user=org.a.cm, content="定稿", now=local(2026, 11, 27, 17))
    plan.refresh_from_db()
    assert (plan.content, plan.submitted_at, plan.is_late) == (
        "定稿",
        local(2026, 11, 26, 9),
        False,
    )
    with pytest.raises(ValidationError) as excinfo:
        services.work_plan_submit(
            plan=plan, user=org.a.cm, content="补改", now=local(2026, 11, 27, 17, 0, 1)
        )
    assert messages_of(excinfo) == [
        "This plan was submitted and its due time has passed; it can no longer be changed."
    ]
    plan.refresh_from_db()
    assert plan.content == "定稿"


@pytest.mark.parametrize(
    ("submitted", "late"),
    [(local(2026, 11, 27, 17), False), (local(2026, 11, 27, 17, 0, 1), True)],
)
def test_late_at_the_boundary(org, submitted, late):
    plan = services.work_plan_submit(
        plan=weekly_plan(org), user=org.a.cm, content="计划", now=submitted
    )
    assert (plan.submitted_at, plan.is_late) == (submitted, late)


def test_only_the_manager_submits_and_content_is_required(org):
    plan = weekly_plan(org)
    with pytest.raises(PermissionDenied):
        services.work_plan_submit(plan=plan, user=org.a.dept_supervisor, content="x")
    with pytest.raises(ValidationError) as excinfo:
        services.work_plan_submit(plan=plan, user=org.a.cm, content="   ")
    assert excinfo.value.message_dict == {"content": ["Write the plan before submitting it."]}
    plan.refresh_from_db()
    assert (plan.content, plan.submitted_at) == ("", None)


# --- Information --------------------------------------------------------------------------------


def test_report_and_review(org, shops):
    item = services.info_report(
        user=org.a.cm, kind=InfoType.PRICE, content="中华零售价偏高", retailer=shops["a1"]
    )
    assert (item.territory, item.validity) == (org.a.territory, Validity.PENDING)
    again = services.info_report(
        user=org.a.cm, kind=InfoType.PRICE, content="中华零售价偏高", client_id=item.client_id
    )
    assert again.pk == item.pk
    with pytest.raises(PermissionDenied):
        services.info_review(item=item, user=org.a.cm, valid=True)
    services.info_review(
        item=item, user=org.a.dept_supervisor, valid=False, now=local(2026, 11, 3, 9)
    )
    item.refresh_from_db()
    assert (item.validity, item.reviewed_by, item.reviewed_at) == (
        Validity.INVALID,
        org.a.dept_supervisor,
        local(2026, 11, 3, 9),
    )
    services.info_review(item=item, user=org.assessor, valid=True)
    item.refresh_from_db()
    assert (item.validity, item.reviewed_by) == (Validity.VALID, org.assessor)


def test_report_needs_a_known_type_and_text(org, shops):
    with pytest.raises(ValidationError) as excinfo:
        services.info_report(user=org.a.cm, kind="gossip", content="")
    assert set(excinfo.value.message_dict) == {"kind", "content"}
    with pytest.raises(PermissionDenied):
        services.info_report(user=org.a.cm, kind=InfoType.OTHER, content="x", retailer=shops["b1"])


def test_lead_follow_up(org, shops):
    lead = services.info_report(user=org.a.cm, kind=InfoType.GROUP, content="企业年会采购")
    services.lead_update(
        item=lead,
        user=org.a.cm,
        status=LeadStatus.FOLLOWING,
        note="已联系",
        now=local(2026, 11, 3, 10),
    )
    services.lead_update(
        item=lead,
        user=org.a.dept_supervisor,
        status=LeadStatus.WON,
        note="成交20条",
        now=local(2026, 11, 5, 16),
    )
    lead.refresh_from_db()
    assert lead.lead_status == LeadStatus.WON
    assert lead.lead_note == (
        f"2026-11-03 10:00 {org.a.cm.name}: 已联系\n"
        f"2026-11-05 16:00 {org.a.dept_supervisor.name}: 成交20条"
    )
    price = services.info_report(user=org.a.cm, kind=InfoType.PRICE, content="x")
    with pytest.raises(ValidationError) as excinfo:
        services.lead_update(item=price, user=org.a.cm, status=LeadStatus.WON, note="")
    assert messages_of(excinfo) == ["Only group-consumption and occasion leads are followed up."]
    with pytest.raises(PermissionDenied):
        services.lead_update(item=lead, user=org.a.cm2, status=LeadStatus.LOST, note="")


# --- Surveys ------------------------------------------------------------------------------------


def test_survey_recorded(org, shops):
    survey = services.survey_record(
        retailer=shops["a1"],
        user=org.a.dept_supervisor,
        score=4,
        surveyed_on=date(2026, 11, 10),
        channel=SurveyChannel.PHONE,
        note="送货及时",
    )
    survey.refresh_from_db()
    assert (survey.score, survey.recorded_by, survey.channel) == (4, org.a.dept_supervisor, "phone")


@pytest.mark.parametrize(
    ("score", "surveyed_on", "channel", "errors"),
    [
        (0, date(2026, 11, 10), "phone", {"score": ["The score is a whole number from 1 to 5."]}),
        (6, date(2026, 11, 10), "phone", {"score": ["The score is a whole number from 1 to 5."]}),
        ("3", date(2026, 11, 10), "phone", {"score": ["The score is a whole number from 1 to 5."]}),
        (
            True,
            date(2026, 11, 10),
            "phone",
            {"score": ["The score is a whole number from 1 to 5."]},
        ),
        (3, date(2099, 1, 1), "phone", {"surveyed_on": ["The date cannot be in the future."]}),
        (3, date(2026, 11, 10), "email", {"channel": ["Choose who took the survey."]}),
    ],
)
def test_survey_validation(org, shops, score, surveyed_on, channel, errors):
    with pytest.raises(ValidationError) as excinfo:
        services.survey_record(
            retailer=shops["a1"],
            user=org.a.dept_supervisor,
            score=score,
            surveyed_on=surveyed_on,
            channel=channel,
        )
    assert excinfo.value.message_dict == errors
    assert SatisfactionSurvey.objects.count() == 0


def test_survey_recorders(org, shops):
    kwargs = {"score": 5, "surveyed_on": date(2026, 11, 10), "channel": "supervisor"}
    with pytest.raises(PermissionDenied):
        services.survey_record(retailer=shops["a1"], user=org.a.cm, **kwargs)
    with pytest.raises(PermissionDenied):
        services.survey_record(retailer=shops["a1"], user=org.hr, **kwargs)
    with pytest.raises(PermissionDenied):
        services.survey_record(retailer=shops["a1"], user=org.b.dept_supervisor, **kwargs)
    services.survey_record(retailer=shops["a1"], user=org.assessor, **kwargs)
    assert SatisfactionSurvey.objects.count() == 1
