"""Writes for information feedback, complaints, satisfaction surveys and work plans.

DOMAIN.md §3. Every function is keyword-only and atomic, validates with ``full_clean()`` and
raises ``ValidationError`` (bad input, or a step the object's state does not allow) or
``PermissionDenied`` (the user's role may not take this step). Callers fetch the object
through ``Model.objects.visible_to(user)`` first, so an outsider has already had a 404.

Decisions:

- A work plan's ``submitted_at`` is the time of its first submission. Its content may be
  edited until the due time; after the due time a submitted plan is frozen. A plan not yet
  submitted may still be submitted after its due time: it is then late.
- A complaint may be resolved straight from "open"; the resolution then also counts as
  the first response. Respond and resolve: the territory's manager or a supervisor; close
  (with the 属实 judgement): supervisors only.
- A leader (read-only role) reports no information and opens no complaint; the other steps
  are already limited to the manager concerned or to supervisors.
- Complaint notes and lead follow-ups are kept as a dated log (one line per step, with the
  user's name) in ``Complaint.resolution`` and ``InformationItem.lead_note``.
"""

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from assessment.adjustments import LOCKED, locked_territory_month, note_late
from assessment.models import LateKind
from retailers.models import Retailer, add_months, month_start
from retailers.selectors import current_manager_ids

from ..models import (
    Complaint,
    ComplaintStatus,
    InformationItem,
    LeadStatus,
    SatisfactionSurvey,
    SurveyChannel,
    Validity,
    VisitRules,
    WorkPlan,
    WorkPlanKind,
)
from ..selectors.calendar import working_day_on_or_before
from ..selectors.feedback import LOCAL_TZ, local_datetime

# Who reviews information, closes complaints and records surveys.
FEEDBACK_SUPERVISORS = (
    Role.SERVICE_DEPT_SUPERVISOR,
    Role.MARKETING_CENTER_SUPERVISOR,
    Role.ASSESSMENT_CENTER,
    Role.ADMIN,
)
# Opened more than this far in the future: a clock error, refused.
CLOCK_SKEW = timedelta(minutes=5)


def is_feedback_supervisor(user) -> bool:
    return user.is_superuser or user.role in FEEDBACK_SUPERVISORS


def _require_supervisor(user, message):
    if not is_feedback_supervisor(user):
        raise PermissionDenied(message)


def _refuse_read_only(user, message):
    """A leader (领导) reads and records nothing."""
    if user.is_read_only:
        raise PermissionDenied(message)


def _log_line(text: str, user, at: datetime) -> str:
    return f"{timezone.localtime(at, LOCAL_TZ):%Y-%m-%d %H:%M} {user.name}: {text}"


def _append(log: str, line: str) -> str:
    return f"{log}\n{line}" if log else line


# --- Work plans ---------------------------------------------------------------------------


def weekly_plan_due(period_start: date, rules: VisitRules, company=None) -> datetime:
    """Due time of the weekly plan of the week starting ``period_start`` (a Monday):
    the due weekday and hour of the week before (default Friday 17:00). A due day that is
    not a working day in the city's holiday calendar moves to the working day before it."""
    day = period_start - timedelta(days=7 - rules.weekly_plan_due_weekday)
    return local_datetime(working_day_on_or_before(day, company), rules.weekly_plan_due_hour)


def monthly_plan_due(month: date, rules: VisitRules, company=None) -> datetime:
    """Due time of the monthly plan of ``month``: the due day and hour of that month (default
    the 5th at 17:00), moved like the weekly one off a non-working day."""
    day = month.replace(day=rules.monthly_plan_due_day)
    return local_datetime(working_day_on_or_before(day, company), rules.monthly_plan_due_hour)


def _upcoming_plans(today: date, company=None) -> list[tuple[str, date, datetime]]:
    """(kind, period start, due at) of the plans that exist from ``today`` on, by the visit
    rules of a city company."""
    this_monday = today - timedelta(days=today.weekday())
    next_monday = this_monday + timedelta(weeks=1)
    # The rules in force in the week the plan is due.
    week_rules = VisitRules.for_day(this_monday, company)
    plans = [(WorkPlanKind.WEEKLY, next_monday, weekly_plan_due(next_monday, week_rules, company))]
    for month in (month_start(today), add_months(today, 1)):
        plans.append(
            (
                WorkPlanKind.MONTHLY,
                month,
                monthly_plan_due(month, VisitRules.for_day(month, company), company),
            )
        )
    return plans


@transaction.atomic
def work_plans_generate(*, today: date, company=None) -> dict:
    """Open next week's weekly plan and this and next month's monthly plans of every active
    customer manager (of one city company, or every city). Idempotent: existing plans are
    left alone (unique constraint).

    Returns the number of plans created by kind, e.g. ``{"weekly": 12, "monthly": 0}``.
    """
    by_company = defaultdict(list)  # due times follow each city company's visit rules
    managers = User.objects.filter(role=Role.CUSTOMER_MANAGER, is_active=True)
    if company is not None:
        managers = managers.filter(org_unit__company=company)
    for pk, company_id in managers.values_list("pk", "org_unit__company_id"):
        by_company[company_id].append(pk)
    plans = []
    periods = set()
    for company_id, managers in by_company.items():
        for kind, period_start, due_at in _upcoming_plans(today, company_id):
            periods.add((kind, period_start))
            plans.extend(
                WorkPlan(manager_id=pk, kind=kind, period_start=period_start, due_at=due_at)
                for pk in managers
            )
    created = {}
    existing = WorkPlan.objects.filter(manager__in=managers)
    for kind, period_start in sorted(periods):
        created.setdefault(str(kind), 0)
        created[str(kind)] -= existing.filter(kind=kind, period_start=period_start).count()
    WorkPlan.objects.bulk_create(plans, batch_size=1000, ignore_conflicts=True)
    for kind, period_start in sorted(periods):
        created[str(kind)] += existing.filter(kind=kind, period_start=period_start).count()
    return created


@transaction.atomic
def work_plan_submit(*, plan: WorkPlan, user, content: str, now=None) -> WorkPlan:
    """Submit (or, before the due time, edit) the plan. Only the plan's own manager may."""
    now = now or timezone.now()
    plan = WorkPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.manager_id != user.pk:
        raise PermissionDenied(_("Only the plan's own customer manager can submit it."))
    content = (content or "").strip()
    if not content:
        raise ValidationError({"content": _("Write the plan before submitting it.")})
    if plan.submitted_at is not None and now > plan.due_at:
        raise ValidationError(
            _("This plan was submitted and its due time has passed; it can no longer be changed.")
        )
    plan.content = content
    if plan.submitted_at is None:
        plan.submitted_at = now
    plan.full_clean()
    plan.save(update_fields=["content", "submitted_at"])
    return plan


# --- Information ----------------------------------------------------------------------------


@transaction.atomic
def info_report(
    *,
    user,
    kind: str,
    content: str,
    retailer: Retailer | None = None,
    visit=None,
    reported_at=None,
    client_id=None,
) -> InformationItem:
    """Record a market information item. Idempotent on ``client_id``.

    The territory is the reporting manager's own, else the retailer's.
    """
    _refuse_read_only(user, _("Your role reads information; it does not report it."))
    if client_id:
        existing = InformationItem.objects.filter(client_id=client_id).first()
        if existing is not None:
            if existing.reported_by_id != user.pk:
                raise ValidationError({"client_id": _("This client id belongs to another item.")})
            return existing
    if (
        retailer is not None
        and not Retailer.objects.visible_to(user).filter(pk=retailer.pk).exists()
    ):
        raise PermissionDenied(_("You cannot report information about this retailer."))
    territory = getattr(user, "territory", None) if user.role == Role.CUSTOMER_MANAGER else None
    if territory is None and retailer is not None:
        territory = retailer.territory
    if territory is None:
        raise ValidationError({"retailer": _("Choose the retailer this information is about.")})
    now = timezone.now()
    reported_at = reported_at or now
    if reported_at > now + CLOCK_SKEW:
        raise ValidationError({"reported_at": _("The time cannot be in the future.")})
    item = InformationItem(
        kind=kind,
        content=(content or "").strip(),
        reported_by=user,
        territory=territory,
        retailer=retailer,
        visit=visit,
        reported_at=reported_at,
        client_id=client_id or uuid.uuid4(),
    )
    item.full_clean()
    item.save()
    note_late_item(item, note=f"信息 {item.content[:40]}")
    return item


def note_late_item(item: InformationItem, *, note: str = "") -> None:
    """An item reported in (or re-marked for) a month in review or published is late data
    of that month (DOMAIN §4), for the manager who reported it."""
    day = timezone.localtime(item.reported_at, LOCAL_TZ).date()
    late = locked_territory_month(item.territory_id, day)
    if late is None:
        return
    company_id, state = late
    note_late(
        kind=LateKind.INFO_ITEM,
        company=company_id,
        day=day,
        note=note or f"信息 {item.content[:40]}",
        manager_id=item.reported_by_id,
        object_id=item.pk,
        state=state,
    )


@transaction.atomic
def info_review(*, item: InformationItem, user, valid: bool, now=None) -> InformationItem:
    """Mark an item valid or invalid (a later review replaces an earlier one). A change of
    an item reported in a month in review or published is late data of that month."""
    _require_supervisor(user, _("Only supervisors can mark information valid or invalid."))
    before = item.validity
    item.validity = Validity.VALID if valid else Validity.INVALID
    item.reviewed_by = user
    item.reviewed_at = now or timezone.now()
    item.full_clean()
    item.save(update_fields=["validity", "reviewed_by", "reviewed_at"])
    if item.validity != before:
        note_late_item(item, note=f"信息改判为{'有效' if valid else '无效'}：{item.content[:40]}")
    return item


@transaction.atomic
def lead_update(
    *, item: InformationItem, user, status: str, note: str, now=None
) -> InformationItem:
    """Follow up a group-consumption or 遇事用烟 lead: set its status and log the note."""
    if not item.is_lead:
        raise ValidationError(_("Only group-consumption and occasion leads are followed up."))
    if item.reported_by_id != user.pk and not is_feedback_supervisor(user):
        raise PermissionDenied(
            _("Only the reporting customer manager or a supervisor can follow up this lead.")
        )
    if status not in LeadStatus.values:
        raise ValidationError({"lead_status": _("Choose a follow-up status.")})
    note = (note or "").strip()
    item.lead_status = status
    if note:
        item.lead_note = _append(item.lead_note, _log_line(note, user, now or timezone.now()))
    item.full_clean()
    item.save(update_fields=["lead_status", "lead_note"])
    return item


# --- Complaints -------------------------------------------------------------------------------


def can_open_complaint(user) -> bool:
    """Every role but a read-only one (a leader) opens complaints about visible retailers."""
    return not user.is_read_only


def can_handle_complaint(complaint: Complaint, user) -> bool:
    """Respond and resolve: the territory's manager or a supervisor."""
    return complaint.territory.manager_id == user.pk or is_feedback_supervisor(user)


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().select_related("territory").get(pk=complaint.pk)


@transaction.atomic
def complaint_open(
    *, retailer: Retailer, user, content: str, opened_at=None, visit=None, client_id=None
) -> Complaint:
    """Open a complaint against a retailer's territory, with its 24 h / 72 h deadlines fixed
    from the rules in force on the (local) day it is opened. Idempotent on ``client_id``."""
    if not can_open_complaint(user):
        raise PermissionDenied(_("Your role reads complaints; it does not open them."))
    if client_id:
        existing = Complaint.objects.filter(client_id=client_id).first()
        if existing is not None:
            if existing.retailer_id != retailer.pk or existing.opened_by_id != user.pk:
                raise ValidationError(
                    {"client_id": _("This client id belongs to another complaint.")}
                )
            return existing
    if not Retailer.objects.visible_to(user).filter(pk=retailer.pk).exists():
        raise PermissionDenied(_("You cannot open a complaint for this retailer."))
    now = timezone.now()
    opened_at = opened_at or now
    if opened_at > now + CLOCK_SKEW:
        raise ValidationError({"opened_at": _("The time cannot be in the future.")})
    try:
        rules = VisitRules.for_day(
            timezone.localtime(opened_at, LOCAL_TZ).date(),
            retailer.territory.department.company_id,
        )
    except VisitRules.DoesNotExist as exc:  # a date before the first rules
        raise ValidationError(
            {"opened_at": _("No visit rules are in force on this date.")}
        ) from exc
    respond_by, resolve_by = Complaint.deadlines(opened_at, rules)
    complaint = Complaint(
        retailer=retailer,
        territory=retailer.territory,
        visit=visit,
        client_id=client_id or uuid.uuid4(),
        content=(content or "").strip(),
        opened_at=opened_at,
        opened_by=user,
        respond_by=respond_by,
        resolve_by=resolve_by,
    )
    complaint.full_clean()
    complaint.save()
    note_late_complaint(complaint, now=now)
    return complaint


@transaction.atomic
def complaint_respond(*, complaint: Complaint, user, note: str, now=None) -> Complaint:
    """First response: open → in progress."""
    now = now or timezone.now()
    complaint = _locked(complaint)
    if not can_handle_complaint(complaint, user):
        raise PermissionDenied(
            _("Only the territory's customer manager or a supervisor can handle this complaint.")
        )
    if complaint.status != ComplaintStatus.OPEN:
        raise ValidationError(_("Only an open complaint can be responded to."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Describe the response.")})
    complaint.status = ComplaintStatus.IN_PROGRESS
    complaint.first_response_at = now
    complaint.resolution = _append(complaint.resolution, _log_line(note, user, now))
    complaint.full_clean()
    complaint.save(update_fields=["status", "first_response_at", "resolution"])
    return complaint


@transaction.atomic
def complaint_resolve(*, complaint: Complaint, user, resolution: str, now=None) -> Complaint:
    """Open or in progress → resolved."""
    now = now or timezone.now()
    complaint = _locked(complaint)
    if not can_handle_complaint(complaint, user):
        raise PermissionDenied(
            _("Only the territory's customer manager or a supervisor can handle this complaint.")
        )
    if complaint.status not in (ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS):
        raise ValidationError(_("Only an open or in-progress complaint can be resolved."))
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("Describe how the complaint was resolved.")})
    complaint.status = ComplaintStatus.RESOLVED
    complaint.resolved_at = now
    if complaint.first_response_at is None:
        complaint.first_response_at = now
    complaint.resolution = _append(complaint.resolution, _log_line(resolution, user, now))
    complaint.full_clean()
    complaint.save(update_fields=["status", "resolved_at", "first_response_at", "resolution"])
    return complaint


@transaction.atomic
def complaint_close(*, complaint: Complaint, user, substantiated: bool, now=None) -> Complaint:
    """Resolved → closed, with the judgement whether the complaint was substantiated (属实)."""
    now = now or timezone.now()
    complaint = _locked(complaint)
    _require_supervisor(user, _("Only supervisors can close a complaint."))
    if complaint.status != ComplaintStatus.RESOLVED:
        raise ValidationError(_("Only a resolved complaint can be closed."))
    if substantiated is None:
        raise ValidationError({"substantiated": _("Say whether the complaint was substantiated.")})
    complaint.status = ComplaintStatus.CLOSED
    complaint.closed_at = now
    complaint.substantiated = bool(substantiated)
    complaint.full_clean()
    complaint.save(update_fields=["status", "closed_at", "substantiated"])
    note_late_substantiated(complaint)
    return complaint


def note_late_substantiated(complaint: Complaint, *, verdict_changed: bool = False) -> None:
    """A substantiated complaint counts on its closing day (DOMAIN §10.9): late data when that
    month is in review or published. ``verdict_changed``: the judgement itself was corrected
    (属实 → 不属实 changes the month too)."""
    if complaint.closed_at is None or not (complaint.substantiated or verdict_changed):
        return
    day = timezone.localtime(complaint.closed_at, LOCAL_TZ).date()
    late = locked_territory_month(complaint.territory_id, day)
    if late is None:
        return
    verdict = "属实" if complaint.substantiated else "不属实"
    _note_late_complaint(complaint, day, late, note=f"投诉{verdict}（{day:%Y-%m-%d}结案）")


def note_late_complaint(
    complaint: Complaint, *, now: datetime, company_id=None, state=None
) -> None:
    """A complaint that arrives with its 72 h deadline already passed counts as overdue on
    that deadline (DOMAIN §10.9): late data when the deadline's month is in review or
    published. ``company_id`` and ``state``: the city and that month's state when the caller
    has read them (no query then).
    A deadline still ahead decides nothing yet (months are locked only after they end)."""
    if complaint.resolve_by > now:
        return
    day = timezone.localtime(complaint.resolve_by, LOCAL_TZ).date()
    if state is None:
        late = locked_territory_month(complaint.territory_id, day)
    else:
        late = (company_id, state) if state in LOCKED else None
    if late is None:
        return
    _note_late_complaint(complaint, day, late, note=f"投诉逾期（处理时限 {day:%Y-%m-%d}）")


def _note_late_complaint(complaint: Complaint, day: date, late: tuple, *, note: str) -> None:
    """Record it for the manager assigned to the complaint's retailer on ``day``."""
    company_id, state = late
    manager_id = current_manager_ids([complaint.retailer_id], day=day).get(complaint.retailer_id)
    note_late(
        kind=LateKind.COMPLAINT,
        company=company_id,
        day=day,
        note=note,
        manager_id=manager_id,
        object_id=complaint.pk,
        state=state,
    )


# --- Satisfaction surveys ---------------------------------------------------------------------


@transaction.atomic
def survey_record(
    *, retailer: Retailer, user, score: int, surveyed_on: date, channel: str, note: str = ""
) -> SatisfactionSurvey:
    """Record a retailer's satisfaction answer (1–5), by a supervisor or on behalf of
    phone-order staff."""
    _require_supervisor(user, _("Only supervisors can record satisfaction surveys."))
    if not Retailer.objects.visible_to(user).filter(pk=retailer.pk).exists():
        raise PermissionDenied(_("You cannot record a survey for this retailer."))
    errors = {}
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = _("The score is a whole number from 1 to 5.")
    if surveyed_on is None:
        errors["surveyed_on"] = _("Enter the date of the survey.")
    elif surveyed_on > timezone.localdate(timezone=LOCAL_TZ):
        errors["surveyed_on"] = _("The date cannot be in the future.")
    if channel not in SurveyChannel.values:
        errors["channel"] = _("Choose who took the survey.")
    if errors:
        raise ValidationError(errors)
    survey = SatisfactionSurvey(
        retailer=retailer,
        score=score,
        surveyed_on=surveyed_on,
        channel=channel,
        recorded_by=user,
        note=(note or "").strip(),
    )
    survey.full_clean()
    survey.save()
    note_late_survey(survey)
    return survey


def note_late_survey(survey: SatisfactionSurvey) -> None:
    """A survey dated in a month in review or published is late data of it, for the manager
    assigned to the retailer on the survey's date (DOMAIN §10.1)."""
    retailer, day = survey.retailer, survey.surveyed_on
    if late := locked_territory_month(retailer.territory_id, day):
        company_id, state = late
        note_late(
            kind=LateKind.SURVEY,
            company=company_id,
            day=day,
            note=f"满意度 {survey.score} 分",
            manager_id=current_manager_ids([retailer.pk], day=day).get(retailer.pk),
            object_id=survey.pk,
            state=state,
        )
