"""Pay pages and API through HTTP: my pay, the pay run, what-if; scoping both ways."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from reports.models import PayLine, PayRun, PayRunStatus, PayScheme
from reports.services import pay as services
from tests.reports.test_pay_run import EXPECTED, OCT, october  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are translated (zh-hans by default); the tests compare the English msgids."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


@pytest.fixture
def prepared(org, october):  # noqa: F811
    return services.pay_run_prepare(month=OCT, user=org.hr)


@pytest.fixture
def approved(org, prepared):
    return services.pay_run_approve(run=prepared, user=org.admin)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- my pay -----------------------------------------------------------------------------------


def test_my_pay_shows_own_approved_line_only(client, org, approved):
    client.force_login(org.a.cm)
    response = client.get(reverse("reports:my_pay"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1,475.89" in body
    assert str(EXPECTED["a2"]) not in body  # A2's 76.00
    assert "round(" not in body
    assert client.get(reverse("reports:my_pay") + "?month=2026-10").status_code == 200
    assert client.get(reverse("reports:my_pay") + "?month=2026-09").status_code == 200  # says why
    assert client.get(reverse("reports:my_pay") + "?month=nonsense").status_code == 404


def test_my_pay_hides_a_prepared_run(client, org, prepared):
    client.force_login(org.a.cm)
    response = client.get(reverse("reports:my_pay"))
    assert response.status_code == 200
    assert "1475.89" not in response.content.decode()


@pytest.mark.parametrize("who", ["hr", "assessor"])
def test_my_pay_is_for_managers_only(client, org, who):
    client.force_login(getattr(org, who))
    assert client.get(reverse("reports:my_pay")).status_code == 404


# --- pay run page -----------------------------------------------------------------------------


def test_pay_run_page_prepare_and_approve(client, org, october):  # noqa: F811
    url = reverse("reports:pay_run")
    client.force_login(org.hr)
    response = client.post(url, {"action": "prepare", "month": "2026-10"})
    assert response.status_code == 302
    run = PayRun.objects.get(month=OCT)
    page = client.get(url + "?month=2026-10").content.decode()
    assert "1,475.89" in page and "76.00" in page  # money as money
    total = sum(EXPECTED.values())
    assert f'data-testid="total-bonus">{total:,.2f}<' in page
    # the bonus sheet's headings and units: 箱 with two decimals, 一类 … 五类
    for heading in ("一类 (箱)", "二类 (箱)", "三类 (箱)", "四类 (箱)", "五类 (箱)", "合计 (箱)"):
        assert f">{heading}</th>" in page
    assert 'value="approve"' not in page  # the preparer cannot approve
    # The preparer's approval attempt is refused with a message.
    client.post(url, {"action": "approve", "month": "2026-10"})
    run.refresh_from_db()
    assert run.status == PayRunStatus.PREPARED
    client.force_login(org.admin)
    assert 'value="approve"' in client.get(url + "?month=2026-10").content.decode()
    client.post(url, {"action": "approve", "month": "2026-10"})
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (PayRunStatus.APPROVED, org.admin)


def test_pay_run_page_refuses_unpublished(client, org):
    client.force_login(org.hr)
    response = client.post(
        reverse("reports:pay_run"), {"action": "prepare", "month": "2026-10"}, follow=True
    )
    assert "not published" in response.content.decode()
    assert not PayRun.objects.exists()


@pytest.mark.parametrize("who", ["assessor", "a.cm", "a.center_supervisor"])
def test_pay_run_page_is_for_hr_and_admin(client, org, who):
    user = org
    for part in who.split("."):
        user = getattr(user, part)
    client.force_login(user)
    assert client.get(reverse("reports:pay_run")).status_code == 404
    assert client.post(reverse("reports:pay_run"), {"action": "prepare"}).status_code == 404


# --- what-if ----------------------------------------------------------------------------------


def _form(**changes):
    data = {
        "month": "2026-10",
        "score_mode": "linear",
        "score_bands": "",
        "floor": "",
        "cap": "",
        "rate_1": "40",
        "rate_2": "30",
        "rate_3": "20",
        "rate_4": "12",
        "rate_5": "8",
    }
    tiers = {
        "probation": ("0.8", "0"),
        "one_star": ("0.9", "200"),
        "two_star": ("1.0", "400"),
        "three_star": ("1.1", "600"),
        "four_star": ("1.2", "800"),
        "five_star": ("1.3", "1000"),
    }
    for tier, (coefficient, allowance) in tiers.items():
        data[f"{tier}_coefficient"] = coefficient
        data[f"{tier}_allowance"] = allowance
    data.update(changes)
    return data


def snapshot():
    return (
        list(PayRun.objects.values().order_by("pk")),
        list(PayLine.objects.values().order_by("pk")),
        list(PayScheme.objects.values().order_by("pk")),
    )


def test_what_if_prefills_from_the_scheme(client, org, prepared):
    client.force_login(org.assessor)
    response = client.get(reverse("reports:what_if"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["rate_1"] == Decimal("40")
    assert form.initial["five_star_allowance"] == Decimal("1000")
    assert form.initial["month"] == OCT


def test_what_if_shows_differences_and_saves_nothing(client, org, prepared):
    before = snapshot()
    client.force_login(org.hr)
    # Class 1 at 50 元; one star allowance 300; a cap of 1,400 on the whole bonus.
    response = client.post(
        reverse("reports:what_if"), _form(rate_1="50", one_star_allowance="300", cap="1400")
    )
    assert response.status_code == 200
    result = response.context["result"]
    rows = {row["employee_no"]: row for row in result["rows"]}
    # A1: (12.5 × 40 → 10 箱 × 50 = 500 + 15.984) × 0.88 × 1.3 = 590.36 + 1000 = 1590.36 → cap.
    assert (rows[org.a.cm.employee_no]["draft"], rows[org.a.cm.employee_no]["difference"]) == (
        Decimal("1400.00"),
        Decimal("-75.89"),
    )
    assert rows[org.a.cm2.employee_no]["difference"] == 0
    assert rows[org.b.cm.employee_no]["draft"] == Decimal("325.92")
    assert rows[org.b.cm.employee_no]["difference"] == Decimal("100.00")
    assert result["totals"]["current"] == sum(EXPECTED.values())
    assert result["totals"]["difference"] == Decimal("24.11")
    assert "−75.89" in response.content.decode()  # a difference, signed, as money
    assert snapshot() == before


def test_what_if_banded_service(org, prepared):
    from reports.pay import PayRules

    before = snapshot()
    scheme = PayScheme.objects.get()
    draft = PayRules.from_data(
        piece_rates=scheme.piece_rates,
        score_mode="banded",
        score_bands=[["0", "0.5"], ["90", "1"], ["100", "1.2"]],
        tiers=scheme.tiers,
    )
    result = services.what_if(month=OCT, user=org.hr, draft=draft)
    rows = {row["manager_id"]: row for row in result["rows"]}
    # A1 score 88 → 0.5: 415.984 × 0.5 × 1.3 = 270.3896 → 270.39 + 1000.
    assert rows[org.a.cm.pk]["draft"] == Decimal("1270.39")
    # B1 score 90 → 1: 32 × 1 × 0.9 = 28.80 + 200.
    assert rows[org.b.cm.pk]["draft"] == Decimal("228.80")
    assert snapshot() == before


def test_what_if_form_errors(client, org, prepared):
    client.force_login(org.hr)
    response = client.post(
        reverse("reports:what_if"), _form(score_mode="banded", score_bands="90, 1\n80, 0.9")
    )
    assert response.context["result"] is None
    assert "ascending" in response.content.decode()
    response = client.post(reverse("reports:what_if"), _form(month="2026-08"))
    assert "prepare it first" in response.content.decode()


@pytest.mark.parametrize("who", ["a.cm", "a.center_supervisor"])
def test_what_if_is_not_for_managers_or_supervisors(client, org, who):
    user = org
    for part in who.split("."):
        user = getattr(user, part)
    client.force_login(user)
    assert client.get(reverse("reports:what_if")).status_code == 404


# --- API --------------------------------------------------------------------------------------


def test_api_hr_sees_all_lines(org, prepared):
    response = api(org.hr).get("/api/v1/pay/lines/?month=2026-10")
    assert response.status_code == 200
    bonuses = {row["employee_no"]: row["bonus"] for row in response.json()["results"]}
    assert bonuses == {
        org.a.cm.employee_no: "1475.89",
        org.a.cm2.employee_no: "76.00",
        org.b.cm.employee_no: "225.92",
        org.b.cm2.employee_no: "400.00",
    }
    runs = api(org.hr).get("/api/v1/pay/runs/").json()["results"]
    assert [(r["month"], r["status"]) for r in runs] == [("2026-10-01", "prepared")]


def test_api_manager_sees_only_own_line(org, approved):
    own = PayLine.objects.get(manager=org.a.cm)
    other = PayLine.objects.get(manager=org.a.cm2)
    client = api(org.a.cm)
    rows = client.get("/api/v1/pay/lines/").json()["results"]
    assert [(r["id"], r["bonus"]) for r in rows] == [(own.pk, "1475.89")]
    assert client.get(f"/api/v1/pay/lines/{own.pk}/").status_code == 200
    assert client.get(f"/api/v1/pay/lines/{other.pk}/").status_code == 404
    assert len(client.get("/api/v1/pay/runs/").json()["results"]) == 1


def test_api_prepared_run_hidden_from_managers_and_supervisors(org, prepared):
    line = PayLine.objects.get(manager=org.a.cm)
    assert api(org.a.cm).get(f"/api/v1/pay/lines/{line.pk}/").status_code == 404
    assert api(org.a.cm).get("/api/v1/pay/runs/").json()["results"] == []
    supervisor = api(org.a.center_supervisor)
    assert supervisor.get("/api/v1/pay/lines/").json()["results"] == []
    assert supervisor.get(f"/api/v1/pay/runs/{prepared.pk}/").status_code == 404
