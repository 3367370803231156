"""Hand-computed cases for the monthly score (DOMAIN §4). Pure functions: no database."""

import json
from decimal import Decimal as D

import pytest

from assessment.scoring import (
    DEFAULT_ITEMS,
    DEFAULT_SCHEME,
    METRICS,
    ItemSpec,
    ManagerInputs,
    SchemeSpec,
    score,
    validate_params,
)


def points(result):
    return {item.code: item.points for item in result.items}


def item(result, code):
    return next(i for i in result.items if i.code == code)


def single(metric, params, max_points="10", **inputs):
    """Score one custom item on its own and return its ItemResult."""
    scheme = SchemeSpec(
        items=(ItemSpec("x", "测试项", D(max_points), metric, params),), bonus_cap=D(5)
    )
    return score(ManagerInputs(**inputs), scheme).items[0]


ABOVE_TARGET = ManagerInputs(
    sales_boxes=D("12.404"),
    sales_target_boxes=D("10"),
    key_brand_boxes=D("6"),
    key_brand_target_boxes=D("5"),
    new_brand_rates=((1, D("0.9"), D("0.8")), (2, D("0.7"), D("0.7"))),
    visits_planned=10,
    visits_completed=12,
    info_items=9,
    satisfaction_mean=D("5"),
    satisfaction_count=20,
)


# (1) above target everywhere ------------------------------------------------------------


def test_above_target_in_every_item_scores_full_points_plus_bonus():
    inputs = ManagerInputs(**{**ABOVE_TARGET.__dict__, "bonus": D("3"), "bonus_evidence": (4,)})
    result = score(inputs, DEFAULT_SCHEME)

    assert points(result) == {
        "sales": D("25.00"),
        "key_brand": D("10.00"),
        "new_shelf": D("15.00"),
        "visits": D("15.00"),
        "info": D("10.00"),
        "satisfaction": D("10.00"),
        "discipline": D("15.00"),
    }
    assert all(i.applicable for i in result.items)
    assert result.bonus_raw == D("3")
    assert result.bonus == D("3.00")
    assert result.total == D("103.00")


def test_default_scheme_matches_domain_and_sums_to_100():
    assert [(i.code, i.name, i.max_points) for i in DEFAULT_SCHEME.items] == [
        ("sales", "销量任务", D(25)),
        ("key_brand", "重点品牌销量", D(10)),
        ("new_shelf", "新品上柜率", D(15)),
        ("visits", "走访计划完成率", D(15)),
        ("info", "信息反馈", D(10)),
        ("satisfaction", "客户满意度", D(10)),
        ("discipline", "服务规范与工作纪律", D(15)),
    ]
    assert sum(i.max_points for i in DEFAULT_SCHEME.items) == D(100)
    assert DEFAULT_SCHEME.bonus_cap == D(5)
    assert [row["code"] for row in DEFAULT_ITEMS] == [i.code for i in DEFAULT_SCHEME.items]
    assert [row["params"] for row in DEFAULT_ITEMS] == [i.params for i in DEFAULT_SCHEME.items]
    # The rows a migration copies are independent of the scheme the code uses.
    assert DEFAULT_ITEMS[0]["params"] is not DEFAULT_SCHEME.items[0].params


def test_explanation_states_formula_inputs_and_text():
    result = score(ABOVE_TARGET, DEFAULT_SCHEME)
    sales = item(result, "sales").explanation

    assert sales["formula"] == "25 × 实际销量 12.40 箱 ÷ 销量任务 10.00 箱（完成率最多按 100% 计）"
    assert sales["inputs"] == {
        "sales_boxes": "12.404",
        "sales_target_boxes": "10",
        "deductions": "0",
    }
    assert sales["evidence"] == {"inspections": []}
    assert sales["not_applicable"] is False
    assert sales["text"] == (
        "销量任务：实际销量 12.40 箱，销量任务 10.00 箱，完成率 124.04%，得 25.00 分，"
        "最终 25.00 分（满分 25 分）。"
    )
    assert item(result, "new_shelf").explanation["evidence"] == {
        "inspections": [],
        "brands": [1, 2],
    }
    # Stored as JSON.
    json.dumps([i.explanation for i in result.items], ensure_ascii=False)


# (2) 不适用 ------------------------------------------------------------------------------


def test_no_targets_no_survey_no_planned_visits_no_new_brands_are_not_applicable():
    result = score(ManagerInputs(info_items=4), DEFAULT_SCHEME)

    not_applicable = {i.code for i in result.items if not i.applicable}
    assert not_applicable == {"sales", "key_brand", "new_shelf", "visits", "satisfaction"}
    assert points(result) == {
        "sales": D("25.00"),
        "key_brand": D("10.00"),
        "new_shelf": D("15.00"),
        "visits": D("15.00"),
        "info": D("5.00"),  # 10 × 4 ÷ 8
        "satisfaction": D("10.00"),
        "discipline": D("15.00"),
    }
    assert result.total == D("95.00")
    for code in not_applicable:
        explanation = item(result, code).explanation
        assert explanation["not_applicable"] is True
        assert "不适用" in explanation["formula"]
        assert "不适用" in explanation["text"]
    assert item(result, "sales").explanation["text"] == (
        "销量任务：未设定销量任务，不适用，按满分 25 分计，最终 25.00 分（满分 25 分）。"
    )


def test_zero_target_and_zero_target_rate_are_not_applicable():
    inputs = ManagerInputs(
        sales_boxes=D("3"),
        sales_target_boxes=D("0"),
        key_brand_target_boxes=D("0"),
        new_brand_rates=((7, D("0.2"), D("0")),),
    )
    result = score(inputs, DEFAULT_SCHEME)
    for code in ("sales", "key_brand", "new_shelf"):
        assert item(result, code).applicable is False
        assert item(result, code).points == item(result, code).max_points


# (3) inspection deductions -----------------------------------------------------------------


def test_inspection_deductions_floor_at_zero_and_reduce_partly_earned_items():
    inputs = ManagerInputs(
        sales_boxes=D("5"),
        sales_target_boxes=D("10"),  # earned 12.5
        visits_planned=4,
        visits_completed=3,  # 11.25
        info_items=8,  # 10
        missing_plans=2,  # 15 − 4 = 11
        deductions={
            "sales": D("20"),
            "key_brand": D("4"),
            "info": D("2.5"),
            "discipline": D("3"),
        },
        deduction_evidence={"sales": (11, 12), "key_brand": (13,), "info": (14,)},
    )
    result = score(inputs, DEFAULT_SCHEME)

    sales = item(result, "sales")
    assert (sales.earned, sales.deductions, sales.points) == (D("12.5"), D("20"), D("0.00"))
    assert sales.explanation["evidence"]["inspections"] == [11, 12]
    assert sales.explanation["formula"] == (
        "25 × 实际销量 5.00 箱 ÷ 销量任务 10.00 箱（完成率最多按 100% 计）"
        " − 督察扣分 20（最低 0 分）"
    )
    assert "督察扣 20 分" in sales.explanation["text"]
    assert sales.explanation["inputs"]["deductions"] == "20"
    # Not applicable → full points, and the deduction still applies.
    assert item(result, "key_brand").points == D("6.00")
    assert item(result, "info").points == D("7.50")
    assert item(result, "discipline").points == D("8.00")
    assert item(result, "visits").points == D("11.25")
    # 0 + 6 + 15 + 11.25 + 7.5 + 10 + 8
    assert result.total == D("57.75")


def test_deduction_charged_to_unknown_item_is_an_error():
    with pytest.raises(ValueError, match="不存在的考核项：nope"):
        score(ManagerInputs(deductions={"nope": D(1)}), DEFAULT_SCHEME)


# (4) bonus cap ---------------------------------------------------------------------------


def test_bonus_is_capped_at_five_and_total_exceeds_100():
    inputs = ManagerInputs(**{**ABOVE_TARGET.__dict__, "bonus": D("7")})
    result = score(inputs, DEFAULT_SCHEME)
    assert result.bonus_raw == D("7")
    assert result.bonus == D("5.00")
    assert result.total == D("105.00")


def test_negative_bonus_counts_as_zero():
    result = score(ManagerInputs(bonus=D("-2")), DEFAULT_SCHEME)
    assert result.bonus == D("0.00")
    assert result.total == D("90.00")  # info 0, every other item full or 不适用


# (5) rounding ----------------------------------------------------------------------------


def test_each_item_is_rounded_half_up_and_total_is_sum_of_rounded_items():
    inputs = ManagerInputs(
        sales_boxes=D("6.666"),
        sales_target_boxes=D("10"),  # 25 × 0.6666 = 16.665 → 16.67 (half-even would give 16.66)
        key_brand_boxes=D("5"),
        key_brand_target_boxes=D("6"),  # 10 × 5/6 = 8.333… → 8.33
        new_brand_rates=((1, D("0.45"), D("0.6")), (2, D("0.9"), D("0.8"))),  # 15 × 1.75/2
        visits_planned=3,
        visits_completed=1,  # 5
        info_items=1,  # 1.25
        satisfaction_mean=D("4.33"),  # 10 × 3.33/4 = 8.325 → 8.33
    )
    result = score(inputs, DEFAULT_SCHEME)

    assert item(result, "sales").earned == D("16.665")
    assert item(result, "new_shelf").earned == D("13.125")
    assert item(result, "satisfaction").earned == D("8.325")
    assert points(result) == {
        "sales": D("16.67"),
        "key_brand": D("8.33"),
        "new_shelf": D("13.13"),
        "visits": D("5.00"),
        "info": D("1.25"),
        "satisfaction": D("8.33"),
        "discipline": D("15.00"),
    }
    assert result.total == D("67.71")
    # Rounding the unrounded sum instead would give 67.70.
    unrounded = sum(i.earned for i in result.items)
    assert unrounded.quantize(D("0.01")) == D("67.70")


# (6) discipline --------------------------------------------------------------------------


def test_discipline_deducts_per_count():
    inputs = ManagerInputs(
        late_plans=2, missing_plans=1, overdue_complaints=3, substantiated_complaints=1
    )
    discipline = item(score(inputs, DEFAULT_SCHEME), "discipline")
    assert discipline.points == D("6.00")  # 15 − 2×1 − 1×2 − 3×1 − 1×2
    assert discipline.explanation["formula"] == (
        "15 − 迟交计划 2 次 × 1 − 缺交计划 1 次 × 2"
        " − 超时未处理投诉 3 次 × 1 − 查实投诉 1 次 × 2（最低 0 分）"
    )
    assert discipline.explanation["inputs"] == {
        "late_plans": "2",
        "missing_plans": "1",
        "overdue_complaints": "3",
        "substantiated_complaints": "1",
        "deductions": "0",
    }


def test_discipline_floors_at_zero_and_says_when_clean():
    inputs = ManagerInputs(missing_plans=5, substantiated_complaints=3)  # 15 − 10 − 6
    assert item(score(inputs, DEFAULT_SCHEME), "discipline").points == D("0.00")
    clean = item(score(ManagerInputs(), DEFAULT_SCHEME), "discipline")
    assert clean.points == D("15.00")
    assert "没有违纪记录" in clean.explanation["text"]


# (7) every metric of the catalogue ---------------------------------------------------------


def test_ratio_to_target():
    params = {"actual": "key_brand_boxes", "target": "key_brand_target_boxes"}
    half = single("ratio_to_target", params, key_brand_boxes=D(2), key_brand_target_boxes=D(8))
    assert half.points == D("2.50")
    over = single("ratio_to_target", params, key_brand_boxes=D(9), key_brand_target_boxes=D(8))
    assert over.points == D("10.00")
    none = single("ratio_to_target", params, key_brand_boxes=D(9))
    assert (none.applicable, none.points) == (False, D("10.00"))


def test_mean_ratio_to_target():
    rates = ((1, D("0.3"), D("0.6")), (2, D("1"), D("0.5")), (3, D("0"), D("0.4")))
    result = single(
        "mean_ratio_to_target", {"rates": "new_brand_rates"}, "12", new_brand_rates=rates
    )
    assert result.points == D("6.00")  # 12 × (0.5 + 1 + 0) ÷ 3
    assert result.explanation["formula"] == (
        "12 × (30.00% ÷ 60.00% + 100.00% ÷ 50.00% + 0.00% ÷ 40.00%) ÷ 3（每个新品最多按 100% 计）"
    )
    empty = single("mean_ratio_to_target", {"rates": "new_brand_rates"})
    assert (empty.applicable, empty.points) == (False, D("10.00"))


def test_count_quota_with_fixed_quota_and_quota_field():
    fixed = single("count_quota", {"count": "info_items", "quota": 8}, info_items=3)
    assert fixed.points == D("3.75")
    assert single("count_quota", {"count": "info_items", "quota": 8}, info_items=20).points == D(
        "10.00"
    )
    params = {"count": "visits_completed", "quota_field": "visits_planned"}
    by_field = single("count_quota", params, "15", visits_planned=6, visits_completed=4)
    assert by_field.points == D("10.00")
    no_plan = single("count_quota", params, "15", visits_completed=4)
    assert (no_plan.applicable, no_plan.points) == (False, D("15.00"))


def test_scale_mean_is_clamped():
    params = {"mean": "satisfaction_mean", "low": 1, "high": 5}
    assert single("scale_mean", params, satisfaction_mean=D("3")).points == D("5.00")
    assert single("scale_mean", params, satisfaction_mean=D("0.5")).points == D("0.00")
    assert single("scale_mean", params, satisfaction_mean=D("6")).points == D("10.00")
    decimal_bounds = {"mean": "satisfaction_mean", "low": 0.5, "high": 2.5}
    assert single("scale_mean", decimal_bounds, satisfaction_mean=D("1")).points == D("2.50")
    none = single("scale_mean", params)
    assert (none.applicable, none.points) == (False, D("10.00"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0.00"), (2, "0.00"), (3, "4.00"), (5, "4.00"), (6, "7.50"), (9, "7.50"), (10, "10.00")],
)
def test_threshold_table_takes_highest_threshold_reached_capped_at_max(value, expected):
    params = {"value": "info_items", "table": [[3, 4], [6, 7.5], [10, 12]]}
    assert single("threshold_table", params, info_items=value).points == D(expected)


def test_threshold_table_on_missing_value_is_not_applicable():
    params = {"value": "satisfaction_mean", "table": [[4, 10]]}
    none = single("threshold_table", params)
    assert (none.applicable, none.points) == (False, D("10.00"))
    assert single("threshold_table", params, satisfaction_mean=D("4.2")).points == D("10.00")


def test_deduction_per_count_with_custom_points():
    params = {"per": {"late_plans": 0.5, "overdue_complaints": 3}}
    result = single("deduction_per_count", params, late_plans=3, overdue_complaints=1)
    assert result.points == D("5.50")  # 10 − 1.5 − 3


def test_every_metric_is_covered():
    assert set(METRICS) == {
        "ratio_to_target",
        "mean_ratio_to_target",
        "count_quota",
        "scale_mean",
        "threshold_table",
        "deduction_per_count",
    }


# (8) validate_params ---------------------------------------------------------------------


def test_default_params_are_valid():
    for row in DEFAULT_ITEMS:
        assert validate_params(row["metric"], row["params"]) == [], row["code"]


@pytest.mark.parametrize(
    ("metric", "params", "message"),
    [
        ("bogus", {}, "未知的指标类型 'bogus'"),
        (
            "ratio_to_target",
            {"actual": "sales", "target": "sales_target_boxes"},
            "未知字段 'sales'",
        ),
        ("ratio_to_target", {"actual": "sales_boxes"}, "缺少参数 target"),
        ("ratio_to_target", [], "应为 object 类型"),
        ("mean_ratio_to_target", {"rates": "sales_boxes"}, "params.rates: 未知字段"),
        ("count_quota", {"count": "info_items", "quota": 0}, "params.quota: 必须大于 0"),
        ("count_quota", {"count": "info_items", "quota": -3}, "params.quota: 必须大于 0"),
        ("count_quota", {"count": "info_items", "quota": 2.5}, "应为 integer 类型"),
        ("count_quota", {"count": "info_items"}, "须且只能给出一个"),
        (
            "count_quota",
            {"count": "info_items", "quota": 8, "quota_field": "visits_planned"},
            "须且只能给出一个",
        ),
        ("count_quota", {"count": "info_items", "quota": 8, "extra": 1}, "不支持的参数 extra"),
        ("scale_mean", {"mean": "satisfaction_mean", "low": 5, "high": 5}, "low 必须小于 high"),
        ("scale_mean", {"mean": "satisfaction_mean", "low": 5, "high": 1}, "low 必须小于 high"),
        (
            "threshold_table",
            {"value": "info_items", "table": [[5, 1], [3, 2]]},
            "门槛必须严格递增，实际为 [5, 3]",
        ),
        ("threshold_table", {"value": "info_items", "table": [[1, 1], [1, 2]]}, "严格递增"),
        ("threshold_table", {"value": "info_items", "table": []}, "params.table: 不能为空"),
        ("threshold_table", {"value": "info_items", "table": [[1]]}, "[门槛, 分数] 两项"),
        ("threshold_table", {"value": "info_items", "table": [[1, -2]]}, "不能小于 0"),
        ("deduction_per_count", {"per": {"lateness": 1}}, "params.per: 未知字段 'lateness'"),
        ("deduction_per_count", {"per": {"late_plans": -1}}, "params.per.late_plans: 不能小于 0"),
        ("deduction_per_count", {"per": {}}, "params.per: 不能为空"),
    ],
)
def test_bad_params_are_rejected_with_clear_messages(metric, params, message):
    errors = validate_params(metric, params)
    assert errors
    assert any(message in error for error in errors), errors


def test_score_refuses_an_invalid_scheme():
    scheme = SchemeSpec(
        items=(
            ItemSpec("a", "甲", D(10), "count_quota", {"count": "info_items", "quota": 0}),
            ItemSpec("a", "乙", D(10), "bogus", {}),
        ),
        bonus_cap=D(5),
    )
    with pytest.raises(ValueError) as excinfo:
        score(ManagerInputs(), scheme)
    message = str(excinfo.value)
    assert "重复的考核项代码：a" in message
    assert "a: params.quota: 必须大于 0" in message
    assert "a: 未知的指标类型 'bogus'" in message
