"""Writes for retailers, their assignment history, violations and class overrides."""

import re
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, Role, Territory, User
from config.database import analyze, analyze_if_stale, job_settings

from .classification import Rules, classify
from .models import (
    ClassificationRecord,
    ClassificationRuleSet,
    ClassificationScale,
    ClassOverride,
    HandoverKind,
    Retailer,
    RetailerAssignment,
    RetailerClass,
    RetailerStatus,
    RetailerStatusChange,
    TerritoryHandover,
    Violation,
    month_start,
    status_on,
)
from .selectors import (
    CLASSIFICATION_INPUT_COLUMNS,
    classification_inputs,
    classification_inputs_sql,
    rule_set_for,
)


def assignments_sync(*, retailer_ids=None, on: date | None = None) -> int:
    """Make the open assignment of each retailer match its territory and that territory's manager.

    Set-based: one UPDATE closes every open assignment that no longer matches (from
    ``on``), one INSERT opens the new ones. Used after imports, transfers and changes of a
    territory's manager. Returns the number of assignments opened.
    """
    on = on or timezone.localdate()
    retailers = Retailer.objects.all()
    if retailer_ids is not None:
        retailers = retailers.filter(pk__in=retailer_ids)
    # An open assignment written by a handover or an open-ended covering stands as recorded
    # (a future one has not taken effect yet; a covering manager is not the territory's).
    recorded = Exists(
        TerritoryHandover.objects.filter(
            to_manager_id=OuterRef("manager_id"),
            effective_from=OuterRef("valid_from"),
            until__isnull=True,
        )
    )
    stale = (
        RetailerAssignment.objects.filter(valid_to__isnull=True, retailer__in=retailers)
        .exclude(
            Q(territory_id=F("retailer__territory_id"))
            & (
                Q(manager_id=F("retailer__territory__manager_id"))
                | Q(manager__isnull=True, retailer__territory__manager__isnull=True)
                | recorded
            )
        )
        .exclude(valid_from__gt=on)
    )
    # An assignment that would end on or before its own start is simply replaced.
    stale.filter(valid_from__gte=on).delete()
    stale.update(valid_to=on)
    missing = retailers.exclude(
        Exists(RetailerAssignment.objects.filter(retailer=OuterRef("pk"), valid_to__isnull=True))
    ).values_list("pk", "territory_id", "territory__manager_id")
    new = [
        RetailerAssignment(
            retailer_id=pk, territory_id=territory_id, manager_id=manager_id, valid_from=on
        )
        for pk, territory_id, manager_id in missing.iterator(chunk_size=5000)
    ]
    RetailerAssignment.objects.bulk_create(new, batch_size=5000)
    return len(new)


def retailer_statuses_sync(*, retailer_ids=None, today: date | None = None) -> int:
    """Make each retailer's cached ``status`` the status in force ``today`` (set-based: one
    UPDATE per status). Run by the status service, the imports and nightly for future-dated
    changes that come into force. Returns the number of retailers whose status changed.
    """
    today = today or timezone.localdate()
    retailers = Retailer.objects.all()
    if retailer_ids is not None:
        retailers = retailers.filter(pk__in=retailer_ids)
    changed = 0
    for status in RetailerStatus.values:
        stale = retailers.status_on(today, status).exclude(status=status).values("pk")
        changed += Retailer.objects.filter(pk__in=stale).update(
            status=status, updated_at=timezone.now()
        )
    return changed


def status_change_refusal(*, day: date, company_id, locked=None) -> str | None:
    """Why a status change dated ``day`` may not be recorded in a city, or None."""
    from assessment.selectors import locked_month_reason  # assessment reads retailers

    return locked_month_reason(day, company_id, locked)


@transaction.atomic
def retailer_status_change(
    *,
    retailer: Retailer,
    status: str,
    effective_from: date,
    note: str = "",
    user: User | None = None,
) -> RetailerStatusChange:
    """Record that ``retailer`` has ``status`` from ``effective_from`` on (DOMAIN §9, §10.2).

    One change per retailer and day: a second change on the same day replaces the first.
    Refused inside a month in review or published of the retailer's city company. The
    cached status follows when the change is in force today.
    """
    if status not in RetailerStatus.values:
        raise ValidationError({"status": _("Choose a status: active, suspended or cancelled.")})
    company_id = (
        Territory.objects.filter(pk=retailer.territory_id)
        .values_list("department__company_id", flat=True)
        .first()
    )
    reason = status_change_refusal(day=effective_from, company_id=company_id)
    if reason:
        raise ValidationError({"effective_from": reason})
    change = RetailerStatusChange.objects.filter(
        retailer=retailer, effective_from=effective_from
    ).first() or RetailerStatusChange(retailer=retailer, effective_from=effective_from)
    change.status = status
    change.note = note or ""
    change.recorded_by = user
    change.full_clean()
    change.save()
    retailer_statuses_sync(retailer_ids=[retailer.pk])
    retailer.refresh_from_db(fields=["status", "updated_at"])
    return change


@transaction.atomic
def retailer_create(
    *, on: date | None = None, user: User | None = None, note: str = "", **fields
) -> Retailer:
    """Create a retailer assigned from ``on``; its status is recorded from ``on`` (the first
    recorded status also holds before it)."""
    on = on or timezone.localdate()
    retailer = Retailer(**fields)
    retailer.full_clean()
    retailer.save()
    RetailerStatusChange.objects.create(
        retailer=retailer, status=retailer.status, effective_from=on, note=note, recorded_by=user
    )
    assignments_sync(retailer_ids=[retailer.pk], on=on)
    return retailer


@transaction.atomic
def retailer_update(
    *, retailer: Retailer, on: date | None = None, user: User | None = None, **fields
) -> Retailer:
    """Change a retailer; a new territory starts a new assignment from ``on``, and a new
    status is a status change from ``on`` (refused inside a locked month)."""
    on = on or timezone.localdate()
    status = fields.pop("status", None)
    for name, value in fields.items():
        setattr(retailer, name, value)
    retailer.full_clean()
    retailer.save()
    if "territory" in fields or "territory_id" in fields:
        assignments_sync(retailer_ids=[retailer.pk], on=on)
    if status is not None:
        in_force = (
            Retailer.objects.filter(pk=retailer.pk)
            .annotate(in_force=status_on(on))
            .values_list("in_force", flat=True)
            .get()
        )
        if in_force != status:
            retailer_status_change(retailer=retailer, status=status, effective_from=on, user=user)
    return retailer


@transaction.atomic
def territory_set_manager(
    *, territory: Territory, manager: User | None, on: date | None = None
) -> Territory:
    """Hand a territory to another customer manager from ``on``; sales follow the date."""
    territory.manager = manager
    territory.full_clean()
    territory.save(update_fields=["manager"])
    assignments_sync(retailer_ids=territory.retailers.values("pk"), on=on)
    return territory


@transaction.atomic
def violation_record(
    *,
    retailer: Retailer,
    occurred_on: date,
    severity: str,
    description: str,
    recorded_by: User | None = None,
) -> Violation:
    violation = Violation(
        retailer=retailer,
        occurred_on=occurred_on,
        severity=severity,
        description=description,
        recorded_by=recorded_by,
    )
    violation.full_clean()
    violation.save()
    return violation


OVERRIDE_ROLES = (
    Role.SERVICE_DEPT_SUPERVISOR,
    Role.MARKETING_CENTER_SUPERVISOR,
    Role.ASSESSMENT_CENTER,
    Role.ADMIN,
)


@transaction.atomic
def class_override(
    *, retailer: Retailer, user: User, new_class: str, reason: str, pinned: bool = False
) -> ClassOverride:
    """A supervisor sets a retailer's class by hand, with a written reason.

    The override lasts until the next monthly classification unless it is pinned.
    The caller has already fetched ``retailer`` through ``visible_to(user)``.
    """
    if user.role not in OVERRIDE_ROLES and not user.is_superuser:
        raise ValidationError(_("Only supervisors can override a retailer's class."))
    if new_class not in RetailerClass.values:
        raise ValidationError({"new_class": _("Choose class A, B or C.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the override.")})
    retailer = Retailer.objects.select_for_update().get(pk=retailer.pk)
    record = ClassOverride.objects.create(
        retailer=retailer,
        old_class=retailer.abc_class,
        new_class=new_class,
        reason=reason,
        pinned=pinned,
        created_by=user,
    )
    retailer.abc_class = new_class
    retailer.class_pinned = pinned
    retailer.save(update_fields=["abc_class", "class_pinned", "updated_at"])
    return record


RECORD_FIELDS = [
    "rule_set",
    "scale_score",
    "environment_score",
    "potential_score",
    "compliance_score",
    "credit_score",
    "total_score",
    "average_monthly_cartons",
    "serious_violations",
    "computed_class",
    "previous_class",
    "final_class",
    "pinned",
    "created_at",
]


SCALE_INSERT_SQL = """
INSERT INTO {scales} (retailer_id, month, company_id, center_id, volume, orders, on_time,
                      scale_rank, group_size)
SELECT i.r_id, %s, %s, i.r_center, i.volume, i.orders, i.on_time, i.scale_rank, i.group_size
FROM ({inputs}) i
"""


def classification_rank(
    *, month: date, company: OrgUnit, rule_set: ClassificationRuleSet | None = None
) -> dict:
    """The first step of a city's classification split by marketing center: every active
    retailer's scale figures and rank among the city's retailers of its market type, with
    the marketing center its territory belongs to now, stored as ``ClassificationScale``
    rows (one INSERT … SELECT; the city's earlier rows of this and earlier months are
    replaced in the same transaction). Each center is then scored by
    ``classification_run(center=…)`` from these rows. Returns the month, the city, the rule
    set, how many retailers were ranked and the ids of the centers that hold them."""
    first = month_start(month)
    rule_set = rule_set or rule_set_for(first, company)
    inputs_sql, params = classification_inputs_sql(first, rule_set, company, with_center=True)
    sql = SCALE_INSERT_SQL.format(
        scales=connection.ops.quote_name(ClassificationScale._meta.db_table), inputs=inputs_sql
    )
    with transaction.atomic():
        job_settings()
        ClassificationScale.objects.filter(company=company, month__lte=first).delete()
        with connection.cursor() as cursor:
            cursor.execute(sql, [first, company.pk, *params])
            ranked = cursor.rowcount
    analyze(ClassificationScale)
    centers = ClassificationScale.objects.filter(company=company, month=first)
    return {
        "month": first.isoformat(),
        "company": company.code,
        "rule_set": rule_set.version,
        "ranked": ranked,
        "centers": sorted(centers.values_list("center_id", flat=True).distinct().order_by()),
    }


@transaction.atomic
def classification_run(
    *,
    month: date,
    company: OrgUnit | None = None,
    rule_set: ClassificationRuleSet | None = None,
    center: OrgUnit | None = None,
) -> dict:
    """Classify every active retailer for the run on the 1st of ``month``: of one city
    company, or of every city when ``company`` is None (each with the rules in force for
    it; scale ranks never mix cities).

    ``center``: only the retailers the city's ranking (``classification_rank``, run first)
    put in that marketing center of ``company``, scored from the stored ranks: the same
    records and classes as the city's own run gives them.
    """
    if center is not None:
        return _classify_city(month=month, company=company, rule_set=rule_set, center=center)
    if company is None:
        companies = list(OrgUnit.objects.companies())
        if len(companies) == 1:
            company = companies[0]
    if company is None:
        runs = [
            _classify_city(month=month, company=city, rule_set=rule_set, statistics=False)
            for city in companies
        ]
        # Once for every city (ANALYZE samples the whole table: a few tenths of a second
        # each time, whatever one city wrote).
        analyze(ClassificationRecord, Retailer)
        return {
            "month": month_start(month).isoformat(),
            "rule_set": ", ".join(sorted({f"v{run['rule_set']}" for run in runs})) or "—",
            "retailers": sum(run["retailers"] for run in runs),
            "changed": sum(run["changed"] for run in runs),
            "companies": runs,
        }
    return _classify_city(month=month, company=company, rule_set=rule_set)


def _classify_city(
    *,
    month: date,
    company: OrgUnit,
    rule_set: ClassificationRuleSet | None = None,
    statistics: bool = True,
    center: OrgUnit | None = None,
) -> dict:
    """Classify the active retailers of one city company.

    The scores and classes are written by one set-based INSERT … SELECT … ON CONFLICT on
    PostgreSQL (``classify_in_sql``), elsewhere by the pure ``classify`` function over the
    streamed inputs, upserted chunk by chunk; both give the same rows (one record per
    retailer and month, so a re-run changes nothing when the inputs have not changed).
    Retailers' classes are updated by the same statement on PostgreSQL, elsewhere with one
    UPDATE per class afterwards. A pinned override keeps its class. The tables' statistics
    are refreshed afterwards unless ``statistics`` is False (the caller does it once for
    several cities). ``center``: one marketing center's part (see ``classification_run``).
    """
    job_settings()
    first = month_start(month)
    rule_set = rule_set or rule_set_for(first, company)
    now = timezone.now()
    if center is None:
        retailers = Q(retailer__territory__department__company=company)
    else:
        scales = ClassificationScale.objects.filter(month=first, company=company)
        if not scales.exists():
            raise ValidationError(
                _(
                    "%(city)s has no ranking for %(month)s: run the city's classification "
                    "again (it ranks the city, then scores each marketing center)."
                )
                % {"city": company.name, "month": first.strftime("%Y-%m")}
            )
        retailers = Q(retailer__in=scales.filter(center=center).values("retailer_id"))
    if classify_in_sql():
        # The records and the retailers' classes in one statement.
        count, changed = _classify_records_sql(
            first=first, company=company, rule_set=rule_set, now=now, center=center
        )
    else:
        count = _classify_records(
            first=first, company=company, rule_set=rule_set, now=now, center=center
        )
        records = ClassificationRecord.objects.filter(retailers, month=first)
        # The records of this run: written from ``now`` on.
        changed = (
            records.filter(created_at__gte=now).exclude(previous_class=F("final_class")).count()
        )
        for klass in RetailerClass.values:
            Retailer.objects.filter(
                pk__in=records.filter(final_class=klass).values("retailer_id"),
                class_pinned=False,
            ).exclude(abc_class=klass).update(abc_class=klass)
    if center is not None:
        # One of many parts: the statistics only when enough has changed (every few parts).
        analyze_if_stale({ClassificationRecord: count, Retailer: changed})
    elif statistics:
        analyze(ClassificationRecord, Retailer)
    return {
        "month": first.isoformat(),
        "company": company.code,
        **({"center": center.code} if center is not None else {}),
        "rule_set": rule_set.version,
        "retailers": count,
        "changed": changed,
    }


RECORD_CHUNK = 5000


def classify_in_sql() -> bool:
    """Whether the classification is computed in the database (PostgreSQL) rather than
    retailer by retailer in Python (``classify``, the rule's reference; SQLite)."""
    return connection.vendor == "postgresql"


def _classify_records(*, first, company, rule_set, now, center=None) -> int:
    """Score the inputs with ``classify`` and upsert the records chunk by chunk (memory
    stays bounded). Returns the number of records written."""
    rules = Rules.from_rule_set(rule_set)
    count = 0
    chunk = []
    for retailer_id, row in classification_inputs(first, rule_set, company, center=center):
        result = classify(row["inputs"], rules)
        final = row["class"] if row["pinned"] and row["class"] else result.klass
        chunk.append(
            ClassificationRecord(
                retailer_id=retailer_id,
                month=first,
                rule_set=rule_set,
                scale_score=result.scale,
                environment_score=result.environment,
                potential_score=result.potential,
                compliance_score=result.compliance,
                credit_score=result.credit,
                total_score=result.total,
                average_monthly_cartons=row["average"],
                serious_violations=row["inputs"].serious_violations,
                computed_class=result.klass,
                # On a re-run the class before this month's run stays the one recorded
                # the first time (the upsert does not update it).
                previous_class=row["class"],
                final_class=final,
                pinned=bool(row["pinned"] and row["class"]),
                created_at=now,
            )
        )
        if len(chunk) >= RECORD_CHUNK:
            count += _store_records(chunk)
            chunk = []
    count += _store_records(chunk)
    return count


# ``classify`` as one statement over ``classification_inputs_sql`` (PostgreSQL), which also
# counts the records written and those whose class changed (``previous_class`` as kept by the
# upsert: the records of this run, as the Python path counts them afterwards). Every figure
# is numeric, computed in the same order as ``classify``; the rank (double precision in both)
# becomes numeric through its text form, as ``Decimal(str(rank))`` does. Scores and the
# total are rounded half up to cents (``round(numeric, 2)`` rounds half away from zero: the
# same for these non-negative values); the monthly average is rounded half to even, as
# ``Decimal.quantize`` does in the default context. On a conflict every field but
# ``previous_class`` is updated: the class before the month's first run stays recorded.
# ``OFFSET 0`` keeps each level a subquery of its own: pulled up, the levels would inline
# their expressions into the next (the total into both class tests, the class into the
# serious-violation cap, …) and compute each several times per row. The retailers whose
# class changed (not pinned) are updated from the rows written, in the same statement.
CLASSIFY_SQL = """
WITH written AS (
INSERT INTO {records} ({columns})
SELECT r_id, %(month)s AS month, %(rule_set)s AS rule_set_id,
       round(scale, 2) AS scale_score, round(environment, 2) AS environment_score,
       round(potential, 2) AS potential_score, round(compliance, 2) AS compliance_score,
       round(credit, 2) AS credit_score, total,
       CASE WHEN abs(average * 100 - trunc(average * 100)) = 0.5
                 AND mod(trunc(average * 100), 2) = 0
            THEN trunc(average * 100) / 100
            ELSE round(average, 2) END AS average_monthly_cartons,
       serious, computed, abc_class AS previous_class,
       CASE WHEN class_pinned AND abc_class <> '' THEN abc_class ELSE computed END
           AS final_class,
       class_pinned AND abc_class <> '' AS pinned, %(now)s AS created_at
FROM (
    SELECT *, CASE WHEN serious > 0 THEN GREATEST(klass, %(cap)s COLLATE "C")
                   ELSE klass END AS computed
    FROM (
        SELECT *, CASE WHEN total >= %(threshold_a)s THEN 'A'
                       WHEN total >= %(threshold_b)s THEN 'B'
                       ELSE 'C' END COLLATE "C" AS klass
        FROM (
            SELECT *, round(%(weight_scale)s * scale + %(weight_environment)s * environment
                            + %(weight_potential)s * potential
                            + %(weight_compliance)s * compliance
                            + %(weight_credit)s * credit, 2) AS total
            FROM (
                SELECT i.r_id, i.abc_class, i.class_pinned, i.serious::bigint AS serious,
                       CASE WHEN i.group_size <= 1 THEN 100::numeric
                            ELSE 100 * i.scale_rank::text::numeric END AS scale,
                       COALESCE(e.score, 0::numeric) AS environment,
                       (COALESCE(i.potential, %(potential_default)s) - 1)::numeric / 4 * 100
                           AS potential,
                       GREATEST(0::numeric, 100::numeric
                                - %(minor_points)s * i.minor::numeric
                                - %(serious_points)s * i.serious::numeric) AS compliance,
                       CASE WHEN i.orders <> 0
                            THEN 100 * i.on_time::numeric / i.orders::numeric
                            ELSE %(credit_without_orders)s::numeric END AS credit,
                       i.volume::numeric / %(months)s AS average
                FROM ({inputs}) AS i({input_columns})
                LEFT JOIN unnest(%(environments)s::text[], %(environment_scores)s::numeric[])
                    AS e(environment, score) ON e.environment = i.environment
                OFFSET 0
            ) scores
            OFFSET 0
        ) totals
        OFFSET 0
    ) classes
    OFFSET 0
) computed
ON CONFLICT (retailer_id, month) DO UPDATE SET {updates}
RETURNING retailer_id, previous_class, final_class
), reclassified AS (  -- run to completion although nothing reads it
UPDATE {retailers} r SET abc_class = w.final_class
FROM written w
WHERE r.id = w.retailer_id AND NOT r.class_pinned AND r.abc_class <> w.final_class
)
SELECT count(*), count(*) FILTER (WHERE previous_class <> final_class) FROM written
"""


def _classify_records_sql(*, first, company, rule_set, now, center=None) -> int:
    """The classification of a city (or of one marketing center's part) as one INSERT …
    SELECT … ON CONFLICT (``CLASSIFY_SQL``), the rule set's parameters passed as SQL
    parameters. Returns the number of records written and how many of them changed class."""
    inputs_sql, inputs_params = classification_inputs_sql(first, rule_set, company, center=center)
    # The inputs query uses positional placeholders; the statement names its own.
    named = {f"input_{n}": value for n, value in enumerate(inputs_params)}
    names = iter(named)
    inputs_sql = re.sub(
        r"%%|%s", lambda m: m[0] if m[0] == "%%" else f"%({next(names)})s", inputs_sql
    )
    fields = [ClassificationRecord._meta.get_field(name) for name in RECORD_FIELDS]
    quote = connection.ops.quote_name
    columns = ["retailer_id", "month", *(field.column for field in fields)]
    sql = CLASSIFY_SQL.format(
        records=quote(ClassificationRecord._meta.db_table),
        retailers=quote(Retailer._meta.db_table),
        columns=", ".join(quote(column) for column in columns),
        inputs=inputs_sql,
        input_columns=", ".join(CLASSIFICATION_INPUT_COLUMNS),
        updates=", ".join(
            f"{quote(field.column)} = EXCLUDED.{quote(field.column)}"
            for field in fields
            if field.name != "previous_class"
        ),
    )
    rules = Rules.from_rule_set(rule_set)
    params = {
        **named,
        "month": first,
        "rule_set": rule_set.pk,
        "now": now,
        "cap": rules.serious_violation_cap,
        "threshold_a": rules.threshold_a,
        "threshold_b": rules.threshold_b,
        "weight_scale": rules.weight_scale,
        "weight_environment": rules.weight_environment,
        "weight_potential": rules.weight_potential,
        "weight_compliance": rules.weight_compliance,
        "weight_credit": rules.weight_credit,
        "potential_default": rules.potential_default,
        "minor_points": rules.minor_violation_points,
        "serious_points": rules.serious_violation_points,
        "credit_without_orders": rules.credit_without_orders,
        "months": rule_set.scale_months,
        "environments": list(rules.environment_scores),
        "environment_scores": list(rules.environment_scores.values()),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _store_records(records: list[ClassificationRecord]) -> int:
    ClassificationRecord.objects.bulk_create(
        records,
        batch_size=RECORD_CHUNK,
        update_conflicts=True,
        unique_fields=["retailer", "month"],
        update_fields=[name for name in RECORD_FIELDS if name != "previous_class"],
    )
    return len(records)


# --- Handovers (交接) and coverings (代管) ------------------------------------------------------


def assigned_on(day: date, prefix: str = "") -> Q:
    """Assignments (reached through ``prefix``) in force on ``day``."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


def _assign_period(
    *, retailer_ids: list[int], territory_id: int, manager_id, start: date, stop: date | None
) -> None:
    """Give ``retailer_ids`` to ``manager_id`` over [start, stop) (``stop`` None: from then on).

    Set-based: existing assignments are cut at ``start`` (and, for a bounded period, resume
    at ``stop`` with what they were); assignments wholly inside the period are replaced.
    """
    rows = RetailerAssignment.objects.filter(retailer_id__in=retailer_ids)
    tails = []
    if stop is not None:
        # What was in force on ``stop`` resumes from ``stop`` (the covering ends).
        spanning = rows.filter(assigned_on(stop))
        tails = [
            RetailerAssignment(
                retailer_id=retailer_id,
                territory_id=t_id,
                manager_id=m_id,
                valid_from=stop,
                valid_to=valid_to,
            )
            for retailer_id, t_id, m_id, valid_to in spanning.filter(
                valid_from__lt=stop
            ).values_list("retailer_id", "territory_id", "manager_id", "valid_to")
        ]
        inside = rows.filter(valid_from__gte=start, valid_from__lt=stop)
    else:
        inside = rows.filter(valid_from__gte=start)
    inside.delete()
    rows.filter(valid_from__lt=start).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=start)
    ).update(valid_to=start)
    RetailerAssignment.objects.bulk_create(
        [
            RetailerAssignment(
                retailer_id=pk,
                territory_id=territory_id,
                manager_id=manager_id,
                valid_from=start,
                valid_to=stop,
            )
            for pk in retailer_ids
        ]
        + tails,
        batch_size=5000,
    )


def _check_change_date(*, territory: Territory, day: date, field: str) -> None:
    """A handover may not take effect inside a month in review or published, nor before the
    territory existed (its first assignment)."""
    from assessment.selectors import locked_month_reason

    reason = locked_month_reason(day, territory.department.company_id)
    if reason:
        raise ValidationError({field: reason})
    first = (
        RetailerAssignment.objects.filter(territory=territory)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    if first is not None and day < first:
        raise ValidationError(
            {
                field: _("%(code)s exists from %(first)s: a handover cannot be dated before.")
                % {"code": territory.code, "first": first}
            }
        )


def _check_customer_manager(manager: User, field: str) -> None:
    if manager is None or manager.role != Role.CUSTOMER_MANAGER or not manager.is_active:
        raise ValidationError({field: _("Choose an active customer manager.")})


def _handover_retailer_ids(territory: Territory, day: date, retailers) -> list[int]:
    """The retailers that move: the given ones, else those of the territory on ``day``
    (assigned to it then, or in it now)."""
    if retailers is not None:
        ids = [r.pk if isinstance(r, Retailer) else r for r in retailers]
        if not ids:
            raise ValidationError({"retailers": _("Name at least one retailer.")})
        return sorted(set(ids))
    on_day = RetailerAssignment.objects.filter(assigned_on(day), territory=territory)
    return sorted(
        set(on_day.values_list("retailer_id", flat=True))
        | set(territory.retailers.values_list("pk", flat=True))
    )


def _manager_on(territory: Territory, day: date, retailer_ids) -> User | None:
    """The manager the retailers were assigned to on ``day`` (the territory's manager when
    none is recorded)."""
    manager_id = (
        RetailerAssignment.objects.filter(
            assigned_on(day), retailer_id__in=retailer_ids, manager__isnull=False
        )
        .values_list("manager_id", flat=True)
        .first()
    )
    if manager_id is None:
        return territory.manager
    return User.objects.get(pk=manager_id)


def _overlapping_coverings(territory: Territory, start: date, end: date | None):
    coverings = TerritoryHandover.objects.filter(
        territory=territory, kind=HandoverKind.COVERING
    ).filter(Q(until__isnull=True) | Q(until__gte=start))
    if end is not None:
        coverings = coverings.filter(effective_from__lte=end)
    return coverings


@transaction.atomic
def territory_handover(
    *,
    territory: Territory,
    to_manager: User,
    effective_from: date,
    retailers=None,
    user: User | None = None,
    note: str = "",
    leaves: bool = False,
    today: date | None = None,
) -> TerritoryHandover:
    """Hand a territory (or some of its retailers) to ``to_manager`` from ``effective_from``.

    The old manager's assignments close at ``effective_from`` and the new manager's open
    (``RetailerAssignment``; facts follow the date, DOMAIN §10). An open-ended covering of
    the territory ends the day before. The territory's manager (or, for some retailers, their
    territory: the one ``to_manager`` holds) changes now when the date is today or earlier,
    else on the day (``handovers_apply``). Visit plans whose window ends on or after the date
    follow the new manager.
    """
    today = today or timezone.localdate()
    territory = Territory.objects.select_for_update().get(pk=territory.pk)
    _check_customer_manager(to_manager, "to_manager")
    _check_change_date(territory=territory, day=effective_from, field="effective_from")
    ids = _handover_retailer_ids(territory, effective_from, retailers)
    whole = retailers is None
    if whole:
        elsewhere = (
            RetailerAssignment.objects.filter(assigned_on(effective_from), manager=to_manager)
            .exclude(territory=territory)
            .values_list("territory__code", flat=True)
            .first()
        )
        if elsewhere is None:
            elsewhere = (
                Territory.objects.filter(manager=to_manager, retailers__isnull=True)
                .exclude(pk=territory.pk)
                .values_list("code", flat=True)
                .first()
            )
        if elsewhere:
            raise ValidationError(
                {
                    "to_manager": _(
                        "%(manager)s holds territory %(code)s on %(day)s: hand that one over first."
                    )
                    % {"manager": to_manager, "code": elsewhere, "day": effective_from}
                }
            )
    later = TerritoryHandover.objects.filter(territory=territory, effective_from__gt=effective_from)
    if later.exists():
        raise ValidationError(
            {
                "effective_from": _(
                    "A later handover or covering of %(code)s is already recorded; record "
                    "them in date order."
                )
                % {"code": territory.code}
            }
        )
    covering = _overlapping_coverings(territory, effective_from, effective_from).first()
    if covering is not None:
        if covering.until is not None or covering.effective_from >= effective_from:
            raise ValidationError(
                {
                    "effective_from": _(
                        "%(code)s is covered from %(start)s to %(end)s: date the handover "
                        "after the covering."
                    )
                    % {
                        "code": territory.code,
                        "start": covering.effective_from,
                        "end": covering.until or "—",
                    }
                }
            )
        covering.until = effective_from - timedelta(days=1)
        covering.save(update_fields=["until"])
    from_manager = _manager_on(territory, effective_from, ids)
    if from_manager is not None and from_manager.pk == to_manager.pk:
        raise ValidationError(
            {
                "to_manager": _("%(manager)s already serves these retailers.")
                % {"manager": to_manager}
            }
        )
    target = territory
    if not whole:
        target = Territory.objects.filter(manager=to_manager).first() or territory
    record = TerritoryHandover(
        territory=territory,
        kind=HandoverKind.HANDOVER,
        from_manager=from_manager,
        to_manager=to_manager,
        effective_from=effective_from,
        from_manager_leaves=leaves,
        note=note,
        recorded_by=user,
    )
    record.full_clean()
    record.save()
    if not whole:
        record.retailers.set(ids)
    _assign_period(
        retailer_ids=ids,
        territory_id=target.pk,
        manager_id=to_manager.pk,
        start=effective_from,
        stop=None,
    )
    _plans_follow(ids, effective_from)
    if effective_from <= today:
        _apply(record)
    return record


@transaction.atomic
def territory_cover(
    *,
    territory: Territory,
    manager: User,
    start: date,
    end: date | None = None,
    retailers=None,
    user: User | None = None,
    note: str = "",
    leaves: bool = False,
    today: date | None = None,
) -> TerritoryHandover:
    """``manager`` covers a territory (or some of its retailers) from ``start`` to ``end``
    (inclusive; None: until a handover), then the retailers return to whom they had.

    Plans, alerts and facts of that period go to the covering manager (DOMAIN §9). The
    territory's manager does not change (a covering manager keeps their own territory).
    """
    today = today or timezone.localdate()
    territory = Territory.objects.select_for_update().get(pk=territory.pk)
    _check_customer_manager(manager, "manager")
    if end is not None and end < start:
        raise ValidationError({"end": _("A covering ends on or after its start.")})
    _check_change_date(territory=territory, day=start, field="start")
    if end is not None:
        _check_change_date(territory=territory, day=end + timedelta(days=1), field="end")
    overlapping = _overlapping_coverings(territory, start, end).first()
    if overlapping is not None:
        raise ValidationError(
            {
                "start": _("%(code)s is already covered from %(start)s to %(end)s.")
                % {
                    "code": territory.code,
                    "start": overlapping.effective_from,
                    "end": overlapping.until or "—",
                }
            }
        )
    later = TerritoryHandover.objects.filter(
        territory=territory, kind=HandoverKind.HANDOVER, effective_from__gt=start
    )
    if later.exists():
        raise ValidationError(
            {
                "start": _("A later handover of %(code)s is already recorded.")
                % {"code": territory.code}
            }
        )
    ids = _handover_retailer_ids(territory, start, retailers)
    from_manager = _manager_on(territory, start, ids)
    if from_manager is not None and from_manager.pk == manager.pk:
        raise ValidationError(
            {"manager": _("%(manager)s already serves these retailers.") % {"manager": manager}}
        )
    record = TerritoryHandover(
        territory=territory,
        kind=HandoverKind.COVERING,
        from_manager=from_manager,
        to_manager=manager,
        effective_from=start,
        until=end,
        from_manager_leaves=leaves,
        note=note,
        recorded_by=user,
    )
    record.full_clean()
    record.save()
    if retailers is not None:
        record.retailers.set(ids)
    _assign_period(
        retailer_ids=ids,
        territory_id=territory.pk,
        manager_id=manager.pk,
        start=start,
        stop=record.returns_on,
    )
    _plans_follow(ids, start)
    if start <= today:
        _apply(record)
    return record


def _plans_follow(retailer_ids, since: date) -> None:
    from visits.services.plans import plans_follow_assignments

    plans_follow_assignments(retailer_ids=retailer_ids, since=since)


def _apply(record: TerritoryHandover) -> None:
    """Bring the territory's manager (or the moved retailers' territory) in line with a
    record in force, and deactivate a leaving manager."""
    whole = not record.retailers.exists()
    if record.kind == HandoverKind.HANDOVER:
        if whole:
            Territory.objects.filter(pk=record.territory_id).update(manager=record.to_manager)
        else:
            target = Territory.objects.filter(manager=record.to_manager).first()
            if target is not None:
                record.retailers.update(territory=target)
    elif record.from_manager_leaves and whole:
        # The covered manager leaves: the territory has no manager of its own until handed over.
        Territory.objects.filter(pk=record.territory_id, manager=record.from_manager_id).update(
            manager=None
        )
    if record.from_manager_leaves and record.from_manager_id:
        User.objects.filter(pk=record.from_manager_id).update(is_active=False)
    record.applied_at = timezone.now()
    record.save(update_fields=["applied_at"])


@transaction.atomic
def handovers_apply(*, today: date | None = None) -> list[TerritoryHandover]:
    """Apply the handovers and coverings whose date has come (the nightly task)."""
    today = today or timezone.localdate()
    due = list(
        TerritoryHandover.objects.filter(applied_at__isnull=True, effective_from__lte=today)
        .select_related("territory", "to_manager", "from_manager")
        .order_by("effective_from", "pk")
    )
    for record in due:
        _apply(record)
    return due


@transaction.atomic
def manager_leave(
    *,
    manager: User,
    on: date,
    successor: User | None = None,
    covering: User | None = None,
    user: User | None = None,
    today: date | None = None,
) -> list[TerritoryHandover]:
    """A customer manager leaves on ``on``: their territory is handed to ``successor`` or
    covered by ``covering`` from that day, and they are deactivated on it.

    Nothing they earned is removed: scores, pay lines and the assignments of the days they
    served stay, so the months they worked still assess them (DOMAIN §4).
    """
    today = today or timezone.localdate()
    if successor is not None and covering is not None:
        raise ValidationError(_("Name a successor or a covering manager, not both."))
    territories = list(Territory.objects.filter(manager=manager))
    if territories and successor is None and covering is None:
        raise ValidationError(
            _("%(manager)s holds territory %(code)s: name a successor or a covering manager.")
            % {"manager": manager, "code": territories[0].code}
        )
    records = []
    for territory in territories:
        if successor is not None:
            records.append(
                territory_handover(
                    territory=territory,
                    to_manager=successor,
                    effective_from=on,
                    user=user,
                    leaves=True,
                    note=_("%(manager)s leaves") % {"manager": manager},
                    today=today,
                )
            )
        else:
            records.append(
                territory_cover(
                    territory=territory,
                    manager=covering,
                    start=on,
                    user=user,
                    leaves=True,
                    note=_("%(manager)s leaves") % {"manager": manager},
                    today=today,
                )
            )
    if not territories and on <= today:
        User.objects.filter(pk=manager.pk).update(is_active=False)
    manager.refresh_from_db()
    return records
