"""The pay rules (弹性工资制、计件工资加考核) as pure functions of their inputs. DOMAIN.md §5–§6.

No database here: ``PayRules`` is built from a ``PayScheme`` row (or from a what-if draft) and
``pay_line`` computes one manager's bonus:

    piece pay = Σ over price classes (条 sold ÷ 250 × rate per 箱)          (exact Decimal)
    score coefficient = score ÷ 100 (linear, may exceed 1 with bonus points)
                        or, banded, the coefficient of the highest band whose lowest score ≤ score
    bonus = piece pay × score coefficient × tier coefficient, rounded to 0.01 (ROUND_HALF_UP)
            + tier allowance
    then, when configured, the WHOLE bonus (allowance included) is raised to the floor and
    lowered to the cap (none by default: 下不保底, 上不封顶).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from accounts.templatetags import formats as show

CARTONS_PER_BOX = 250
PRICE_CLASSES = (1, 2, 3, 4, 5)
TIERS = ("probation", "one_star", "two_star", "three_star", "four_star", "five_star")
TIER_NAMES_ZH = {
    "probation": "见习",
    "one_star": "一星",
    "two_star": "二星",
    "three_star": "三星",
    "four_star": "四星",
    "five_star": "五星",
}
CLASS_NAMES_ZH = {1: "一类", 2: "二类", 3: "三类", 4: "四类", 5: "五类"}
SCORE_MODES = ("linear", "banded")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def _dec(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


@dataclass(frozen=True)
class PayRules:
    """One version of the pay rules, ready for ``pay_line``."""

    piece_rates: dict[int, Decimal]
    tiers: dict[str, tuple[Decimal, Decimal]]  # tier → (coefficient, allowance)
    score_mode: str = "linear"
    score_bands: tuple[tuple[Decimal, Decimal], ...] = ()  # (lowest score, coefficient)
    floor: Decimal | None = None
    cap: Decimal | None = None

    @classmethod
    def from_data(
        cls, *, piece_rates, score_mode, score_bands, tiers, floor=None, cap=None
    ) -> "PayRules":
        """From the JSON shapes stored on ``PayScheme`` (string keys, string/number values)."""
        return cls(
            piece_rates={int(k): _dec(v) for k, v in piece_rates.items()},
            score_mode=score_mode,
            score_bands=tuple(sorted((_dec(low), _dec(coef)) for low, coef in (score_bands or []))),
            floor=None if floor is None else _dec(floor),
            cap=None if cap is None else _dec(cap),
            tiers={
                tier: (_dec(values["coefficient"]), _dec(values["allowance"]))
                for tier, values in tiers.items()
            },
        )

    @classmethod
    def from_scheme(cls, scheme) -> "PayRules":
        return cls.from_data(
            piece_rates=scheme.piece_rates,
            score_mode=scheme.score_mode,
            score_bands=scheme.score_bands,
            tiers=scheme.tiers,
            floor=scheme.floor,
            cap=scheme.cap,
        )

    def to_data(self) -> dict:
        """The JSON shapes of ``PayScheme`` (inverse of ``from_data``)."""
        return {
            "piece_rates": {str(k): str(v) for k, v in sorted(self.piece_rates.items())},
            "score_mode": self.score_mode,
            "score_bands": [[str(low), str(coef)] for low, coef in self.score_bands],
            "tiers": {
                tier: {"coefficient": str(coef), "allowance": str(allowance)}
                for tier, (coef, allowance) in self.tiers.items()
            },
            "floor": None if self.floor is None else str(self.floor),
            "cap": None if self.cap is None else str(self.cap),
        }


@dataclass(frozen=True)
class PayResult:
    piece_pay: Decimal
    score_coefficient: Decimal
    tier_coefficient: Decimal
    allowance: Decimal
    bonus: Decimal
    explanation: dict = field(default_factory=dict)


def validate_scheme(piece_rates, score_mode, score_bands, tiers, floor=None, cap=None) -> list[str]:
    """Every problem with a scheme's data (empty list: valid)."""
    errors = []

    def number(value, label):
        try:
            result = _dec(value)
        except (InvalidOperation, TypeError, ValueError):
            errors.append(_("%(field)s is not a number.") % {"field": label})
            return None
        if not result.is_finite():
            errors.append(_("%(field)s is not a number.") % {"field": label})
            return None
        return result

    if not isinstance(piece_rates, dict):
        errors.append(_("Piece rates must map each price class to a rate."))
        piece_rates = {}
    keys = {str(k) for k in piece_rates}
    expected = {str(c) for c in PRICE_CLASSES}
    if keys != expected:
        errors.append(_("Piece rates must be given for price classes 1 to 5, and only those."))
    for key, value in piece_rates.items():
        rate = number(value, _("Rate of class %(n)s") % {"n": key})
        if rate is not None and rate < 0:
            errors.append(_("The rate of class %(n)s must not be negative.") % {"n": key})

    if score_mode not in SCORE_MODES:
        errors.append(_("Unknown score mode."))
    bands = []
    for index, band in enumerate(score_bands or [], start=1):
        if not isinstance(band, list | tuple) or len(band) != 2:
            errors.append(
                _("Band %(n)s must be a pair (lowest score, coefficient).") % {"n": index}
            )
            continue
        low = number(band[0], _("Lowest score of band %(n)s") % {"n": index})
        coef = number(band[1], _("Coefficient of band %(n)s") % {"n": index})
        if low is not None and coef is not None:
            if coef < 0:
                errors.append(_("The coefficient of band %(n)s is negative.") % {"n": index})
            bands.append(low)
    if any(b >= a for a, b in zip(bands[1:], bands, strict=False)):
        errors.append(_("Score bands must be in strictly ascending order of lowest score."))
    if score_mode == "banded" and not score_bands:
        errors.append(_("The banded score mode needs at least one band."))

    if not isinstance(tiers, dict):
        errors.append(_("Tiers must map each tier to its coefficient and allowance."))
        tiers = {}
    if set(tiers) != set(TIERS):
        errors.append(_("All six tiers (probation to five stars) must be given, and only those."))
    for tier, values in tiers.items():
        if not isinstance(values, dict) or set(values) != {"coefficient", "allowance"}:
            errors.append(_("Tier %(tier)s needs a coefficient and an allowance.") % {"tier": tier})
            continue
        for key in ("coefficient", "allowance"):
            value = number(values[key], f"{tier} {key}")
            if value is not None and value < 0:
                errors.append(
                    _("The %(key)s of tier %(tier)s must not be negative.")
                    % {"key": key, "tier": tier}
                )

    low = None if floor in (None, "") else number(floor, _("Floor"))
    high = None if cap in (None, "") else number(cap, _("Cap"))
    if low is not None and high is not None and high < low:
        errors.append(_("The cap must not be below the floor."))
    return errors


def score_coefficient(score: Decimal, rules: PayRules) -> Decimal:
    score = _dec(score)
    if rules.score_mode == "banded":
        coefficient = Decimal(0)
        for lowest, band_coefficient in rules.score_bands:
            if lowest <= score:
                coefficient = band_coefficient
        return coefficient
    return score / HUNDRED


def _fmt(value: Decimal) -> str:
    """A plain decimal string, without exponent or trailing zeros (400, 0.95, 15.984)."""
    return format(value.normalize(), "f")


def pay_line(*, cartons_by_class: dict[int, int], score: Decimal, tier: str, rules: PayRules):
    """One manager's piece pay and bonus, with the explanation shown to them."""
    score = _dec(score)
    by_class = {}
    piece = Decimal(0)
    for price_class in PRICE_CLASSES:
        cartons = int(cartons_by_class.get(price_class, 0) or 0)
        rate = rules.piece_rates.get(price_class, Decimal(0))
        amount = Decimal(cartons) * rate / CARTONS_PER_BOX
        piece += amount
        by_class[str(price_class)] = {
            "cartons": cartons,
            "boxes": _fmt(Decimal(cartons) / CARTONS_PER_BOX),
            "rate": _fmt(rate),
            "amount": _fmt(amount),
        }
    s_coef = score_coefficient(score, rules)
    t_coef, allowance = rules.tiers[tier]
    scored = (piece * s_coef * t_coef).quantize(CENT, rounding=ROUND_HALF_UP)
    raw_bonus = scored + allowance
    bonus = raw_bonus
    bounded = None
    if rules.floor is not None and bonus < rules.floor:
        bonus, bounded = rules.floor, "floor"
    if rules.cap is not None and bonus > rules.cap:
        bonus, bounded = rules.cap, "cap"
    bonus = bonus.quantize(CENT, rounding=ROUND_HALF_UP)

    pieces = " + ".join(
        f"{CLASS_NAMES_ZH[int(c)]} {show.boxes(row['cartons'])} 箱 × "
        f"{show.money(rules.piece_rates.get(int(c), 0))} 元"
        for c, row in by_class.items()
        if row["cartons"]
    )
    score_shown = show.pct(s_coef, 2)
    if rules.score_mode == "banded":
        score_text = f"考核系数 {score_shown}（得分 {score} 所在档）"
    else:
        score_text = f"考核系数 = 得分 {score} ÷ 100 = {score_shown}"
    text = (
        f"计件工资 = {pieces or '0'} = {show.money(piece)} 元；{score_text}；"
        f"等级 {TIER_NAMES_ZH.get(tier, tier)}：系数 {show.num(t_coef, 2)}，"
        f"津贴 {show.money(allowance)} 元；应发奖金 = 计件工资 {show.money(piece)} 元 × "
        f"考核系数 {score_shown} × 等级系数 {show.num(t_coef, 2)}，四舍五入到分得 "
        f"{show.money(scored)} 元，加等级津贴 {show.money(allowance)} 元，"
        f"共 {show.money(raw_bonus)} 元"
    )
    if bounded == "floor":
        text += f"；低于保底 {show.money(rules.floor)} 元，按保底发放"
    elif bounded == "cap":
        text += f"；高于封顶 {show.money(rules.cap)} 元，按封顶发放"
    explanation = {
        "formula": "应发奖金 = 计件工资 × 考核系数 × 等级系数（四舍五入到分）+ 等级津贴",
        "text": text,
        "by_class": by_class,
        "piece_pay": _fmt(piece),
        "score": str(score),
        "score_mode": rules.score_mode,
        "score_coefficient": _fmt(s_coef),
        "tier": tier,
        "tier_coefficient": _fmt(t_coef),
        "allowance": f"{allowance:.2f}",
        "scored_pay": f"{scored:.2f}",
        "bonus_before_bounds": f"{raw_bonus:.2f}",
        "bounded_by": bounded,
        "bonus": f"{bonus:.2f}",
    }
    return PayResult(
        piece_pay=piece,
        score_coefficient=s_coef,
        tier_coefficient=t_coef,
        allowance=allowance,
        bonus=bonus,
        explanation=explanation,
    )


def piece_pay(cartons_by_class: dict[int, int], rules: PayRules) -> Decimal:
    """Σ over price classes of the class's net 条 floored at 0 ÷ 250 × its rate (exact)."""
    return sum(
        (
            Decimal(max(0, int(cartons_by_class.get(c, 0) or 0)))
            * rules.piece_rates.get(c, Decimal(0))
            / CARTONS_PER_BOX
            for c in PRICE_CLASSES
        ),
        Decimal(0),
    )


@dataclass(frozen=True)
class LatePay:
    late_piece_pay: Decimal
    amount: Decimal  # this run's 补发 (+) or 扣回 (−)
    explanation: dict


def late_pay(
    *,
    month,
    with_late: dict[int, int],
    as_published: dict[int, int],
    score_coefficient: Decimal,
    tier_coefficient: Decimal,
    paid_before: Decimal,
    rules: PayRules,
) -> LatePay:
    """补发/扣回 of one manager for the published ``month`` (DOMAIN §4, §10.7): the piece pay
    of the month's floored nets with the lines that arrived after publication − without them,
    × the month's score coefficient as published × its tier coefficient, rounded once to
    0.01 (ROUND_HALF_UP on the absolute value: −1.005 → −1.01), less what earlier runs
    already paid (+) or recovered (−) for that month."""
    before, after = piece_pay(as_published, rules), piece_pay(with_late, rules)
    late = after - before
    total = (late * score_coefficient * tier_coefficient).quantize(CENT, rounding=ROUND_HALF_UP)
    amount = total - paid_before
    name = "补发" if amount >= 0 else "扣回"
    text = (
        f"{name}（{month:%Y-%m}）：{month.year}年{month.month}月发布后到达的订单/退货使当月计件"
        f"工资（各价类净量，负数按 0 计）由 {show.money(before)} 元变为 {show.money(after)} 元，"
        f"相差 {show.money(late)} 元；× 当月发布的考核系数 {show.pct(score_coefficient, 2)}"
        f" × 等级系数 {show.num(tier_coefficient, 2)}，四舍五入到分得 {show.money(total)} 元"
    )
    if paid_before:
        text += f"，此前已计 {show.money(paid_before)} 元，本次 {show.money(amount)} 元"
    text += "。"
    return LatePay(
        late_piece_pay=late,
        amount=amount,
        explanation={
            "text": text,
            "piece_pay_as_published": _fmt(before),
            "piece_pay_with_late": _fmt(after),
            "late_piece_pay": _fmt(late),
            "score_coefficient": _fmt(score_coefficient),
            "tier_coefficient": _fmt(tier_coefficient),
            "rounded": f"{total:.2f}",
            "paid_before": f"{paid_before:.2f}",
            "amount": f"{amount:.2f}",
        },
    )
