"""The pure classification function on hand-computed cases (default rules of DOMAIN.md §2)."""

from decimal import Decimal

import pytest

from retailers.classification import RetailerInputs, Rules, classify

RULES = Rules(
    weight_scale=Decimal("0.40"),
    weight_environment=Decimal("0.15"),
    weight_potential=Decimal("0.15"),
    weight_compliance=Decimal("0.20"),
    weight_credit=Decimal("0.10"),
    environment_scores={
        "business_center": Decimal(100),
        "transport_hub": Decimal(90),
        "residential": Decimal(70),
        "school_hospital": Decimal(60),
        "urban_fringe": Decimal(50),
        "rural_town": Decimal(40),
        "remote_rural": Decimal(20),
    },
    potential_default=3,
    minor_violation_points=10,
    serious_violation_points=30,
    credit_without_orders=50,
    threshold_a=Decimal(75),
    threshold_b=Decimal(50),
    serious_violation_cap="C",
)


def inputs(**overrides):
    values = {
        "scale_rank": Decimal("0.5"),
        "group_size": 10,
        "environment": "residential",
        "potential": None,
        "minor_violations": 0,
        "serious_violations": 0,
        "orders": 0,
        "orders_on_time": 0,
    }
    values.update(overrides)
    return RetailerInputs(**values)


def test_everything_best_scores_100_class_a():
    result = classify(
        inputs(
            group_size=1, environment="business_center", potential=5, orders=4, orders_on_time=4
        ),
        RULES,
    )
    assert (result.scale, result.environment, result.potential) == (100, 100, 100)
    assert (result.compliance, result.credit, result.total, result.klass) == (100, 100, 100, "A")


def test_middle_case_each_factor():
    # 0.4×50 + 0.15×70 + 0.15×50 (unrated → 3) + 0.2×90 (one minor) + 0.1×50 (no orders)
    result = classify(inputs(minor_violations=1), RULES)
    assert result.scale == Decimal("50.00")
    assert result.environment == Decimal("70.00")
    assert result.potential == Decimal("50.00")
    assert result.compliance == Decimal("90.00")
    assert result.credit == Decimal("50.00")
    assert result.total == Decimal("61.00")
    assert result.klass == "B"


@pytest.mark.parametrize(("on_time", "total", "klass"), [(1, "75.00", "A"), (0, "74.75", "B")])
def test_threshold_a_is_inclusive(on_time, total, klass):
    # 0.4×75 + 0.15×90 + 0.15×75 + 0.2×100 = 74.75; credit 1 of 40 orders = 2.5 → +0.25
    result = classify(
        inputs(
            scale_rank=Decimal("0.75"),
            environment="transport_hub",
            potential=4,
            orders=40,
            orders_on_time=on_time,
        ),
        RULES,
    )
    assert result.total == Decimal(total)
    assert result.klass == klass


def test_threshold_b_is_inclusive():
    # 0.4×0 + 0.15×100 + 0.15×100 + 0.2×100 + 0.1×0 = 50.00 → B
    result = classify(
        inputs(scale_rank=Decimal(0), environment="business_center", potential=5, orders=3),
        RULES,
    )
    assert result.total == Decimal("50.00")
    assert result.klass == "B"


def test_serious_violation_caps_class_at_c():
    # 0.4×100 + 0.15×100 + 0.15×100 + 0.2×70 + 0.1×100 = 94 → A, capped to C
    result = classify(
        inputs(
            group_size=1,
            environment="business_center",
            potential=5,
            serious_violations=1,
            orders=2,
            orders_on_time=2,
        ),
        RULES,
    )
    assert result.compliance == Decimal("70.00")
    assert result.total == Decimal("94.00")
    assert result.klass == "C"


def test_cap_never_raises_a_class():
    rules = Rules(**{**RULES.__dict__, "serious_violation_cap": "B"})
    result = classify(
        inputs(scale_rank=Decimal(0), environment="remote_rural", serious_violations=1), rules
    )
    assert result.klass == "C"


@pytest.mark.parametrize(("minor", "serious"), [(11, 0), (0, 4), (5, 2)])
def test_compliance_floor_is_zero(minor, serious):
    result = classify(inputs(minor_violations=minor, serious_violations=serious), RULES)
    assert result.compliance == Decimal("0.00")


def test_group_of_one_scores_100_whatever_the_rank():
    assert classify(inputs(scale_rank=Decimal(0), group_size=1), RULES).scale == Decimal("100.00")


def test_rounding_half_up_on_the_weighted_total():
    # 0.4×33.333… + 0.15×20 + 0.15×50 + 0.2×100 + 0.1×66.666… = 50.4999… → 50.50
    result = classify(
        inputs(scale_rank=1 / 3, environment="remote_rural", orders=3, orders_on_time=2),
        RULES,
    )
    assert result.scale == Decimal("33.33")
    assert result.credit == Decimal("66.67")
    assert result.total == Decimal("50.50")
    assert result.klass == "B"


def test_potential_scale():
    assert [classify(inputs(potential=p), RULES).potential for p in range(1, 6)] == [
        Decimal("0.00"),
        Decimal("25.00"),
        Decimal("50.00"),
        Decimal("75.00"),
        Decimal("100.00"),
    ]
