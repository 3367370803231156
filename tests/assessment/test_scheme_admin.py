"""Schemes are versioned data: the month picks the version; a used version is frozen."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessment.models import AssessmentScheme, SchemeItem
from assessment.selectors import scheme_for, scheme_spec
from assessment.services import month_close

pytestmark = pytest.mark.django_db


def default():
    return AssessmentScheme.objects.get(version=1)


def test_default_scheme_from_the_migration():
    spec = scheme_spec(default())
    assert [(i.code, i.max_points) for i in spec.items] == [
        ("sales", Decimal("25.00")),
        ("key_brand", Decimal("10.00")),
        ("new_shelf", Decimal("15.00")),
        ("visits", Decimal("15.00")),
        ("info", Decimal("10.00")),
        ("satisfaction", Decimal("10.00")),
        ("discipline", Decimal("15.00")),
    ]
    assert sum(i.max_points for i in spec.items) == 100
    assert spec.bonus_cap == Decimal("5.00")
    for item in default().items.all():
        item.full_clean()


def test_item_params_are_validated():
    item = default().items.get(code="info")
    item.params = {"count": "info_items", "quota": 0}
    with pytest.raises(ValidationError) as excinfo:
        item.full_clean()
    assert "params" in excinfo.value.message_dict


def test_admin_copies_a_used_scheme_and_the_month_picks_the_version(client, org):
    month_close(month=date(2026, 10, 1))
    client.force_login(org.admin)
    page = client.get(reverse("admin:assessment_assessmentscheme_change", args=[default().pk]))
    assert 'name="bonus_cap"' not in page.content.decode()  # frozen once used
    client.post(
        reverse("admin:assessment_assessmentscheme_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [default().pk]},
    )
    copy = AssessmentScheme.objects.get(version=2)
    assert copy.items.count() == 7 and copy.effective_from.day == 1
    SchemeItem.objects.filter(scheme=copy, code="info").update(max_points=Decimal("20"))
    assert scheme_for(copy.effective_from) == copy
    assert scheme_for(date(2026, 10, 1)) == default()
