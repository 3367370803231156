"""ABC classification as a pure function of a retailer's inputs and the rule set.

Nothing here touches the database: ``retailers.selectors.classification_inputs`` gathers
the inputs set-wise and ``retailers.services.classification_run`` stores the results.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
CLASS_ORDER = "ABC"  # best first


@dataclass(frozen=True)
class Rules:
    weight_scale: Decimal
    weight_environment: Decimal
    weight_potential: Decimal
    weight_compliance: Decimal
    weight_credit: Decimal
    environment_scores: dict
    potential_default: int
    minor_violation_points: int
    serious_violation_points: int
    credit_without_orders: int
    threshold_a: Decimal
    threshold_b: Decimal
    serious_violation_cap: str

    @classmethod
    def from_rule_set(cls, rule_set) -> "Rules":
        return cls(
            weight_scale=rule_set.weight_scale,
            weight_environment=rule_set.weight_environment,
            weight_potential=rule_set.weight_potential,
            weight_compliance=rule_set.weight_compliance,
            weight_credit=rule_set.weight_credit,
            environment_scores={
                key: Decimal(str(value)) for key, value in rule_set.environment_scores.items()
            },
            potential_default=rule_set.potential_default,
            minor_violation_points=rule_set.minor_violation_points,
            serious_violation_points=rule_set.serious_violation_points,
            credit_without_orders=rule_set.credit_without_orders,
            threshold_a=rule_set.threshold_a,
            threshold_b=rule_set.threshold_b,
            serious_violation_cap=rule_set.serious_violation_cap,
        )


@dataclass(frozen=True)
class RetailerInputs:
    """What one retailer's class depends on.

    ``scale_rank`` is SQL ``PERCENT_RANK()`` (0–1) of its average monthly volume among
    active retailers of the same market type; ``group_size`` is how many there are.
    """

    scale_rank: Decimal
    group_size: int
    environment: str
    potential: int | None
    minor_violations: int
    serious_violations: int
    orders: int
    orders_on_time: int


@dataclass(frozen=True)
class ClassResult:
    scale: Decimal
    environment: Decimal
    potential: Decimal
    compliance: Decimal
    credit: Decimal
    total: Decimal
    klass: str


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def worse_class(first: str, second: str) -> str:
    return max(first, second, key=CLASS_ORDER.index)


def classify(inputs: RetailerInputs, rules: Rules) -> ClassResult:
    scale = HUNDRED if inputs.group_size <= 1 else HUNDRED * Decimal(str(inputs.scale_rank))
    environment = rules.environment_scores.get(inputs.environment, Decimal(0))
    rating = inputs.potential if inputs.potential is not None else rules.potential_default
    potential = Decimal(rating - 1) / 4 * HUNDRED
    compliance = max(
        Decimal(0),
        HUNDRED
        - rules.minor_violation_points * inputs.minor_violations
        - rules.serious_violation_points * inputs.serious_violations,
    )
    if inputs.orders:
        credit = HUNDRED * Decimal(inputs.orders_on_time) / Decimal(inputs.orders)
    else:
        credit = Decimal(rules.credit_without_orders)
    total = _round(
        rules.weight_scale * scale
        + rules.weight_environment * environment
        + rules.weight_potential * potential
        + rules.weight_compliance * compliance
        + rules.weight_credit * credit
    )
    if total >= rules.threshold_a:
        klass = "A"
    elif total >= rules.threshold_b:
        klass = "B"
    else:
        klass = "C"
    if inputs.serious_violations:
        klass = worse_class(klass, rules.serious_violation_cap)
    return ClassResult(
        scale=_round(scale),
        environment=_round(environment),
        potential=_round(potential),
        compliance=_round(compliance),
        credit=_round(credit),
        total=total,
        klass=klass,
    )
