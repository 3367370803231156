"""The audit trail of the assessment (django-auditlog).

Every save and delete of these models writes a ``LogEntry`` with the changed fields
(before → after); ``AuditlogMiddleware`` records the signed-in user as the actor.
``register()`` runs once, from ``AssessmentConfig.ready()``.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

AUDITED_MODELS = (
    "assessment.Inspection",
    "assessment.BonusPoint",
    "assessment.Appeal",
    "assessment.AssessmentScheme",
    "assessment.SchemeItem",
    "assessment.AssessmentMonth",
    "assessment.LateEntry",
    "assessment.ScoreAdjustment",
    "retailers.ClassOverride",
    "reports.TierProposal",
    "reports.ManagerTier",
    "reports.PayScheme",
    "reports.PayRun",
    "reports.PayAdjustment",
    "jobs.JobRun",  # queued by beat or a user, run again by a user (the job page's button)
)


def audited_models():
    return [apps.get_model(label) for label in AUDITED_MODELS]


def register():
    from auditlog.registry import auditlog

    for model in audited_models():
        if not auditlog.contains(model):
            auditlog.register(model)


# --- Reading the trail as a person would ---------------------------------------------------------
# The page shows field labels (not names), related rows by name (not id), local time (not UTC)
# and the action as a verb. Related rows are looked up once per model for the whole page.

ACTION_VERBS = {
    0: pgettext_lazy("audit action", "Created"),
    1: pgettext_lazy("audit action", "Changed"),
    2: pgettext_lazy("audit action", "Deleted"),
    3: pgettext_lazy("audit action", "Viewed"),
}
EMPTY = {"", "None", "null", "{}", "[]"}
# Labels of audited fields declared without a verbose name of their own (Django's made-up
# "published by" would show in English).
FIELD_LABELS = {
    "published_by": pgettext_lazy("audit field", "Published by"),
    "retailer": pgettext_lazy("audit field", "Retailer"),
    "visit": pgettext_lazy("audit field", "Visit"),
    "created_at": pgettext_lazy("audit field", "Created at"),
    "created_by": pgettext_lazy("audit field", "Created by"),
}
# Changes not worth a line: the row's own id (shown on creation).
HIDDEN_FIELDS = {"id"}


@dataclass
class AuditChange:
    label: str
    before: str
    after: str


@dataclass
class AuditRow:
    entry: object
    when: datetime
    actor: str
    model: str
    record: str
    verb: str
    changes: list = field(default_factory=list)


def _field(model, name):
    if model is None:
        return None
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    # A reverse relation (another model's foreign key) has no label of its own here.
    return model_field if hasattr(model_field, "verbose_name") else None


def _manager_field(model):
    """The ``manager`` foreign key of ``model`` (whose id leads the row's text), if any."""
    model_field = _field(model, "manager")
    return model_field if model_field is not None and model_field.many_to_one else None


def _record(entry, model, names: dict, items: dict) -> str:
    """The row's text as stored (``str(row)``), with the manager's name for their id and the
    names of item codes and choices (``three_star`` → 三星, ``pending`` → 待处理)."""
    words = entry.object_repr.split(" ")
    choices = {}
    if model is not None:
        for model_field in model._meta.concrete_fields:
            if model_field.choices:
                choices.update({str(k): str(v) for k, v in model_field.flatchoices})
    manager = _manager_field(model)
    if manager is not None and words and words[0].isdigit():
        words[0] = names.get((manager.related_model, words[0]), words[0])
    return " ".join(items.get(word) or choices.get(word) or word for word in words)


def _is_relation(model, name) -> bool:
    try:
        return model is not None and model._meta.get_field(name).is_relation
    except FieldDoesNotExist:
        return False


def _label(model_field, name) -> str:
    if model_field is None:
        return name
    if name in FIELD_LABELS and str(model_field.verbose_name) == name.replace("_", " "):
        return str(FIELD_LABELS[name])
    return str(capfirst(model_field.verbose_name))


def _pair(values):
    if isinstance(values, (list, tuple)) and len(values) == 2:
        return ["" if v is None else str(v) for v in values]
    return ["", str(values)]


def _related_name(obj) -> str:
    for attribute in ("name", "shop_name"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str) and value:
            return value
    return str(obj)


def _related_names(entries) -> dict:
    """{(related model, pk as text): name} for every foreign key value on the page."""
    wanted = defaultdict(set)
    for entry in entries:
        model = entry.content_type.model_class()
        manager = _manager_field(model)
        first = entry.object_repr.split(" ", 1)[0]
        if manager is not None and first.isdigit():
            wanted[manager.related_model].add(first)
        for name, values in (entry.changes_dict or {}).items():
            model_field = _field(model, name)
            if model_field is not None and model_field.many_to_one:
                for value in _pair(values):
                    if value not in EMPTY:
                        wanted[model_field.related_model].add(value)
    names = {}
    for related, pks in wanted.items():
        valid = [pk for pk in pks if pk.isdigit()]
        for obj in related._default_manager.filter(pk__in=valid):
            names[(related, str(obj.pk))] = _related_name(obj)
    return names


def _json_labels() -> dict:
    from reports.models import Tier
    from retailers.models import PriceClass

    labels = {str(value): str(label) for value, label in PriceClass.choices}
    labels.update({str(value): str(label) for value, label in Tier.choices})
    labels.update(
        {
            "coefficient": str(pgettext_lazy("audit field", "coefficient")),
            "allowance": str(pgettext_lazy("audit field", "allowance")),
        }
    )
    return labels


def _json_text(value: str) -> str:
    """A JSON value (a proposal's reasons, a scheme's rates) as a person reads it: the
    reasons' sentences, or "label value" pairs with classes and tiers by name."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return value
    if isinstance(data, dict) and isinstance(data.get("text"), list):
        return "；".join(str(line) for line in data["text"])
    if isinstance(data, dict) and isinstance(data.get("text"), str):
        return data["text"]  # an explanation (a 调整 line, a 补发/扣回): its sentence
    labels = _json_labels()

    def flat(item) -> str:
        if isinstance(item, dict):
            return "，".join(f"{labels.get(str(k), k)} {flat(v)}" for k, v in item.items())
        if isinstance(item, list):
            return "、".join(flat(v) for v in item)
        return "" if item is None else str(item)

    return flat(data)


def _value(model_field, value: str, names: dict, items: dict) -> str:
    if value in EMPTY:
        return ""
    if model_field is None:
        return value
    if isinstance(model_field, models.JSONField):
        return _json_text(value)
    if model_field.many_to_one:
        return names.get((model_field.related_model, value), f"#{value}")
    if model_field.name == "item_code" or (
        model_field.name == "code" and model_field.model._meta.model_name == "schemeitem"
    ):
        return items.get(value, value)
    if model_field.choices:
        return str({str(k): v for k, v in model_field.flatchoices}.get(value, value))
    if isinstance(model_field, models.BooleanField):
        return str(_("Yes") if value == "True" else _("No") if value == "False" else value)
    if isinstance(model_field, models.DateTimeField):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    return value


def audit_rows(entries) -> list[AuditRow]:
    """The log entries of a page, as rows a person reads (a fixed number of queries)."""
    from .selectors import item_names

    entries = list(entries)
    names = _related_names(entries)
    items = item_names() if entries else {}
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        changes = []
        for name, values in (entry.changes_dict or {}).items():
            model_field = _field(model, name)
            if name in HIDDEN_FIELDS:
                continue
            if model_field is None and _is_relation(model, name):
                continue  # another model's rows pointing here: not a value of this row
            before, after = _pair(values)
            before = _value(model_field, before, names, items)
            after = _value(model_field, after, names, items)
            if not before and not after:
                continue
            changes.append(AuditChange(label=_label(model_field, name), before=before, after=after))
        rows.append(
            AuditRow(
                entry=entry,
                when=timezone.localtime(entry.timestamp),
                actor=entry.actor.name if entry.actor else "",
                model=str(capfirst(model._meta.verbose_name)) if model else entry.content_type.name,
                record=_record(entry, model, names, items),
                verb=str(ACTION_VERBS.get(entry.action, entry.get_action_display())),
                changes=changes,
            )
        )
    return rows
