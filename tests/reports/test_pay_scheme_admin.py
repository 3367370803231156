"""Pay schemes: validated data, frozen once a run used them, copied into a new version."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from reports.models import PayRun, PayScheme

pytestmark = pytest.mark.django_db


def default():
    return PayScheme.objects.get(version=1)


def test_default_scheme_is_valid_and_bad_data_is_refused():
    scheme = default()
    scheme.full_clean()
    assert scheme.piece_rates == {"1": "40", "2": "30", "3": "20", "4": "12", "5": "8"}
    scheme.piece_rates = {"1": "40"}
    with pytest.raises(ValidationError):
        scheme.full_clean()


def test_admin_freezes_a_used_scheme_and_copies_it(client, org):
    PayRun.objects.create(
        company=org.company,
        month=date(2026, 9, 1),
        scheme=default(),
        prepared_by=org.hr,
        prepared_at="2026-10-05T10:00Z",
    )
    client.force_login(org.admin)
    page = client.get(reverse("admin:reports_payscheme_change", args=[default().pk]))
    assert page.status_code == 200 and 'name="cap"' not in page.content.decode()
    client.post(
        reverse("admin:reports_payscheme_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [default().pk]},
    )
    copy = PayScheme.objects.get(version=2)
    assert copy.tiers == default().tiers and copy.effective_from.day == 1
