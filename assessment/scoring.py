"""The monthly 百分制 score as a pure function of a manager's inputs and the scheme (DOMAIN §4).

Nothing here touches the database: the selectors gather ``ManagerInputs`` set-wise, the
scheme rows are turned into a ``SchemeSpec``, and the services store ``ScoreResult``.

Rules are data: every item names a *metric* from ``METRICS`` and carries ``params`` that
reference ``ManagerInputs`` field names; ``validate_params`` checks them against one JSON
schema per metric. Explanation texts are stored data (plain Chinese), not UI strings.
"""

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from jsonschema import Draft202012Validator

CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

METRICS = (
    "ratio_to_target",
    "mean_ratio_to_target",
    "count_quota",
    "scale_mean",
    "threshold_table",
    "deduction_per_count",
)


@dataclass(frozen=True)
class ItemSpec:
    code: str  # e.g. "sales"
    name: str  # e.g. "销量任务"
    max_points: Decimal  # e.g. Decimal("25")
    metric: str  # one of METRICS
    params: dict  # validated by validate_params(metric, params)


@dataclass(frozen=True)
class SchemeSpec:
    items: tuple[ItemSpec, ...]
    bonus_cap: Decimal  # Decimal("5")


@dataclass(frozen=True)
class ManagerInputs:
    sales_boxes: Decimal = Decimal(0)  # actual 箱 (exact, not rounded)
    sales_target_boxes: Decimal | None = None  # None or 0 → no target → 不适用
    key_brand_boxes: Decimal = Decimal(0)
    key_brand_target_boxes: Decimal | None = None
    # ((brand_id, observed_rate, target_rate), ...): only brands with a target
    new_brand_rates: tuple = ()
    visits_planned: int = 0
    visits_completed: int = 0
    info_items: int = 0
    satisfaction_mean: Decimal | None = None  # None → no survey → 不适用
    satisfaction_count: int = 0
    late_plans: int = 0
    missing_plans: int = 0
    overdue_complaints: int = 0
    substantiated_complaints: int = 0
    # item code → total inspection deduction points charged to it
    deductions: Mapping[str, Decimal] = field(default_factory=dict)
    # item code → inspection ids
    deduction_evidence: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    bonus: Decimal = Decimal(0)  # sum of the month's bonus points (before the cap)
    bonus_evidence: tuple[int, ...] = ()
    # brand id → name, for the explanation of the new-brand item (optional)
    brand_names: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class ItemResult:
    code: str
    name: str
    max_points: Decimal
    applicable: bool  # False → "不适用", full points earned
    earned: Decimal  # before deductions, unrounded
    deductions: Decimal
    points: Decimal  # max(0, earned − deductions) rounded to 0.01 HALF_UP
    explanation: dict  # JSON-serialisable, see _explanation()


@dataclass(frozen=True)
class ScoreResult:
    items: tuple[ItemResult, ...]
    bonus_raw: Decimal
    bonus: Decimal  # min(bonus_raw, cap), never negative, rounded 0.01
    total: Decimal  # sum(item.points) + bonus


# --- fields that params may reference -------------------------------------------------

DECIMAL_FIELDS = (
    "sales_boxes",
    "sales_target_boxes",
    "key_brand_boxes",
    "key_brand_target_boxes",
    "satisfaction_mean",
)
COUNT_FIELDS = (
    "visits_planned",
    "visits_completed",
    "info_items",
    "satisfaction_count",
    "late_plans",
    "missing_plans",
    "overdue_complaints",
    "substantiated_complaints",
)
SCALAR_FIELDS = DECIMAL_FIELDS + COUNT_FIELDS
RATE_FIELDS = ("new_brand_rates",)

# field → (label, unit) used in formulas and texts
FIELD_LABELS = {
    "sales_boxes": ("实际销量", "箱"),
    "sales_target_boxes": ("销量任务", "箱"),
    "key_brand_boxes": ("重点品牌实际销量", "箱"),
    "key_brand_target_boxes": ("重点品牌销量任务", "箱"),
    "satisfaction_mean": ("满意度平均分", "分"),
    "visits_planned": ("计划走访", "次"),
    "visits_completed": ("完成的计划走访", "次"),
    "info_items": ("有效信息", "条"),
    "satisfaction_count": ("满意度答卷", "份"),
    "late_plans": ("迟交计划", "次"),
    "missing_plans": ("缺交计划", "次"),
    "overdue_complaints": ("超时未处理投诉", "次"),
    "substantiated_complaints": ("查实投诉", "次"),
    "new_brand_rates": ("新品上柜率", ""),
}

# --- parameter schemas (one per metric) -----------------------------------------------

_SCALAR = {"enum": list(SCALAR_FIELDS)}
_NUMBER = {"type": "number"}

PARAM_SCHEMAS = {
    "ratio_to_target": {
        "type": "object",
        "properties": {"actual": _SCALAR, "target": _SCALAR},
        "required": ["actual", "target"],
        "additionalProperties": False,
    },
    "mean_ratio_to_target": {
        "type": "object",
        "properties": {"rates": {"enum": list(RATE_FIELDS)}},
        "required": ["rates"],
        "additionalProperties": False,
    },
    "count_quota": {
        "type": "object",
        "properties": {
            "count": _SCALAR,
            "quota": {"type": "integer", "exclusiveMinimum": 0},
            "quota_field": _SCALAR,
        },
        "required": ["count"],
        "additionalProperties": False,
    },
    "scale_mean": {
        "type": "object",
        "properties": {"mean": _SCALAR, "low": _NUMBER, "high": _NUMBER},
        "required": ["mean", "low", "high"],
        "additionalProperties": False,
    },
    "threshold_table": {
        "type": "object",
        "properties": {
            "value": _SCALAR,
            "table": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "array",
                    "prefixItems": [_NUMBER, {"type": "number", "minimum": 0}],
                    "minItems": 2,
                    "maxItems": 2,
                },
            },
        },
        "required": ["value", "table"],
        "additionalProperties": False,
    },
    "deduction_per_count": {
        "type": "object",
        "properties": {
            "per": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"enum": list(COUNT_FIELDS)},
                "additionalProperties": {"type": "number", "minimum": 0},
            }
        },
        "required": ["per"],
        "additionalProperties": False,
    },
}
_VALIDATORS = {metric: Draft202012Validator(schema) for metric, schema in PARAM_SCHEMAS.items()}


def _error_path(error) -> str:
    path = "params"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _error_message(error) -> str:
    path = _error_path(error)
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "enum":
        return f"{path}: 未知字段 {instance!r}（可选：{', '.join(expected)}）"
    if kind == "required":
        missing = [key for key in expected if key not in instance]
        return f"{path}: 缺少参数 {', '.join(missing)}"
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        extra = [key for key in instance if key not in known]
        return f"{path}: 不支持的参数 {', '.join(map(str, extra))}"
    if kind == "exclusiveMinimum":
        return f"{path}: 必须大于 {expected}，实际为 {instance!r}"
    if kind == "minimum":
        return f"{path}: 不能小于 {expected}，实际为 {instance!r}"
    if kind == "type":
        return f"{path}: 应为 {expected} 类型，实际为 {instance!r}"
    if kind in ("minItems", "maxItems") and error.schema.get("maxItems") == 2:
        return f"{path}: 应为 [门槛, 分数] 两项，实际为 {instance!r}"
    if kind in ("minItems", "minProperties"):
        return f"{path}: 不能为空"
    return f"{path}: {error.message}"


def validate_params(metric: str, params: dict) -> list[str]:
    """Return [] when ``params`` are valid for ``metric``, otherwise readable messages."""
    if metric not in PARAM_SCHEMAS:
        return [f"未知的指标类型 {metric!r}（可选：{', '.join(METRICS)}）"]
    errors = sorted(_VALIDATORS[metric].iter_errors(params), key=lambda e: list(e.absolute_path))
    messages = [_error_message(error) for error in errors]
    if messages:
        return messages
    if metric == "count_quota" and ("quota" in params) == ("quota_field" in params):
        messages.append("params: quota（固定定额）与 quota_field（定额字段）须且只能给出一个")
    if metric == "scale_mean" and params["low"] >= params["high"]:
        messages.append(
            f"params: low 必须小于 high，实际为 low={params['low']}, high={params['high']}"
        )
    if metric == "threshold_table":
        thresholds = [row[0] for row in params["table"]]
        if any(b <= a for a, b in zip(thresholds, thresholds[1:], strict=False)):
            messages.append(f"params.table: 门槛必须严格递增，实际为 {thresholds}")
    return messages


# --- helpers --------------------------------------------------------------------------


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _dec(value) -> Decimal:
    """Decimal from a Decimal, int or JSON number (floats through their shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _plain(value) -> str:
    """Exact value without trailing zeros: Decimal('25.00') → '25'."""
    if value is None:
        return "无"
    return f"{_dec(value).normalize():f}"


def _num(value) -> str:
    """Value for formulas: counts as integers, other quantities to 2 decimals."""
    if isinstance(value, int):
        return str(value)
    return f"{_round(_dec(value)):f}"


def _pct(value: Decimal) -> str:
    return f"{_round(value * HUNDRED):f}%"


def _quantity(field_name: str, value) -> str:
    label, unit = FIELD_LABELS[field_name]
    return f"{label} {_num(value)} {unit}".rstrip()


@dataclass(frozen=True)
class _Earned:
    applicable: bool
    earned: Decimal
    formula: str
    detail: str  # first half of the sentence: what was measured / why 不适用
    inputs: dict
    evidence: dict = field(default_factory=dict)


def _not_applicable(max_points: Decimal, reason: str, inputs: dict) -> _Earned:
    return _Earned(
        applicable=False,
        earned=max_points,
        formula=f"不适用（{reason}），按满分 {_plain(max_points)} 计",
        detail=reason,
        inputs=inputs,
    )


# --- metrics --------------------------------------------------------------------------


def _ratio_to_target(inputs: ManagerInputs, max_points: Decimal, params: dict) -> _Earned:
    actual_field, target_field = params["actual"], params["target"]
    actual = _dec(getattr(inputs, actual_field) or 0)
    target = getattr(inputs, target_field)
    data = {actual_field: _plain(actual), target_field: _plain(target)}
    if target is None or _dec(target) <= 0:
        return _not_applicable(max_points, f"未设定{FIELD_LABELS[target_field][0]}", data)
    target = _dec(target)
    earned = min(max(max_points * actual / target, ZERO), max_points)
    return _Earned(
        applicable=True,
        earned=earned,
        formula=(
            f"{_plain(max_points)} × {_quantity(actual_field, actual)} ÷ "
            f"{_quantity(target_field, target)}（完成率最多按 100% 计）"
        ),
        detail=(
            f"{_quantity(actual_field, actual)}，{_quantity(target_field, target)}，"
            f"完成率 {_pct(actual / target)}"
        ),
        inputs=data,
    )


def _mean_ratio_to_target(inputs: ManagerInputs, max_points: Decimal, params: dict) -> _Earned:
    pairs = [
        (brand, _dec(observed), _dec(target))
        for brand, observed, target in getattr(inputs, params["rates"])
        if target is not None and _dec(target) > 0
    ]
    data = {}
    for brand, observed, target in pairs:
        data[f"brand_{brand}.observed_rate"] = _plain(observed)
        data[f"brand_{brand}.target_rate"] = _plain(target)
    if not pairs:
        return _not_applicable(max_points, "没有设定目标上柜率的新品", data)
    ratios = [min(max(observed / target, ZERO), ONE) for _, observed, target in pairs]
    earned = max_points * sum(ratios, ZERO) / Decimal(len(ratios))
    terms = " + ".join(f"{_pct(o)} ÷ {_pct(t)}" for _, o, t in pairs)
    names = inputs.brand_names
    brands = "；".join(
        f"{names.get(b, f'品牌 {b}')}：上柜率 {_pct(o)}，目标 {_pct(t)}" for b, o, t in pairs
    )
    return _Earned(
        applicable=True,
        earned=earned,
        formula=f"{_plain(max_points)} × ({terms}) ÷ {len(pairs)}（每个新品最多按 100% 计）",
        detail=f"{len(pairs)} 个有目标的新品（{brands}）",
        inputs=data,
        evidence={"brands": [brand for brand, _, _ in pairs]},
    )


def _count_quota(inputs: ManagerInputs, max_points: Decimal, params: dict) -> _Earned:
    count_field = params["count"]
    count = getattr(inputs, count_field) or 0
    data = {count_field: _plain(count)}
    if "quota_field" in params:
        quota_field = params["quota_field"]
        quota = getattr(inputs, quota_field)
        data[quota_field] = _plain(quota)
        if quota is None or _dec(quota) <= 0:
            label = FIELD_LABELS[quota_field][0]
            return _not_applicable(max_points, f"没有{label}", data)
        quota_text = _quantity(quota_field, quota)
    else:
        quota = params["quota"]
        data["quota"] = _plain(quota)
        quota_text = f"定额 {_plain(quota)}"
    quota = _dec(quota)
    earned = min(max(max_points * _dec(count) / quota, ZERO), max_points)
    return _Earned(
        applicable=True,
        earned=earned,
        formula=(
            f"{_plain(max_points)} × {_quantity(count_field, count)} ÷ {quota_text}"
            "（最多按 100% 计）"
        ),
        detail=f"{_quantity(count_field, count)}，{quota_text}",
        inputs=data,
    )


def _scale_mean(inputs: ManagerInputs, max_points: Decimal, params: dict) -> _Earned:
    mean_field = params["mean"]
    low, high = _dec(params["low"]), _dec(params["high"])
    mean = getattr(inputs, mean_field)
    data = {mean_field: _plain(mean), "low": _plain(low), "high": _plain(high)}
    if mean_field == "satisfaction_mean":
        data["satisfaction_count"] = _plain(inputs.satisfaction_count)
    if mean is None:
        return _not_applicable(max_points, f"本月没有{FIELD_LABELS[mean_field][0]}数据", data)
    mean = _dec(mean)
    share = min(max((mean - low) / (high - low), ZERO), ONE)
    detail = f"{_quantity(mean_field, mean)}（{_plain(low)}–{_plain(high)} 分制）"
    if mean_field == "satisfaction_mean":
        detail += f"，共 {inputs.satisfaction_count} 份答卷"
    return _Earned(
        applicable=True,
        earned=max_points * share,
        formula=(
            f"{_plain(max_points)} × ({_quantity(mean_field, mean)} − {_plain(low)}) ÷ "
            f"({_plain(high)} − {_plain(low)})，限定在 0 至 1 之间"
        ),
        detail=detail,
        inputs=data,
    )


def _threshold_table(inputs: ManagerInputs, max_points: Decimal, params: dict) -> _Earned:
    value_field = params["value"]
    value = getattr(inputs, value_field)
    table = [(_dec(threshold), _dec(points)) for threshold, points in params["table"]]
    table_text = "，".join(f"≥{_plain(t)} 得 {_plain(p)}" for t, p in table)
    data = {value_field: _plain(value), "table": table_text}
    if value is None:
        return _not_applicable(max_points, f"本月没有{FIELD_LABELS[value_field][0]}数据", data)
    value = _dec(value)
    reached = [(threshold, points) for threshold, points in table if threshold <= value]
    if reached:
        threshold, points = reached[-1]
        earned = min(points, max_points)
        step = f"达到门槛 {_plain(threshold)}，得 {_plain(points)}"
    else:
        earned = ZERO
        step = f"未达到最低门槛 {_plain(table[0][0])}，得 0"
    return _Earned(
        applicable=True,
        earned=earned,
        formula=(
            f"档位表（{table_text}）：{_quantity(value_field, value)} {step}"
            f"（不超过满分 {_plain(max_points)}）"
        ),
        detail=f"{_quantity(value_field, value)}，{step}",
        inputs=data,
    )


def _deduction_per_count(inputs: ManagerInputs, max_points: Decimal, params: dict) -> _Earned:
    per = {name: _dec(points) for name, points in params["per"].items()}
    counts = {name: getattr(inputs, name) or 0 for name in per}
    charged = sum((Decimal(counts[name]) * points for name, points in per.items()), ZERO)
    earned = max(max_points - charged, ZERO)
    terms = "".join(
        f" − {_quantity(name, counts[name])} × {_plain(points)}" for name, points in per.items()
    )
    found = [
        f"{_quantity(name, counts[name])}扣 {_plain(Decimal(counts[name]) * points)} 分"
        for name, points in per.items()
        if counts[name]
    ]
    return _Earned(
        applicable=True,
        earned=earned,
        formula=f"{_plain(max_points)}{terms}（最低 0 分）",
        detail="，".join(found) if found else "没有违纪记录",
        inputs={name: _plain(count) for name, count in counts.items()},
    )


_METRIC_FUNCTIONS = {
    "ratio_to_target": _ratio_to_target,
    "mean_ratio_to_target": _mean_ratio_to_target,
    "count_quota": _count_quota,
    "scale_mean": _scale_mean,
    "threshold_table": _threshold_table,
    "deduction_per_count": _deduction_per_count,
}


# --- scoring --------------------------------------------------------------------------


def check_scheme(scheme: SchemeSpec) -> None:
    """Raise ValueError when the scheme itself is invalid (duplicate codes, parameters that
    do not fit their metric, a negative maximum). A close checks it once, not per manager."""
    problems = []
    codes = [item.code for item in scheme.items]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        problems.append(f"重复的考核项代码：{', '.join(duplicates)}")
    for item in scheme.items:
        problems += [f"{item.code}: {m}" for m in validate_params(item.metric, item.params)]
        if item.max_points < 0:
            problems.append(f"{item.code}: 满分不能为负")
    if problems:
        raise ValueError("；".join(problems))


def _check_deductions(scheme: SchemeSpec, inputs: ManagerInputs) -> None:
    unknown = sorted(set(inputs.deductions) - {item.code for item in scheme.items})
    if unknown:
        # A deduction charged to an item the scheme does not have would silently vanish.
        raise ValueError(f"扣分记到了方案中不存在的考核项：{', '.join(unknown)}")


def _score_item(item: ItemSpec, inputs: ManagerInputs) -> ItemResult:
    max_points = _dec(item.max_points)
    result = _METRIC_FUNCTIONS[item.metric](inputs, max_points, item.params)
    deductions = max(_dec(inputs.deductions.get(item.code, ZERO)), ZERO)
    points = _round(max(result.earned - deductions, ZERO))
    formula = result.formula
    if deductions:
        formula = f"{formula} − 督察扣分 {_plain(deductions)}（最低 0 分）"
    if result.applicable:
        text = f"{item.name}：{result.detail}，得 {_num(result.earned)} 分"
    else:
        text = f"{item.name}：{result.detail}，不适用，按满分 {_plain(max_points)} 分计"
    if deductions:
        text += f"，督察扣 {_plain(deductions)} 分"
    text += f"，最终 {points:f} 分（满分 {_plain(max_points)} 分）。"
    return ItemResult(
        code=item.code,
        name=item.name,
        max_points=max_points,
        applicable=result.applicable,
        earned=result.earned,
        deductions=deductions,
        points=points,
        explanation={
            "formula": formula,
            "inputs": {**result.inputs, "deductions": _plain(deductions)},
            "evidence": {
                "inspections": list(inputs.deduction_evidence.get(item.code, ())),
                **result.evidence,
            },
            "not_applicable": not result.applicable,
            "text": text,
        },
    )


def score(
    inputs: ManagerInputs, scheme: SchemeSpec, *, scheme_checked: bool = False
) -> ScoreResult:
    """Score one manager's month. Raises ValueError for an invalid scheme (not checked
    again when the caller has already run ``check_scheme`` on it: ``scheme_checked``)."""
    if not scheme_checked:
        check_scheme(scheme)
    _check_deductions(scheme, inputs)
    items = tuple(_score_item(item, inputs) for item in scheme.items)
    bonus_raw = _dec(inputs.bonus)
    bonus = _round(max(min(bonus_raw, _dec(scheme.bonus_cap)), ZERO))
    total = sum((item.points for item in items), ZERO) + bonus
    return ScoreResult(items=items, bonus_raw=bonus_raw, bonus=bonus, total=total)


# --- the DOMAIN §4 default scheme -------------------------------------------------------

DEFAULT_BONUS_CAP = Decimal("5")

DEFAULT_ITEMS = [
    {
        "code": "sales",
        "name": "销量任务",
        "max_points": Decimal("25"),
        "metric": "ratio_to_target",
        "params": {"actual": "sales_boxes", "target": "sales_target_boxes"},
    },
    {
        "code": "key_brand",
        "name": "重点品牌销量",
        "max_points": Decimal("10"),
        "metric": "ratio_to_target",
        "params": {"actual": "key_brand_boxes", "target": "key_brand_target_boxes"},
    },
    {
        "code": "new_shelf",
        "name": "新品上柜率",
        "max_points": Decimal("15"),
        "metric": "mean_ratio_to_target",
        "params": {"rates": "new_brand_rates"},
    },
    {
        "code": "visits",
        "name": "走访计划完成率",
        "max_points": Decimal("15"),
        "metric": "count_quota",
        "params": {"count": "visits_completed", "quota_field": "visits_planned"},
    },
    {
        "code": "info",
        "name": "信息反馈",
        "max_points": Decimal("10"),
        "metric": "count_quota",
        "params": {"count": "info_items", "quota": 8},
    },
    {
        "code": "satisfaction",
        "name": "客户满意度",
        "max_points": Decimal("10"),
        "metric": "scale_mean",
        "params": {"mean": "satisfaction_mean", "low": 1, "high": 5},
    },
    {
        "code": "discipline",
        "name": "服务规范与工作纪律",
        "max_points": Decimal("15"),
        "metric": "deduction_per_count",
        "params": {
            "per": {
                "late_plans": 1,
                "missing_plans": 2,
                "overdue_complaints": 1,
                "substantiated_complaints": 2,
            }
        },
    },
]

DEFAULT_SCHEME = SchemeSpec(
    items=tuple(ItemSpec(**copy.deepcopy(row)) for row in DEFAULT_ITEMS),
    bonus_cap=DEFAULT_BONUS_CAP,
)
