"""One deployment for a province (DOMAIN.md §1): two city companies under one 省公司, each with
its own month states, schemes, pay runs and bonus sheets; access stays inside each city.

Hand computation, October 2026, no targets, plans, new brands or surveys (those items score
their full points and say 不适用), no information items (信息反馈 0 of 10), so the base is 90:
- city 1 (default schemes): M1 has a level-3 deduction of 3 on 服务规范 → 87.00. M1 sold
  500 条 of a 一类 brand = 2 箱 × 40 元 = 80.00 piece pay; tier 一星 (no tier on record, no
  hire date: 0.9, allowance 200): round(80 × 0.87 × 0.9, 0.01) = 62.64 + 200 = 262.64.
- city 2 (its own assessment scheme with a bonus cap of 3, its own pay scheme at 50 元 per
  箱 of 一类): M2 got 8 bonus points, capped at 3 → 93.00. 500 条 一类 = 2 × 50 = 100.00;
  round(100 × 0.93 × 0.9) = 83.70 + 200 = 283.70.
- the other manager of each city: 90.00, no sales → 200.00 (the allowance alone).
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import OrgKind, OrgUnit, Role
from accounts.selectors import companies_visible_to
from assessment.models import AssessmentMonth, AssessmentScheme, ManagerScore, MonthState
from assessment.services import (
    bonus_grant,
    inspection_record,
    month_close,
    month_publish,
    month_start_review,
)
from reports.models import PayLine, PayRun, PayScheme
from reports.services.pay import pay_run_approve, pay_run_prepare
from retailers.models import ClassificationRecord, ClassificationRuleSet
from retailers.services import classification_run
from tests.factories import (
    BrandFactory,
    OrderLineFactory,
    OrgUnitFactory,
    RetailerFactory,
    TerritoryFactory,
    UserFactory,
)
from visits.models import VisitRules

pytestmark = pytest.mark.django_db
OCT = date(2026, 10, 1)


def _city(province, n):
    company = OrgUnitFactory(
        name=f"第{n}市烟草公司", code=f"C{n}", kind=OrgKind.COMPANY, parent=province
    )
    center = OrgUnitFactory(
        name=f"{n}市城区营销部", code=f"C{n}-1", kind=OrgKind.MARKETING_CENTER, parent=company
    )
    department = OrgUnitFactory(
        name=f"{n}市第一客户服务部",
        code=f"C{n}-1-1",
        kind=OrgKind.SERVICE_DEPARTMENT,
        parent=center,
    )

    def person(no, role, unit):
        return UserFactory(employee_no=f"{n}{no}", role=role, org_unit=unit)

    cm = person("10001", Role.CUSTOMER_MANAGER, department)
    cm2 = person("10002", Role.CUSTOMER_MANAGER, department)
    return SimpleNamespace(
        company=company,
        department=department,
        cm=cm,
        cm2=cm2,
        territory=TerritoryFactory(code=f"T{n}-1", department=department, manager=cm),
        territory2=TerritoryFactory(code=f"T{n}-2", department=department, manager=cm2),
        dept_supervisor=person("50001", Role.SERVICE_DEPT_SUPERVISOR, department),
        center_supervisor=person("60001", Role.MARKETING_CENTER_SUPERVISOR, center),
        assessor=person("80001", Role.ASSESSMENT_CENTER, company),
        hr=person("70001", Role.HR, company),
        hr2=person("70002", Role.HR, company),
    )


@pytest.fixture
def province(db):
    unit = OrgUnitFactory(name="江淮省烟草公司", code="P", kind=OrgKind.PROVINCE)
    return SimpleNamespace(
        unit=unit,
        one=_city(unit, 1),
        two=_city(unit, 2),
        admin=UserFactory(employee_no="900001", role=Role.ADMIN, org_unit=unit),
    )


def _city_schemes(company):
    """City 2's overrides: an assessment scheme with a bonus cap of 3, a pay scheme at 50 元
    per 箱 of 一类 (copies of the province defaults)."""
    default = AssessmentScheme.objects.in_force(OCT)
    items = list(default.items.all())
    default.pk, default.version, default.company, default.bonus_cap = None, 90, company, 3
    default.effective_from = date(2026, 9, 1)
    default.save()
    for item in items:
        item.pk, item.scheme = None, default
        item.save()
    pay = PayScheme.objects.in_force(OCT)
    pay.pk, pay.version, pay.company = None, 90, company
    pay.effective_from = date(2026, 10, 1)
    pay.piece_rates = {**pay.piece_rates, "1": "50"}
    pay.full_clean()
    pay.save()


def _sell(city, cartons):
    shop = RetailerFactory(territory=city.territory)
    OrderLineFactory(
        retailer=shop,
        brand=BrandFactory(price_class=1),
        order_date=date(2026, 10, 12),
        quantity=cartons,
    )


def test_the_org_tree_and_who_belongs_where(province):
    assert province.one.company.company == province.one.company
    assert province.one.department.company == province.one.company
    assert province.unit.company is None
    assert province.one.cm.company == province.one.company
    assert province.admin.company is None
    # The root admin has the admin site; the product's pages still scope them to the tree.
    assert province.admin.is_superuser and province.admin.org_unit == province.unit
    assert companies_visible_to(province.admin) == [province.one.company, province.two.company]
    assert companies_visible_to(province.two.hr) == [province.two.company]
    # HR and the assessment center belong to a city company, not to the province.
    with pytest.raises(ValidationError):
        UserFactory(role=Role.HR, org_unit=province.unit)
    with pytest.raises(ValidationError):  # a city company sits under a province, not a city
        OrgUnitFactory(kind=OrgKind.COMPANY, parent=province.one.company)
    with pytest.raises(ValidationError, match="2"):  # with two cities a job names its city
        OrgUnit.objects.sole_company()


def test_rules_province_default_and_city_override(province):
    _city_schemes(province.two.company)
    default = AssessmentScheme.objects.in_force(OCT)
    assert default.company is None
    assert AssessmentScheme.objects.in_force(OCT, province.one.company) == default
    assert AssessmentScheme.objects.in_force(OCT, province.two.company).bonus_cap == 3
    # Before its override takes effect, a city has the default.
    assert PayScheme.objects.in_force(date(2026, 9, 1), province.two.company).company is None
    rules = VisitRules.objects.create(
        company=province.two.company, effective_from=OCT, far_distance_m=500
    )
    assert VisitRules.for_day(date(2026, 10, 20), province.two.company) == rules
    assert VisitRules.for_day(date(2026, 10, 20), province.one.company).far_distance_m == 200


def test_two_cities_close_publish_pay_and_export_independently(province, tmp_path):
    one, two = province.one, province.two
    _city_schemes(two.company)
    _sell(one, 500)
    _sell(two, 500)
    inspection_record(
        inspector=one.dept_supervisor,
        manager_id=one.cm.pk,
        inspected_on=date(2026, 10, 20),
        item_code="discipline",
        points=Decimal(3),
        reason="未按规定着装",
    )
    bonus_grant(
        user=two.center_supervisor,
        manager_id=two.cm.pk,
        day=date(2026, 10, 9),
        points=Decimal(8),
        reason="假烟线索查实",
    )
    # The command closes one city only.
    call_command("close_month", "2026-10", "--company", "C2")
    assert list(AssessmentMonth.objects.values_list("company__code", flat=True)) == ["C2"]
    call_command("close_month", "2026-10")  # every city
    totals = dict(ManagerScore.objects.values_list("manager__employee_no", "total"))
    assert totals == {
        "110001": Decimal("87.00"),
        "110002": Decimal("90.00"),
        "210001": Decimal("93.00"),
        "210002": Decimal("90.00"),
    }
    assert AssessmentMonth.objects.get(company=two.company).scheme.bonus_cap == 3

    # Different month states: city 1 published, city 2 still in review.
    for city in (one, two):
        # The appeal window is over: each month can be published.
        month_start_review(month=OCT, company=city.company, now=timezone.now() - timedelta(days=6))
    month_publish(month=OCT, company=one.company)
    states = dict(AssessmentMonth.objects.values_list("company__code", "state"))
    assert states == {"C1": MonthState.PUBLISHED, "C2": MonthState.REVIEW}
    # City 2's HR cannot pay before its month is published, nor run city 1's pay.
    with pytest.raises(ValidationError, match="尚未发布"):
        pay_run_prepare(month=OCT, user=two.hr)
    with pytest.raises(PermissionDenied):
        pay_run_prepare(month=OCT, user=two.hr, company=one.company)
    run_one = pay_run_prepare(month=OCT, user=one.hr)
    month_publish(month=OCT, company=two.company)
    call_command("run_pay", "2026-10", "--user", two.hr.employee_no)
    run_two = PayRun.objects.get(company=two.company)
    assert run_two.scheme.piece_rates["1"] == "50"
    # Maker/checker per city: another HR user of the same city approves.
    with pytest.raises(PermissionDenied):
        pay_run_approve(run=run_two, user=one.hr2)
    pay_run_approve(run=run_one, user=one.hr2)
    call_command("approve_pay", "2026-10", "--user", two.hr2.employee_no)
    bonuses = dict(PayLine.objects.values_list("manager__employee_no", "bonus"))
    assert bonuses == {
        "110001": Decimal("262.64"),
        "110002": Decimal("200.00"),
        "210001": Decimal("283.70"),
        "210002": Decimal("200.00"),
    }

    # One sheet per city, each with its own managers only.
    out = tmp_path / "bonus.xlsx"
    call_command("export_bonus_sheet", "2026-10", "--out", str(out))
    for code, expected in (("C1", [262.64, 200.00]), ("C2", [283.70, 200.00])):
        sheets = pd.read_excel(tmp_path / f"bonus-{code}.xlsx", sheet_name=None)
        assert list(sheets)[0] == "汇总" and len(sheets) == 2  # summary + the city's center
        center = next(frame for name, frame in sheets.items() if name != "汇总")
        people = center[center["序号"].map(lambda v: isinstance(v, int | float) and v == v)]
        assert sorted(people["应发奖金"].round(2).tolist(), reverse=True) == expected
        assert {str(no)[0] for no in people["工号"]} == {code[1]}


def test_a_city_sees_nothing_of_the_other_and_the_province_sees_both(client, province):
    one, two = province.one, province.two
    shop_one = RetailerFactory(territory=one.territory)
    shop_two = RetailerFactory(territory=two.territory)
    for city in (one, two):
        month_close(month=OCT, company=city.company)
    score_one = ManagerScore.objects.get(manager=one.cm)
    client.force_login(two.dept_supervisor)
    assert client.get(reverse("retailers:detail", args=[shop_one.pk])).status_code == 404
    assert client.get(reverse("retailers:detail", args=[shop_two.pk])).status_code == 200
    assert client.get(reverse("assessment:score_detail", args=[score_one.pk])).status_code == 404
    assert client.get(f"/api/v1/retailers/{shop_one.pk}/").status_code == 404
    client.force_login(two.assessor)
    months = reverse("assessment:months")
    assert client.get(f"{months}?company={one.company.pk}").status_code == 404
    page = client.get(months)
    assert page.status_code == 200 and "第2市烟草公司" in page.content.decode()
    client.force_login(two.hr)
    pay = reverse("reports:pay_run")
    assert client.get(f"{pay}?company={one.company.pk}").status_code == 404

    client.force_login(province.admin)
    assert client.get(reverse("retailers:detail", args=[shop_one.pk])).status_code == 200
    assert client.get(reverse("retailers:detail", args=[shop_two.pk])).status_code == 200
    for company in (one.company, two.company):
        page = client.get(f"{months}?company={company.pk}")
        assert page.status_code == 200 and company.name in page.content.decode()
        assert client.get(f"{pay}?company={company.pk}").status_code == 200
    listed = client.get("/api/v1/retailers/").json()
    assert {row["id"] for row in listed["results"]} == {shop_one.pk, shop_two.pk}


def test_classification_ranks_stay_within_each_city(province):
    one, two = province.one, province.two
    shops = [RetailerFactory(territory=one.territory) for _ in range(2)]
    other = RetailerFactory(territory=two.territory)
    brand = BrandFactory()
    OrderLineFactory(retailer=shops[0], brand=brand, order_date=date(2026, 9, 10), quantity=30)
    classification_run(month=date(2026, 11, 1))
    before = ClassificationRecord.objects.get(retailer=shops[0], month=date(2026, 11, 1))
    # Within city 1 alone the biggest buyer ranks first: 100 points for scale.
    assert before.scale_score == Decimal("100.00")
    # The other city's orders grow far beyond it: nothing changes in city 1.
    OrderLineFactory(retailer=other, brand=brand, order_date=date(2026, 9, 12), quantity=900)
    classification_run(month=date(2026, 11, 1), company=one.company)
    after = ClassificationRecord.objects.get(retailer=shops[0], month=date(2026, 11, 1))
    assert (after.scale_score, after.total_score) == (before.scale_score, before.total_score)
    # Each city is classified with the rules in force for it.
    override = ClassificationRuleSet.objects.in_force(date(2026, 11, 1))
    override.pk, override.version, override.company = None, 90, two.company
    override.save()
    classification_run(month=date(2026, 11, 1))
    used = dict(ClassificationRecord.objects.values_list("retailer_id", "rule_set__company__code"))
    assert used == {shops[0].pk: None, shops[1].pk: None, other.pk: "C2"}


def test_province_admin_picks_a_city_on_the_shelf_rate_report(client, province):
    client.force_login(province.admin)
    page = client.get(reverse("visits:shelf_rates"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "第1市烟草公司" in html and f"unit={province.two.company.pk}" in html
    page = client.get(reverse("visits:shelf_rates"), {"unit": province.two.company.pk})
    assert page.status_code == 200 and "第2市烟草公司" in page.content.decode()
    client.force_login(province.one.assessor)
    page = client.get(reverse("visits:shelf_rates"), {"unit": province.two.company.pk})
    assert page.status_code == 404


def test_commands_name_a_city_or_run_every_city(province):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="X9"):
        call_command("close_month", "2026-10", "--company", "X9")
    call_command("close_month", "2026-10", "--company", "C1")
    call_command("publish_month", "2026-10", "--review", "--company", "C1")
    # Every city: C1 is in review already (refused and reported), C2 is not computed yet.
    with pytest.raises(CommandError) as refused:
        call_command("publish_month", "2026-10", "--review")
    assert "C1" in str(refused.value) and "C2" in str(refused.value)
    states = dict(AssessmentMonth.objects.values_list("company__code", "state"))
    assert states == {"C1": MonthState.REVIEW}


def test_the_admin_site_shows_which_version_is_in_force_for_which_city(client, province):
    _city_schemes(province.two.company)
    client.force_login(province.admin)
    for name in ("assessment_assessmentscheme", "reports_payscheme"):
        page = client.get(reverse(f"admin:{name}_changelist"))
        html = page.content.decode()
        assert page.status_code == 200
        assert "全省默认" in html and "第1市烟草公司" in html and "第2市烟草公司" in html
    rows = client.get(reverse("admin:reports_payscheme_changelist")).context["cl"].result_list
    admin = client.get(reverse("admin:reports_payscheme_changelist")).context["cl"].model_admin
    in_force = {row.company_id: admin.in_force_for(row) for row in rows}
    assert in_force == {None: "第1市烟草公司", province.two.company.pk: "第2市烟草公司"}
