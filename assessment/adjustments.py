"""Late data and 调整 lines (DOMAIN §4, §10.6, §10.8).

Data dated in a month that is in review or published when it arrives or changes is recorded
as a ``LateEntry`` (``note_late``, called by the services that take it in). The published
month is never rewritten: the close of the open month (the earliest later month still a
draft) recomputes each such month in memory with everything now known — the same selectors,
the same pure ``score`` and the scheme version of that month — and carries, per manager,

    recomputed − published − what earlier 调整 lines for that month already carried

as a ``ScoreAdjustment`` line "调整（YYYY-MM）" (``adjustment_lines``). A manager with no
score in the receiving month gets the line for the record only (§10.8). Re-running the close
gives the same lines; a month adjusted twice gets, the second time, only what is new.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q, Subquery, Sum
from django.utils import timezone

from accounts.models import Territory
from accounts.templatetags import formats as show
from retailers.models import OrderLine, add_months, month_start
from retailers.selectors import credited_sales

from .models import (
    AssessmentMonth,
    ItemScore,
    LateEntry,
    LateKind,
    ManagerScore,
    MonthState,
    ScoreAdjustment,
)
from .scoring import check_scheme, score

ZERO = Decimal(0)
LOCKED = (MonthState.REVIEW, MonthState.PUBLISHED)
# At most this many late rows are named in a line's explanation (the rest are counted).
NAMED_ROWS = 12


def locked_state(company, day: date) -> str | None:
    """The state of the city's month of ``day`` when it is in review or published, else None
    (data dated in a draft or missing month is ordinary data of that month)."""
    state = (
        AssessmentMonth.objects.filter(company=company, month=month_start(day))
        .values_list("state", flat=True)
        .first()
    )
    return state if state in LOCKED else None


def locked_territory_month(territory_id, day: date) -> tuple[int, str] | None:
    """(city company id, state) of the month of ``day`` of the territory's city when it is in
    review or published, else None: one query (the territory's company is joined in)."""
    return (
        AssessmentMonth.objects.filter(
            month=month_start(day),
            state__in=LOCKED,
            company_id=Subquery(
                Territory.objects.filter(pk=territory_id).values("department__company_id")[:1]
            ),
        )
        .values_list("company_id", "state")
        .first()
    )


def note_late(
    *,
    kind: str,
    company,
    day: date,
    note: str,
    manager_id: int | None = None,
    object_id: int | None = None,
    now: datetime | None = None,
    state: str | None = None,
) -> LateEntry | None:
    """Record that data dated ``day`` arrived or changed while its month is in review or
    published (None when the month is open: nothing to record). The same object recorded
    again for the same month (a visit marked invalid, then valid) keeps one row, with its
    latest arrival, to be carried by the next open month; an object late in two months (a
    complaint overdue in one, substantiated in the next) has a row for each. ``company``: the
    city company or its id; ``state``: the month's state when the caller has read it already
    (then no lookup; "draft" or any state not locked records nothing)."""
    if company is None:
        return None
    if state is None:
        state = locked_state(company, day)
    if state not in LOCKED:
        return None
    fields = {
        "company_id": getattr(company, "pk", company),
        "month": month_start(day),
        "manager_id": manager_id,
        "day": day,
        "note": note[: LateEntry._meta.get_field("note").max_length],
        "month_state": state,
        "arrived_at": now or timezone.now(),
        "carried_in": None,
    }
    if object_id is None or kind == LateKind.ORDER_LINES:
        return LateEntry.objects.create(kind=kind, object_id=object_id, **fields)
    month = fields.pop("month")
    entry, _created = LateEntry.objects.update_or_create(
        kind=kind, object_id=object_id, month=month, defaults=fields
    )
    return entry


# --- The close: 调整 lines ----------------------------------------------------------------


def source_months(assessment: AssessmentMonth) -> list[AssessmentMonth]:
    """The published months of the city whose late data ``assessment`` carries: those with
    late data not yet carried whose earliest later draft month is this one (only while it is
    a draft), and those it carried already (its lines are recalculated while it is a draft,
    and when an appeal is decided in its review)."""
    company, first = assessment.company, assessment.month
    months = set(
        LateEntry.objects.filter(carried_in=assessment).values_list("month", flat=True)
    ) | set(
        ScoreAdjustment.objects.filter(assessment=assessment).values_list("source_month", flat=True)
    )
    if assessment.state == MonthState.DRAFT:
        drafts = set(
            AssessmentMonth.objects.filter(
                company=company, month__lt=first, state=MonthState.DRAFT
            ).values_list("month", flat=True)
        )
        for month in (
            LateEntry.objects.filter(company=company, month__lt=first, carried_in__isnull=True)
            .values_list("month", flat=True)
            .distinct()
        ):
            if not any(month < draft for draft in drafts):
                months.add(month)
    return list(
        AssessmentMonth.objects.filter(
            company=company, month__in=months, state=MonthState.PUBLISHED
        )
        .select_related("scheme")
        .order_by("month")
    )


def _by_class(source: AssessmentMonth, lines) -> dict[int, dict]:
    """{manager: {price class: net 条}} of ``lines`` dated in ``source``, credited as usual
    (to the manager assigned on each line's date, within the source's city)."""
    by_manager: dict[int, dict] = defaultdict(dict)
    for row in credited_sales(
        start=source.month, end=add_months(source.month, 1), lines=lines, company=source.company
    ):
        classes = by_manager[row["manager_id"]]
        classes[row["price_class"]] = classes.get(row["price_class"], 0) + row["cartons"]
    return dict(by_manager)


def late_cartons(source: AssessmentMonth, *, until: datetime | None = None) -> dict[int, dict]:
    """{manager: {price class: net 条}} of the order and return lines dated in ``source``
    that arrived after its publication (and by ``until``)."""
    if source.published_at is None:  # not recorded: every line counts as known
        return {}
    lines = OrderLine.objects.filter(arrived_at__gt=source.published_at)
    if until is not None:
        lines = lines.filter(arrived_at__lte=until)
    return _by_class(source, lines)


def known_cartons(source: AssessmentMonth, *, until: datetime | None) -> dict[int, dict]:
    """{manager: {price class: net 条}} of the lines dated in ``source`` that had arrived by
    ``until`` (None: all of them)."""
    lines = OrderLine.objects.all()
    if until is not None:
        lines = lines.filter(arrived_at__lte=until)
    return _by_class(source, lines)


@dataclass
class _Published:
    base_total: Decimal
    bonus: Decimal
    items: dict = field(default_factory=dict)  # code → (name, points)


def _published(source: AssessmentMonth) -> dict[int, _Published]:
    """The scores of ``source`` as published, with their item points (two queries)."""
    rows = {
        manager_id: _Published(base_total=base_total, bonus=bonus)
        for manager_id, base_total, bonus in ManagerScore.objects.filter(
            assessment=source
        ).values_list("manager_id", "base_total", "bonus")
    }
    for manager_id, code, name, points in ItemScore.objects.filter(
        score__assessment=source
    ).values_list("score__manager_id", "code", "name", "points"):
        rows[manager_id].items[code] = (name, points)
    return rows


def _carried_before(source: AssessmentMonth, receiving: AssessmentMonth) -> dict[int, Decimal]:
    """{manager: Σ points of the 调整 lines for ``source`` in other months}."""
    rows = (
        ScoreAdjustment.objects.filter(
            source_month=source.month, assessment__company=source.company
        )
        .exclude(assessment=receiving)
        .values("manager_id")
        .annotate(points=Sum("points"))
        .order_by()
    )
    return {row["manager_id"]: row["points"] for row in rows}


def _entries(source: AssessmentMonth, receiving: AssessmentMonth) -> list[LateEntry]:
    carried = Q(carried_in=receiving)
    if receiving.state == MonthState.DRAFT:
        carried |= Q(carried_in__isnull=True)
    return list(
        LateEntry.objects.filter(carried, company=source.company, month=source.month).order_by(
            "arrived_at", "pk"
        )
    )


def _text(source: date, *, recomputed, published, carried, points, changed, rows, more) -> str:
    month = f"{source.year}年{source.month}月"
    text = (
        f"调整（{source:%Y-%m}）：{month}的考核发布后收到迟到数据，按同一方案重算得 "
        f"{recomputed:.2f} 分，发布时 {published:.2f} 分"
    )
    if carried:
        text += f"，此前的调整已计 {show.signed(carried, 2)} 分"
    text += f"，本次调整 {show.signed(points, 2)} 分。"
    if changed:
        text += "变化的考核项：" + "；".join(changed) + "。"
    else:
        text += "各考核项得分没有变化。"
    if rows:
        text += "迟到数据：" + "；".join(rows)
        text += f"；另有 {more} 条。" if more else "。"
    return text


def _late_sales_row(classes: dict) -> str:
    cartons = sum(classes.values())
    return f"发布后到达的订单/退货 {show.boxes(cartons)} 箱（净）"


def adjustment_lines(
    assessment: AssessmentMonth,
    *,
    in_month: set[int],
    manager_ids=None,
    now: datetime,
) -> tuple[list[ScoreAdjustment], list[date]]:
    """The 调整 lines ``assessment`` receives (unsaved), and the months they come from.

    ``in_month``: the managers scored in ``assessment`` (the others get lines for the record
    only); ``manager_ids``: only these managers' lines (an appeal's recompute)."""
    from .selectors import gather_inputs, scheme_for, scheme_spec  # lazy: no import cycle

    lines: list[ScoreAdjustment] = []
    sources = source_months(assessment)
    for source in sources:
        scheme = source.scheme or scheme_for(source.month, source.company)
        spec = scheme_spec(scheme)
        check_scheme(spec)
        inputs = gather_inputs(
            source.month, company=source.company, closed_at=source.closed_at, late=True
        )
        published = _published(source)
        carried = _carried_before(source, assessment)
        entries = _entries(source, assessment)
        sales = late_cartons(source, until=now)
        by_manager = defaultdict(list)
        for entry in entries:
            if entry.manager_id is not None:
                by_manager[entry.manager_id].append(entry)
        affected = set(by_manager) | set(sales)
        for manager_id, before in published.items():
            if manager_ids is not None and manager_id not in manager_ids:
                continue
            if manager_id not in inputs:
                continue  # not assessed in the month any more: nothing to recompute
            result = score(inputs[manager_id], spec, scheme_checked=True)
            earlier = carried.get(manager_id, ZERO)
            points = result.total - before.base_total - earlier
            if points == 0 and manager_id not in affected:
                continue
            changed, items = [], []
            for item in result.items:
                name, old = before.items.get(item.code, (item.name, None))
                items.append(
                    {
                        "code": item.code,
                        "name": name,
                        "published": None if old is None else f"{old:.2f}",
                        "recomputed": f"{item.points:.2f}",
                    }
                )
                if old != item.points:
                    old_text = "—" if old is None else f"{old:.2f}"
                    changed.append(f"{name} {old_text} → {item.points:.2f}")
            if result.bonus != before.bonus:
                changed.append(f"加分 {before.bonus:.2f} → {result.bonus:.2f}")
            rows = [
                f"{entry.get_kind_display()}（{entry.day:%m-%d}）{entry.note}"
                for entry in by_manager.get(manager_id, [])
            ]
            if manager_id in sales:
                rows.insert(0, _late_sales_row(sales[manager_id]))
            named, more = rows[:NAMED_ROWS], max(0, len(rows) - NAMED_ROWS)
            lines.append(
                ScoreAdjustment(
                    assessment=assessment,
                    manager_id=manager_id,
                    source_month=source.month,
                    published_total=before.base_total,
                    recomputed_total=result.total,
                    carried_before=earlier,
                    points=points,
                    recorded_only=manager_id not in in_month,
                    computed_at=now,
                    explanation={
                        "text": _text(
                            source.month,
                            recomputed=result.total,
                            published=before.base_total,
                            carried=earlier,
                            points=points,
                            changed=changed,
                            rows=named,
                            more=more,
                        ),
                        "items": items,
                        "bonus": {
                            "published": f"{before.bonus:.2f}",
                            "recomputed": f"{result.bonus:.2f}",
                        },
                        "late": [
                            {
                                "kind": entry.kind,
                                "id": entry.object_id,
                                "day": entry.day.isoformat(),
                                "note": entry.note,
                            }
                            for entry in by_manager.get(manager_id, [])
                        ],
                        "late_cartons": sum(sales.get(manager_id, {}).values()),
                        "inspections": [
                            entry.object_id
                            for entry in by_manager.get(manager_id, [])
                            if entry.kind == LateKind.INSPECTION
                        ],
                    },
                )
            )
    return lines, [source.month for source in sources]


def carry_entries(assessment: AssessmentMonth, months: list[date]) -> None:
    """Mark the late data of ``months`` not carried yet as carried by ``assessment`` (a
    draft's close); data arriving later waits for the next close."""
    if assessment.state != MonthState.DRAFT or not months:
        return
    LateEntry.objects.filter(
        company=assessment.company, month__in=months, carried_in__isnull=True
    ).update(carried_in=assessment)
