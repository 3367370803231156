"""The quarterly tier review (分级管理, 能上能下) as a pure function. DOMAIN.md §6.

``review(inputs)`` decides one manager's proposal from figures gathered elsewhere
(``reports.selectors.tiers``); it reads no database and is unit-tested on hand-computed cases.

The rules, in order:

1. 见习 (probation) lasts 12 months from the hire date. While the quarter ends before
   hire date + 12 months, nothing changes. At a review whose quarter ends on or after that
   day, 见习 → 一星 when the quarter's average is ≥ 80; otherwise the manager stays 见习 and
   is flagged ``probation_extended`` (the next review applies the same test again). The
   ordinary promotion/demotion rules do not apply to 见习. A 见习 manager without a hire date
   is treated as having served the 12 months.
2. Demotion (wins over promotion): average < 75 or any month < 60 → one step down; 一星 is
   the floor, where the manager stays and is flagged ``training`` instead.
3. Promotion: average ≥ 90, sales completion ≥ 100 % and satisfaction ≥ 4.0 → one step up;
   五星 is the top. No sales target in the quarter / no survey answer → that condition
   does not apply.

One step at most per review. Comparisons use exact Decimals (no rounding); ``reasons``
shows them rounded for reading.

A manager with no tier on record (``default_tier``): 见习 when hired less than 12 months
before the quarter ends, otherwise 一星 (also without a hire date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .models import TIER_ORDER, Tier

PROBATION_MONTHS = 12
PROBATION_PASS_AVERAGE = Decimal("80")
DEMOTE_AVERAGE_BELOW = Decimal("75")
DEMOTE_MONTH_BELOW = Decimal("60")
PROMOTE_AVERAGE = Decimal("90")
PROMOTE_SALES_COMPLETION = Decimal("1")
PROMOTE_SATISFACTION = Decimal("4.0")

FLAG_NONE = ""
FLAG_TRAINING = "training"
FLAG_PROBATION_EXTENDED = "probation_extended"

TIER_NAMES_ZH = {
    Tier.PROBATION: "见习",
    Tier.ONE: "一星",
    Tier.TWO: "二星",
    Tier.THREE: "三星",
    Tier.FOUR: "四星",
    Tier.FIVE: "五星",
}


@dataclass(frozen=True)
class TierInputs:
    current_tier: str
    hire_date: date | None
    quarter_start: date
    quarter_end: date  # the quarter's last day
    monthly_totals: tuple[Decimal, Decimal, Decimal]
    sales_actual: Decimal
    sales_target: Decimal | None
    satisfaction_mean: Decimal | None


@dataclass(frozen=True)
class TierDecision:
    proposed_tier: str
    flag: str  # "" | "training" | "probation_extended"
    reasons: dict

    def changes(self, current_tier: str) -> bool:
        """True when the decision needs an admin: a new tier or a flag."""
        return self.proposed_tier != current_tier or bool(self.flag)


# --- Dates ----------------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later (29 Feb → 28 Feb)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def probation_ends(hire_date: date) -> date:
    """The day the 12 months of probation are complete."""
    return add_years(hire_date, PROBATION_MONTHS // 12)


def quarter_start_of(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def quarter_end_of(quarter_start: date) -> date:
    """The last day of the quarter that starts on ``quarter_start``."""
    month = quarter_start.month + 3
    year = quarter_start.year + (month > 12)
    return date(year, (month - 1) % 12 + 1, 1) - timedelta(days=1)


def quarter_months(quarter_start: date) -> list[date]:
    return [date(quarter_start.year, quarter_start.month + i, 1) for i in range(3)]


def is_quarter_start(day: date) -> bool:
    return day.day == 1 and day.month in (1, 4, 7, 10)


def quarter_label(quarter_start: date) -> str:
    return f"{quarter_start.year}-Q{(quarter_start.month - 1) // 3 + 1}"


QUARTER_RE = re.compile(r"^\s*(\d{4})-?[Qq]([1-4])\s*$")


def parse_quarter(text: str) -> date | None:
    """ "2026-Q3" → date(2026, 7, 1); None when it is not a quarter."""
    match = QUARTER_RE.match(text or "")
    if not match:
        return None
    return date(int(match[1]), (int(match[2]) - 1) * 3 + 1, 1)


def last_complete_quarter(today: date) -> date:
    """The start of the last quarter that ended before ``today``."""
    return quarter_start_of(quarter_start_of(today) - timedelta(days=1))


def default_tier(hire_date: date | None, quarter_end: date) -> str:
    """The tier of a manager with none on record (see the module docstring)."""
    if hire_date is not None and probation_ends(hire_date) > quarter_end:
        return Tier.PROBATION
    return Tier.ONE


# --- The review -----------------------------------------------------------------------------


def _fmt(value: Decimal | None, places: str = "0.01") -> str | None:
    return None if value is None else str(value.quantize(Decimal(places)))


def _step(tier: str, steps: int) -> str:
    index = TIER_ORDER.index(tier) + steps
    return TIER_ORDER[max(0, min(index, len(TIER_ORDER) - 1))]


def review(inputs: TierInputs) -> TierDecision:
    """The proposal of the quarterly review for one manager (DOMAIN.md §6)."""
    current = Tier(inputs.current_tier)
    totals = tuple(Decimal(t) for t in inputs.monthly_totals)
    if len(totals) != 3:
        raise ValueError("A quarter has three monthly totals.")
    average = sum(totals, Decimal(0)) / 3
    lowest = min(totals)
    completion = (
        inputs.sales_actual / inputs.sales_target
        if inputs.sales_target is not None and inputs.sales_target > 0
        else None
    )
    satisfaction = inputs.satisfaction_mean
    text: list[str] = []
    reasons = {
        "quarter": quarter_label(inputs.quarter_start),
        "current_tier": str(current),
        "monthly_totals": [_fmt(t) for t in totals],
        "average": _fmt(average),
        "lowest_month": _fmt(lowest),
        "sales_actual": _fmt(inputs.sales_actual),
        "sales_target": _fmt(inputs.sales_target),
        "sales_completion": _fmt(completion, "0.0001"),
        "satisfaction": _fmt(satisfaction),
        "text": text,
    }

    def decide(tier: str, flag: str, rule: str) -> TierDecision:
        reasons["rule"] = rule
        reasons["proposed_tier"] = str(tier)
        return TierDecision(proposed_tier=str(tier), flag=flag, reasons=reasons)

    if current == Tier.PROBATION:
        if inputs.hire_date is not None:
            ends = probation_ends(inputs.hire_date)
            reasons["probation_ends"] = ends.isoformat()
            if inputs.quarter_end < ends:
                text.append(f"见习期至 {ends.isoformat()}，未满 12 个月，本季度不调整")
                return decide(current, FLAG_NONE, "probation")
            text.append(f"见习期已于 {ends.isoformat()} 满 12 个月")
        else:
            text.append("无入职日期，按见习期已满处理")
        if average >= PROBATION_PASS_AVERAGE:
            text.append(f"季度平均分 {_fmt(average)} ≥ {PROBATION_PASS_AVERAGE}，转为一星")
            return decide(Tier.ONE, FLAG_NONE, "probation_passed")
        text.append(f"季度平均分 {_fmt(average)} < {PROBATION_PASS_AVERAGE}，继续见习")
        return decide(current, FLAG_PROBATION_EXTENDED, "probation_extended")

    demote = []
    if average < DEMOTE_AVERAGE_BELOW:
        demote.append(f"季度平均分 {_fmt(average)} < {DEMOTE_AVERAGE_BELOW}")
    if lowest < DEMOTE_MONTH_BELOW:
        demote.append(f"单月得分 {_fmt(lowest)} < {DEMOTE_MONTH_BELOW}")
    if demote:
        text.extend(demote)
        if current == Tier.ONE:
            text.append("一星为最低星级，不再降级，安排培训")
            return decide(current, FLAG_TRAINING, "floor")
        text.append(f"降一级：{TIER_NAMES_ZH[current]} → {TIER_NAMES_ZH[_step(current, -1)]}")
        return decide(_step(current, -1), FLAG_NONE, "demote")

    blocked = []
    if average >= PROMOTE_AVERAGE:
        text.append(f"季度平均分 {_fmt(average)} ≥ {PROMOTE_AVERAGE}")
    else:
        blocked.append(f"季度平均分 {_fmt(average)} < {PROMOTE_AVERAGE}")
    if completion is None:
        text.append("无销量目标，不作为条件")
    elif completion >= PROMOTE_SALES_COMPLETION:
        text.append(f"销量完成率 {completion * 100:.1f}% ≥ 100%")
    else:
        blocked.append(f"销量完成率 {completion * 100:.1f}% < 100%")
    if satisfaction is None:
        text.append("无满意度调查，不作为条件")
    elif satisfaction >= PROMOTE_SATISFACTION:
        text.append(f"满意度 {_fmt(satisfaction)} ≥ {PROMOTE_SATISFACTION}")
    else:
        blocked.append(f"满意度 {_fmt(satisfaction)} < {PROMOTE_SATISFACTION}")
    if blocked:
        text.extend(blocked)
        text.append("未达晋级条件，保持不变")
        return decide(current, FLAG_NONE, "none")
    if current == Tier.FIVE:
        text.append("五星为最高星级，保持不变")
        return decide(current, FLAG_NONE, "top")
    text.append(f"晋一级：{TIER_NAMES_ZH[current]} → {TIER_NAMES_ZH[_step(current, 1)]}")
    return decide(_step(current, 1), FLAG_NONE, "promote")
