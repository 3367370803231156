"""The pure quarterly tier review on hand-computed cases of DOMAIN.md §6."""

import json
from datetime import date
from decimal import Decimal as D

import pytest

from reports.models import Tier
from reports.tiers import (
    TierInputs,
    default_tier,
    last_complete_quarter,
    parse_quarter,
    quarter_end_of,
    quarter_label,
    review,
)

Q3 = date(2026, 7, 1)
Q3_END = date(2026, 9, 30)
VETERAN = date(2020, 3, 1)


def inputs(
    tier=Tier.TWO,
    totals=("92", "91", "93"),
    actual="120",
    target="100",
    satisfaction="4.5",
    hire=VETERAN,
):
    return TierInputs(
        current_tier=tier,
        hire_date=hire,
        quarter_start=Q3,
        quarter_end=Q3_END,
        monthly_totals=tuple(D(t) for t in totals),
        sales_actual=D(actual),
        sales_target=None if target is None else D(target),
        satisfaction_mean=None if satisfaction is None else D(satisfaction),
    )


def test_promotion_one_step():
    decision = review(inputs())
    assert (decision.proposed_tier, decision.flag) == (Tier.THREE, "")
    assert decision.reasons["average"] == "92.00"
    assert decision.reasons["sales_completion"] == "1.2000"
    assert decision.reasons["rule"] == "promote"
    json.dumps(decision.reasons)  # stored in a JSONField


def test_promotion_at_exact_thresholds():
    # (90 + 90 + 90) / 3 = 90 ≥ 90; 100 ÷ 100 = 100 %; satisfaction 4.0.
    decision = review(
        inputs(tier=Tier.ONE, totals=("90", "90", "90"), actual="100", satisfaction="4.0")
    )
    assert decision.proposed_tier == Tier.TWO


def test_average_just_below_90_does_not_promote():
    # (90 + 90 + 89.99) / 3 = 89.9966… < 90
    decision = review(inputs(totals=("90", "90", "89.99")))
    assert (decision.proposed_tier, decision.flag) == (Tier.TWO, "")
    assert decision.reasons["rule"] == "none"


def test_demotion_by_average_below_75():
    # (74 + 75 + 75) / 3 = 74.67 < 75, no month below 60
    decision = review(inputs(tier=Tier.THREE, totals=("74", "75", "75")))
    assert (decision.proposed_tier, decision.flag) == (Tier.TWO, "")
    assert decision.reasons["average"] == "74.67"


def test_average_exactly_75_keeps_tier():
    decision = review(inputs(tier=Tier.THREE, totals=("75", "75", "75")))
    assert decision.proposed_tier == Tier.THREE


def test_demotion_by_one_month_below_60_despite_high_average():
    # (100 + 100 + 59.5) / 3 = 86.5 ≥ 75, but one month < 60
    decision = review(inputs(tier=Tier.FOUR, totals=("100", "100", "59.5")))
    assert (decision.proposed_tier, decision.flag) == (Tier.THREE, "")
    assert decision.reasons["lowest_month"] == "59.50"


def test_demotion_wins_when_promotion_conditions_hold():
    # Bonus points take a month above 100: (107 + 106 + 57) / 3 = 90 ≥ 90, sales 120 %,
    # satisfaction 4.5 — a promotion, but 57 < 60 demotes.
    decision = review(inputs(tier=Tier.THREE, totals=("107", "106", "57")))
    assert decision.reasons["average"] == "90.00"
    assert (decision.proposed_tier, decision.flag) == (Tier.TWO, "")
    assert decision.reasons["rule"] == "demote"


def test_one_star_is_the_floor_flagged_for_training():
    decision = review(inputs(tier=Tier.ONE, totals=("70", "70", "70")))
    assert (decision.proposed_tier, decision.flag) == (Tier.ONE, "training")
    assert decision.reasons["rule"] == "floor"


def test_five_stars_is_the_top():
    decision = review(inputs(tier=Tier.FIVE))
    assert (decision.proposed_tier, decision.flag) == (Tier.FIVE, "")
    assert decision.reasons["rule"] == "top"


def test_five_stars_can_be_demoted():
    decision = review(inputs(tier=Tier.FIVE, totals=("70", "70", "70")))
    assert decision.proposed_tier == Tier.FOUR


def test_probation_no_change_before_12_months_even_with_high_scores():
    # hired 2025-10-01: 12 months end 2026-10-01 > 2026-09-30
    decision = review(inputs(tier=Tier.PROBATION, hire=date(2025, 10, 1)))
    assert (decision.proposed_tier, decision.flag) == (Tier.PROBATION, "")
    assert decision.reasons["probation_ends"] == "2026-10-01"


def test_probation_no_demotion_flag_before_12_months():
    decision = review(
        inputs(tier=Tier.PROBATION, totals=("50", "50", "50"), hire=date(2026, 1, 15))
    )
    assert (decision.proposed_tier, decision.flag) == (Tier.PROBATION, "")


def test_first_review_after_12_months_passes_at_average_80():
    # hired 2025-09-30: 12 months end 2026-09-30 = the quarter's last day → reviewed now.
    # (80 + 79 + 81) / 3 = 80 ≥ 80 → 一星 (sales and satisfaction do not matter here)
    decision = review(
        inputs(
            tier=Tier.PROBATION,
            totals=("80", "79", "81"),
            actual="10",
            satisfaction="2.0",
            hire=date(2025, 9, 30),
        )
    )
    assert (decision.proposed_tier, decision.flag) == (Tier.ONE, "")
    assert decision.reasons["rule"] == "probation_passed"


def test_first_review_after_12_months_below_80_stays_flagged():
    # (80 + 79 + 80) / 3 = 79.67 < 80
    decision = review(inputs(tier=Tier.PROBATION, totals=("80", "79", "80"), hire=date(2025, 7, 1)))
    assert (decision.proposed_tier, decision.flag) == (Tier.PROBATION, "probation_extended")


def test_probation_passes_one_step_only():
    # excellent figures still lead to 一星, not 二星
    decision = review(
        inputs(tier=Tier.PROBATION, totals=("100", "100", "100"), hire=date(2024, 1, 1))
    )
    assert decision.proposed_tier == Tier.ONE


def test_one_step_at_most_on_demotion():
    decision = review(inputs(tier=Tier.FIVE, totals=("10", "10", "10")))
    assert decision.proposed_tier == Tier.FOUR


def test_sales_completion_below_100_blocks_promotion():
    # 99.99 ÷ 100 < 100 %
    decision = review(inputs(actual="99.99"))
    assert decision.proposed_tier == Tier.TWO
    assert any("销量完成率" in line for line in decision.reasons["text"])


def test_no_sales_target_is_not_a_condition():
    decision = review(inputs(actual="0", target=None))
    assert decision.proposed_tier == Tier.THREE
    assert decision.reasons["sales_completion"] is None


def test_zero_target_is_not_a_condition():
    assert review(inputs(actual="0", target="0")).proposed_tier == Tier.THREE


def test_no_survey_is_not_a_condition():
    decision = review(inputs(satisfaction=None))
    assert decision.proposed_tier == Tier.THREE
    assert decision.reasons["satisfaction"] is None


def test_satisfaction_below_4_blocks_promotion():
    decision = review(inputs(satisfaction="3.99"))
    assert (decision.proposed_tier, decision.flag) == (Tier.TWO, "")


def test_default_tier_for_managers_without_a_tier():
    assert default_tier(date(2025, 10, 1), Q3_END) == Tier.PROBATION
    assert default_tier(date(2025, 9, 30), Q3_END) == Tier.ONE
    assert default_tier(None, Q3_END) == Tier.ONE


@pytest.mark.parametrize(
    ("text", "start"),
    [("2026-Q3", date(2026, 7, 1)), ("2026q1", date(2026, 1, 1)), ("2026-Q5", None), ("x", None)],
)
def test_parse_quarter(text, start):
    assert parse_quarter(text) == start


def test_quarter_helpers():
    assert quarter_end_of(date(2026, 10, 1)) == date(2026, 12, 31)
    assert quarter_end_of(Q3) == Q3_END
    assert quarter_label(Q3) == "2026-Q3"
    assert last_complete_quarter(date(2026, 10, 5)) == Q3
    assert last_complete_quarter(date(2026, 1, 1)) == date(2025, 10, 1)
