"""Pure pay rules on hand-computed cases of the DOMAIN.md §5–§6 defaults (no database)."""

from decimal import Decimal

import pytest
from django.utils import translation

from reports.pay import PayRules, pay_line, validate_scheme


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are translated (zh-hans by default); the tests compare the English msgids."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


PIECE_RATES = {"1": "40", "2": "30", "3": "20", "4": "12", "5": "8"}
TIERS = {
    "probation": {"coefficient": "0.8", "allowance": "0"},
    "one_star": {"coefficient": "0.9", "allowance": "200"},
    "two_star": {"coefficient": "1.0", "allowance": "400"},
    "three_star": {"coefficient": "1.1", "allowance": "600"},
    "four_star": {"coefficient": "1.2", "allowance": "800"},
    "five_star": {"coefficient": "1.3", "allowance": "1000"},
}


def rules(**changes):
    data = {
        "piece_rates": PIECE_RATES,
        "score_mode": "linear",
        "score_bands": [],
        "tiers": TIERS,
        "floor": None,
        "cap": None,
    }
    data.update(changes)
    return PayRules.from_data(**data)


def test_probation_manager():
    # 2,500 条 一类 = 10 箱 × 40 = 400; 1,250 条 三类 = 5 箱 × 20 = 100 → 500 元.
    # 500 × 0.95 × 0.8 = 380.00; allowance 0.
    result = pay_line(
        cartons_by_class={1: 2500, 3: 1250}, score=Decimal("95.00"), tier="probation", rules=rules()
    )
    assert result.piece_pay == Decimal("500")
    assert result.score_coefficient == Decimal("0.95")
    assert (result.tier_coefficient, result.allowance) == (Decimal("0.8"), Decimal("0"))
    assert result.bonus == Decimal("380.00")
    assert "380.00" in result.explanation["text"]
    assert result.explanation["formula"].startswith("应发奖金")


def test_five_star_manager_with_fractional_boxes():
    # 100 条 二类 = 0.4 箱 × 30 = 12; 3,000 条 五类 = 12 箱 × 8 = 96; 333 条 四类 = 1.332 × 12
    # = 15.984 → piece 123.984. × 0.88 × 1.3 = 141.837696 → 141.84; + 1000 = 1141.84.
    result = pay_line(
        cartons_by_class={2: 100, 4: 333, 5: 3000},
        score=Decimal("88.00"),
        tier="five_star",
        rules=rules(),
    )
    assert result.piece_pay == Decimal("123.984")
    assert result.bonus == Decimal("1141.84")
    assert result.explanation["by_class"]["4"]["amount"] == "15.984"


def test_score_coefficient_above_one_thanks_to_bonus_points():
    # 10 箱 一类 = 400 × 1.03 × 1.0 = 412.00 + 400 = 812.00.
    result = pay_line(
        cartons_by_class={1: 2500}, score=Decimal("103.00"), tier="two_star", rules=rules()
    )
    assert result.score_coefficient == Decimal("1.03")
    assert result.bonus == Decimal("812.00")


def test_zero_sales_gets_the_allowance_alone():
    result = pay_line(cartons_by_class={}, score=Decimal("97.50"), tier="three_star", rules=rules())
    assert result.piece_pay == 0
    assert result.bonus == Decimal("600.00")


def test_half_up_rounding_at_half_a_cent():
    # 1 条 五类 = 8 / 250 = 0.032 元; × 0.5 (score 50) × 1.0 = 0.016 → 0.02; + 400.
    result = pay_line(cartons_by_class={5: 1}, score=Decimal("50"), tier="two_star", rules=rules())
    assert result.bonus == Decimal("400.02")
    # Exactly half a cent: 1 条 一类 = 0.16 × 1.00 × 0.03125 = 0.005 → 0.01 (HALF_UP; banker's
    # rounding would give 0.00).
    exact = rules(tiers={**TIERS, "two_star": {"coefficient": "0.03125", "allowance": "0"}})
    result = pay_line(cartons_by_class={1: 1}, score=Decimal("100"), tier="two_star", rules=exact)
    assert result.bonus == Decimal("0.01")
    # 0.16 × 0.5 × 0.03125 = 0.0025 → 0.00
    result = pay_line(cartons_by_class={1: 1}, score=Decimal("50"), tier="two_star", rules=exact)
    assert result.bonus == Decimal("0.00")
    # 5 条 四类 = 0.24 元 × 0.8125 (score 81.25) × 1.1 = 0.2145 → 0.21; + 600.
    result = pay_line(
        cartons_by_class={4: 5}, score=Decimal("81.25"), tier="three_star", rules=rules()
    )
    assert result.bonus == Decimal("600.21")
    # 125 条 五类 = 4 元 × 0.8125 × 0.9 = 2.925 → 2.93 (half up at the third place); + 200.
    result = pay_line(
        cartons_by_class={5: 125}, score=Decimal("81.25"), tier="one_star", rules=rules()
    )
    assert result.bonus == Decimal("202.93")


def test_banded_mode_takes_the_highest_band_reached():
    banded = rules(
        score_mode="banded",
        score_bands=[["0", "0.5"], ["60", "0.8"], ["80", "1.0"], ["95", "1.2"]],
    )

    def bonus(score):
        return pay_line(
            cartons_by_class={1: 2500}, score=Decimal(score), tier="two_star", rules=banded
        ).bonus

    assert bonus("59.99") == Decimal("600.00")  # 400 × 0.5 + 400
    assert bonus("80.00") == Decimal("800.00")  # band starts at 80: 400 × 1.0 + 400
    assert bonus("94.99") == Decimal("800.00")
    assert bonus("101.00") == Decimal("880.00")  # 400 × 1.2 + 400


def test_floor_and_cap_bound_the_whole_bonus():
    bounded = rules(floor="500", cap="1500")
    # zero sales, one star: 200 < floor 500 → 500.
    low = pay_line(cartons_by_class={}, score=Decimal("90"), tier="one_star", rules=bounded)
    assert low.bonus == Decimal("500.00")
    assert low.explanation["bounded_by"] == "floor"
    # 100 箱 一类 = 4000 × 1.0 × 1.3 = 5200 + 1000 = 6200 > cap 1500 → 1500.
    high = pay_line(
        cartons_by_class={1: 25000}, score=Decimal("100"), tier="five_star", rules=bounded
    )
    assert high.bonus == Decimal("1500.00")
    assert high.explanation["bonus_before_bounds"] == "6200.00"
    # Within the bounds: unchanged (400 × 0.9 × 0.9 = 324 + 200 = 524).
    mid = pay_line(cartons_by_class={1: 2500}, score=Decimal("90"), tier="one_star", rules=bounded)
    assert mid.bonus == Decimal("524.00")
    assert mid.explanation["bounded_by"] is None


def test_default_scheme_has_no_bounds():
    result = pay_line(
        cartons_by_class={1: 250000}, score=Decimal("100"), tier="five_star", rules=rules()
    )
    assert result.bonus == Decimal("53000.00")  # 1000 箱 × 40 × 1.3 + 1000


def test_rules_round_trip_through_data():
    assert PayRules.from_data(**rules().to_data()) == rules()


def test_validate_scheme_accepts_defaults():
    assert validate_scheme(PIECE_RATES, "linear", [], TIERS) == []


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"piece_rates": {"1": "40", "2": "30", "3": "20", "4": "12"}}, "classes 1 to 5"),
        ({"piece_rates": {**PIECE_RATES, "3": "-1"}}, "class 3"),
        ({"piece_rates": {**PIECE_RATES, "3": "abc"}}, "not a number"),
        ({"tiers": {k: v for k, v in TIERS.items() if k != "five_star"}}, "six tiers"),
        ({"score_mode": "banded", "score_bands": [["80", "1"], ["60", "0.8"]]}, "ascending"),
        ({"score_mode": "banded", "score_bands": []}, "at least one band"),
        ({"score_mode": "weird"}, "Unknown score mode"),
        ({"floor": "500", "cap": "100"}, "cap must not be below"),
    ],
)
def test_validate_scheme_rejects(changes, fragment):
    data = {
        "piece_rates": PIECE_RATES,
        "score_mode": "linear",
        "score_bands": [],
        "tiers": TIERS,
        "floor": None,
        "cap": None,
    }
    data.update(changes)
    errors = validate_scheme(**data)
    assert any(fragment in error for error in errors), errors
