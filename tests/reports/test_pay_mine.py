"""My pay (a customer manager's phone page): figures as money, 箱 and percentages, price
classes by name, the explanation in words; a month without an approved line says why."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from reports.models import PayRun
from reports.services import pay as services
from tests.factories import UserFactory
from tests.reports.test_pay_run import OCT, october  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
URL = reverse("reports:my_pay")


def page(client, user, query="", language="zh-hans"):
    client.force_login(user)
    with translation.override(language):
        response = client.get(URL + query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response


def test_the_latest_approved_line_in_formatted_figures(client, org, october):  # noqa: F811
    run = services.pay_run_prepare(month=OCT, user=org.hr)
    services.pay_run_approve(run=run, user=org.admin)
    response = page(client, org.a.cm)
    assert response.context["line"].run == run and response.context["gap"] is None
    body = response.content.decode()
    # A1: 2,500 条 一类 = 10.00 箱 × 40 = 400; 333 条 四类 = 1.33 箱 × 12 = 15.98;
    # 415.98 × 88.00% × 1.30 → 475.89 + 1,000.00 = 1,475.89.
    assert '<div class="display-6 fw-bold" data-testid="bonus">1,475.89</div>' in body
    assert '<strong data-testid="piece-pay">415.98</strong>' in body
    assert '<strong data-testid="score">88.00 / 88.00%</strong>' in body
    classes = re.findall(r'class="[^"]*pay-class"><span>(.*?)</span><span>(.*?)</span>', body)
    assert [(re.sub(r"[:：]\s*", " ", name), amount) for name, amount in classes] == [
        ("一类 10.00 箱 × 40.00 元", "400.00"),
        ("四类 1.33 箱 × 12.00 元", "15.98"),
    ]
    assert "<strong>1.30</strong>" in body and "<strong>1,000.00</strong>" in body
    for raw in ("415.984", "1.332", "0.88", "round(", "Decimal", "None"):
        assert raw not in body, raw
    explanation = response.content.decode().split('data-testid="explanation">')[1]
    assert "415.98" in explanation and "475.89" in explanation and "1,475.89" in explanation


def test_a_prepared_run_is_pending_with_who_and_when(client, org, october):  # noqa: F811
    run = services.pay_run_prepare(month=OCT, user=org.hr)
    PayRun.objects.filter(pk=run.pk).update(prepared_at=datetime(2026, 11, 3, 1, 30, tzinfo=UTC))
    response = page(client, org.a.cm, language="en")
    assert response.context["line"] is None
    assert response.context["gap"]["reason"] == "pending"
    body = response.content.decode()
    # 01:30 UTC is 09:30 in Asia/Shanghai.
    assert "2026-10: pay prepared by 人事专员 at 2026-11-03 09:30, waiting for approval." in body
    assert "1,475.89" not in body


def test_a_published_month_without_a_run_is_not_computed(client, org, october):  # noqa: F811
    response = page(client, org.a.cm, language="en")
    assert response.context["gap"]["reason"] == "not_computed"
    assert "2026-10: pay not computed yet" in response.content.decode()
    later = page(client, org.a.cm, "?month=2026-11", language="en")
    assert later.context["gap"]["reason"] == "not_published"
    assert "2026-11: scores not published yet" in later.content.decode()


def test_an_older_line_stays_reachable_and_a_newer_gap_is_said(client, org, october):  # noqa: F811
    run = services.pay_run_prepare(month=OCT, user=org.hr)
    services.pay_run_approve(run=run, user=org.admin)
    from assessment.services import month_close, month_publish, month_start_review

    nov = OCT.replace(month=11)
    month_close(month=nov)
    month_start_review(month=nov, now=timezone.now() - timedelta(days=6))
    month_publish(month=nov)
    response = page(client, org.a.cm, language="en")
    assert response.context["line"].run == run  # the latest approved run
    assert response.context["gap"] == {"month": nov, "reason": "not_computed"}


def test_a_manager_missing_from_the_approved_run_is_told_so(client, org, october):  # noqa: F811
    run = services.pay_run_prepare(month=OCT, user=org.hr)
    services.pay_run_approve(run=run, user=org.admin)
    newcomer = UserFactory(role=Role.CUSTOMER_MANAGER, org_unit=org.a.department, name="新经理")
    response = page(client, newcomer, language="en")
    assert response.context["line"] is None
    assert response.context["gap"]["reason"] == "no_line"
    assert "2026-10: the pay run approved by 系统管理员 at " in response.content.decode()
    # Someone else's month is not theirs to read: still only their own (empty) history.
    assert response.context["history"] == []
