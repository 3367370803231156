"""Properties of the monthly score under the default scheme (Hypothesis; no database)."""

from dataclasses import replace
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.scoring import DEFAULT_SCHEME, ManagerInputs, score

CODES = [item.code for item in DEFAULT_SCHEME.items]
MAX_TOTAL = sum(item.max_points for item in DEFAULT_SCHEME.items) + DEFAULT_SCHEME.bonus_cap

fast = settings(max_examples=200, deadline=None)

boxes = st.decimals(min_value=0, max_value=5000, places=3)
targets = st.none() | st.decimals(min_value=0, max_value=5000, places=3)
rates = st.decimals(min_value=0, max_value=1, places=4)
counts = st.integers(min_value=0, max_value=40)
points = st.decimals(min_value=0, max_value=30, places=2)


@st.composite
def manager_inputs(draw):
    return ManagerInputs(
        sales_boxes=draw(boxes),
        sales_target_boxes=draw(targets),
        key_brand_boxes=draw(boxes),
        key_brand_target_boxes=draw(targets),
        new_brand_rates=tuple(
            (brand, draw(rates), draw(st.decimals(min_value="0.01", max_value=1, places=4)))
            for brand in range(draw(st.integers(min_value=0, max_value=4)))
        ),
        visits_planned=draw(counts),
        visits_completed=draw(counts),
        info_items=draw(counts),
        satisfaction_mean=draw(st.none() | st.decimals(min_value=1, max_value=5, places=2)),
        satisfaction_count=draw(counts),
        late_plans=draw(st.integers(min_value=0, max_value=10)),
        missing_plans=draw(st.integers(min_value=0, max_value=10)),
        overdue_complaints=draw(st.integers(min_value=0, max_value=10)),
        substantiated_complaints=draw(st.integers(min_value=0, max_value=10)),
        deductions=draw(st.dictionaries(st.sampled_from(CODES), points, max_size=3)),
        bonus=draw(st.decimals(min_value=-5, max_value=20, places=2)),
    )


@fast
@given(manager_inputs())
def test_items_and_total_stay_in_range_and_add_up(inputs):
    result = score(inputs, DEFAULT_SCHEME)
    for item in result.items:
        assert D(0) <= item.points <= item.max_points
        assert D(0) <= item.earned <= item.max_points
        assert item.points == item.points.quantize(D("0.01"))
        assert item.points.as_tuple().exponent == -2
    assert D(0) <= result.bonus <= DEFAULT_SCHEME.bonus_cap
    assert result.total == sum(item.points for item in result.items) + result.bonus
    assert D(0) <= result.total <= MAX_TOTAL


@fast
@given(
    manager_inputs(),
    st.sampled_from(["sales_boxes", "key_brand_boxes", "visits_completed", "info_items"]),
    st.integers(min_value=1, max_value=500),
)
def test_more_output_never_lowers_the_score(inputs, field, extra):
    more = replace(inputs, **{field: getattr(inputs, field) + extra})
    before, after = score(inputs, DEFAULT_SCHEME), score(more, DEFAULT_SCHEME)
    assert after.total >= before.total
    for old, new in zip(before.items, after.items, strict=True):
        assert new.points >= old.points


@fast
@given(manager_inputs(), st.sampled_from(CODES), points)
def test_deductions_never_raise_a_score(inputs, code, extra):
    deductions = dict(inputs.deductions)
    deductions[code] = deductions.get(code, D(0)) + extra
    more = replace(inputs, deductions=deductions)
    before, after = score(inputs, DEFAULT_SCHEME), score(more, DEFAULT_SCHEME)
    assert after.total <= before.total
    for old, new in zip(before.items, after.items, strict=True):
        assert new.points <= old.points


@fast
@given(
    manager_inputs(),
    st.sampled_from(
        ["late_plans", "missing_plans", "overdue_complaints", "substantiated_complaints"]
    ),
)
def test_more_discipline_incidents_never_raise_the_score(inputs, field):
    more = replace(inputs, **{field: getattr(inputs, field) + 1})
    assert score(more, DEFAULT_SCHEME).total <= score(inputs, DEFAULT_SCHEME).total
