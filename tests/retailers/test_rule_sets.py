"""Classification rules are versioned data: the month decides the version, used ones freeze."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from retailers.models import ClassificationRecord, ClassificationRuleSet
from retailers.selectors import rule_set_for
from retailers.services import classification_run
from tests.factories import RetailerFactory

pytestmark = pytest.mark.django_db


def default():
    return ClassificationRuleSet.objects.get(version=1)


def copy_of(rule_set, **changes):
    rule_set.pk = None
    for name, value in {"version": 2, **changes}.items():
        setattr(rule_set, name, value)
    rule_set.full_clean()
    rule_set.save()
    return rule_set


def test_default_rule_set_from_the_data_migration():
    rules = default()
    assert rules.weights == {
        "scale": Decimal("0.400"),
        "environment": Decimal("0.150"),
        "potential": Decimal("0.150"),
        "compliance": Decimal("0.200"),
        "credit": Decimal("0.100"),
    }
    assert (rules.threshold_a, rules.threshold_b) == (Decimal(75), Decimal(50))
    assert rules.environment_scores["transport_hub"] == 90
    assert [rules.visits_per_month(k) for k in "ABC"] == [4, 2, 1]


def test_the_month_picks_the_version_in_force():
    v2 = copy_of(default(), effective_from=date(2026, 12, 1), threshold_a=Decimal(80))
    assert rule_set_for(date(2026, 11, 30)).version == 1
    assert rule_set_for(date(2026, 12, 1)) == v2
    assert rule_set_for(date(2027, 5, 1)) == v2


def test_weights_must_add_up_to_one_and_environments_be_complete():
    rules = default()
    rules.weight_credit = Decimal("0.2")
    with pytest.raises(ValidationError, match="五项权重之和必须为 1"):
        rules.full_clean()
    rules = default()
    rules.environment_scores = {"business_center": 100}
    with pytest.raises(ValidationError) as excinfo:
        rules.full_clean()
    assert "environment_scores" in excinfo.value.message_dict


def test_new_version_changes_the_class(org):
    retailer = RetailerFactory(territory=org.a.territory, environment="residential")
    classification_run(month=date(2026, 11, 1))
    assert ClassificationRecord.objects.get(month=date(2026, 11, 1)).final_class == "A"
    # Alone in its market type: scale 100 → 40 + 10.5 + 7.5 + 20 + 5 = 83.00.
    copy_of(default(), effective_from=date(2026, 12, 1), threshold_a=Decimal(90))
    classification_run(month=date(2026, 12, 1))
    record = ClassificationRecord.objects.get(month=date(2026, 12, 1))
    assert (record.total_score, record.final_class, record.rule_set.version) == (
        Decimal("83.00"),
        "B",
        2,
    )
    retailer.refresh_from_db()
    assert retailer.abc_class == "B"


def test_admin_freezes_a_used_version_and_copies_it(client, org):
    RetailerFactory(territory=org.a.territory)
    classification_run(month=date(2026, 11, 1))
    client.force_login(org.admin)
    url = reverse("admin:retailers_classificationruleset_change", args=[default().pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="threshold_a"' not in page.content.decode()  # read-only
    client.post(
        reverse("admin:retailers_classificationruleset_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [default().pk]},
    )
    copy = ClassificationRuleSet.objects.get(version=2)
    assert copy.effective_from.day == 1 and copy.threshold_a == Decimal(75)
    assert copy.note == "复制自第 1 版"
