"""The page sweep: every page of the product (tests/routes.py), as every role, in Chinese,
on realistic data, shows people words and formatted figures, never what the code holds.

The data: the leader tests' world (a month in review with visits, photos, information,
complaints, an inspection with an appeal, a bonus point, a prepared pay run, a tier
proposal) plus an earlier month that is closed, published and paid (an approved run).
Each role GETs every non-API page that answers it 200 (object pages with center A's
objects, as in the access matrix); downloads and POST-only routes are left out.

The visible text (tags, attributes, scripts and styles removed) may not hold:
- raw item codes (``key_brand``, ``new_shelf``, ``satisfaction``, ``discipline``, and a
  standalone ``info``, ``sales`` or ``visits``), any other snake_case code (``three_star``)
  and status codes (``pending``, ``queued`` …);
- model field names (``checked_in_at``, ``abc_class``, ``employee_no``, ``…_id``);
- Python reprs and calls (``None``, ``True``, ``False``, ``Decimal(``, ``round(``, ``min(``,
  ``max(``): explanations read as words with numbers;
- UTC leaks (``+00:00``, ``UTC``, an ISO ``T12:34:56``);
- raw decimals with more than two places (coordinates excepted: a latitude, longitude pair);
- English UI words where Chinese is expected (a short list).
"""

import html
import os
import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from assessment import services as assessment_services
from assessment.models import ManagerScore
from reports.services import pay as pay_services
from reports.services.dashboards import kpi_refresh
from retailers.models import add_months
from retailers.services import classification_run
from tests.accounts import test_leader
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory
from tests.project.test_access_matrix import OBJECTS, targets, user_of  # noqa: F401 - fixture
from tests.routes import product_routes

pytestmark = pytest.mark.django_db
# The leader tests' world (see tests/project/test_access_matrix.py).
leaders = test_leader.leaders
world = test_leader.world
MONTH = test_leader.MONTH

ROLES = (
    "a.cm",
    "a.dept_supervisor",
    "a.center_supervisor",
    "assessor",
    "hr",
    "admin",
    "leaders.company",
    "leaders.department",
)
# Routes that are not pages: files, the service worker, the manifest, the health check,
# signing out and the language switch.
NOT_PAGES = {
    "logout",
    "set_language",
    "healthz",
    "visits:service_worker",
    "visits:manifest",
    "visits:photo",
    "assessment:inspection_photo",
    "accounts:code_sheet_download",
    "retailers:register",
    "retailers:import_sample",
    "reports:bonus_sheet",
    "reports:export_download",
    "reports:export_job_status",
    "reports:report_export",
}
PREVIOUS = add_months(MONTH, -1)


def rx(pattern: str) -> re.Pattern:
    """ASCII word boundaries: "None级" and "走访visits" are caught (Chinese is not a word
    character here)."""
    return re.compile(pattern, re.ASCII)


CHECKS = [
    ("item code", rx(r"\b(key_brand|new_shelf|satisfaction|discipline)\b")),
    ("item code", rx(r"(?<![\w.-])(info|sales|visits)(?![\w.-])")),
    ("field name", rx(r"\b(checked_in_at|abc_class|employee_no|\w+_id)\b")),
    # any other snake_case code (three_star, on_time …), but not a file name (org_units.csv)
    ("code", rx(r"(?<![\w./-])[a-z]+(?:_[a-z0-9]+)+(?![\w./-])")),
    (
        "status code",
        rx(
            r"(?<![\w./-])(pending|queued|running|failed|approved|prepared|draft|review"
            r"|published|resolved|closed|invalid|probation)(?![\w./-])"
        ),
    ),
    ("python repr", rx(r"\b(None|True|False)\b|Decimal\(|\b(round|min|max)\(")),
    ("UTC leak", rx(r"\+00:00|\bUTC\b|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")),
    ("raw decimal", rx(r"(?<![\d.])\d+\.\d{3,}(?![\d.])")),
    (
        "English word",
        rx(
            r"\b(Score|Month|Filter|Search|Status|Manager|Retailer|Territory|Approved|Prepared"
            r"|Provisional|Final|Published|Draft|Appeal|Export|Bonus|Piece pay|Total|Class)\b"
        ),
    ),
]
# A latitude, longitude pair (WGS-84 inside China) is allowed its decimals.
COORDINATES = rx(r"\b\d{1,2}\.\d+\s*[,，]\s*\d{2,3}\.\d+\b")


def visible_text(page: str) -> str:
    """What a person reads: no scripts, styles, comments, tags or attributes."""
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def findings(page: str) -> list[str]:
    text = COORDINATES.sub(" ", visible_text(page))
    found = []
    for label, pattern in CHECKS:
        for match in pattern.finditer(text):
            start = max(0, match.start() - 30)
            context = " ".join(text[start : match.end() + 30].split())
            found.append(f"{label} {match.group(0)!r}: …{context}…")
    return found


def test_the_scanner_finds_what_it_must_and_spares_what_it_may():
    bad = (
        '<div title="abc_class">new_shelf 得分 None · 12.3456 元 · 2026-10-01T08:30:00+00:00'
        " · round(415.98 × 0.88, 0.01) · max(0, 15 − 2) · 走访 visits · Decimal('1.0')"
        " · employee_no"
        " · <span>retailer_id</span> Score · 等级 three_star · 申诉 1 pending · None级</div>"
    )
    labels = {f.split(" '")[0] for f in findings(bad)}
    assert labels == {
        "item code",
        "field name",
        "python repr",
        "UTC leak",
        "raw decimal",
        "English word",
        "code",
        "status code",
    }
    found = "\n".join(findings(bad))
    for word in (
        "new_shelf",
        "'visits'",
        "None",
        "12.3456",
        "+00:00",
        "round(",
        "max(",
        "three_star",
    ):
        assert word in found
    assert "abc_class" not in found.split("employee_no")[0]  # an attribute is not text
    assert "python repr 'None': …" in found and "None级" in found
    good = (
        '<a href="/visits/?abc_class=A&amp;sales=1" data-x="None">走访 12 次</a>'
        "<script>const info = {sales: true, t: '2026-10-01T08:30:00Z'};</script>"
        "<p>31.230416, 121.473701 · 1,234.50 元 · 12.34 箱 · 2026-10-01 08:30 · 一类</p>"
        "<p>org_units.csv · visits.csv · 三星 · 待处理</p>"
    )
    assert findings(good) == []


@pytest.fixture
def published(org):
    """The month before the world's: sales of center A and B, closed, published, paid."""
    one, four = BrandFactory(price_class=1), BrandFactory(price_class=4)
    shop_a = RetailerFactory(territory=org.a.territory, shop_name="甲二烟酒店")
    shop_b = RetailerFactory(territory=org.b.territory, shop_name="乙二超市")
    OrderLineFactory(retailer=shop_a, brand=one, order_date=PREVIOUS, quantity=2500)
    OrderLineFactory(retailer=shop_a, brand=four, order_date=PREVIOUS, quantity=333)
    OrderLineFactory(retailer=shop_b, brand=one, order_date=PREVIOUS, quantity=1250)
    assessment_services.month_close(month=PREVIOUS)
    assessment_services.month_start_review(month=PREVIOUS, now=timezone.now() - timedelta(days=6))
    assessment_services.month_publish(month=PREVIOUS)
    ManagerScore.objects.filter(assessment__month=PREVIOUS, manager=org.a.cm).update(
        total=Decimal("88.50")
    )
    kpi_refresh(month=PREVIOUS)
    classification_run(month=MONTH)  # factor scores and classes on the retailer card
    run = pay_services.pay_run_prepare(month=PREVIOUS, user=org.hr)
    pay_services.pay_run_approve(run=run, user=org.admin)
    return SimpleNamespace(run=run, shop=shop_a)


def pages(targets):  # noqa: F811
    for route in product_routes():
        if route.api or route.name in NOT_PAGES or route.name in ("schema", "swagger-ui"):
            continue
        if route.name in OBJECTS:
            value = targets.values[OBJECTS[route.name][0]]
            yield route.name, route.url({"pk": value, "client_id": value, "name": value})
        else:
            yield route.name, route.url({})


def test_every_page_of_every_role_reads_as_words_and_formatted_figures(
    client,
    org,
    published,
    leaders,
    world,
    targets,  # noqa: F811
):
    # The tier proposal with the reasons the quarterly review writes (reports.tiers).
    world.proposal.reasons = {
        "average": "91.50",
        "lowest_month": "88.00",
        "sales_completion": "1.0523",
        "satisfaction": "4.20",
        "text": ["季度平均分 91.50 ≥ 90", "销量完成率 105.2% ≥ 100%"],
    }
    world.proposal.save(update_fields=["reasons"])
    urls = list(pages(targets))
    # Pages with a choice worth seeing too: the published month and its approved pay.
    urls += [
        ("reports:my_pay", f"/pay/mine/?month={PREVIOUS:%Y-%m}"),
        ("reports:pay_run", f"/pay/runs/?month={PREVIOUS:%Y-%m}"),
        ("assessment:my_score", f"/assessment/my-score/?month={PREVIOUS:%Y-%m-%d}"),
        ("assessment:ranking", f"/assessment/ranking/?month={PREVIOUS:%Y-%m-%d}"),
        ("reports:dashboard", f"/dashboard/?month={PREVIOUS:%Y-%m}"),
        ("retailers:detail", f"/retailers/{published.shop.pk}/"),
        ("visits:list", "/visits/?flagged=true"),
        ("visits:shelf_rates", f"/shelf-rates/?month={PREVIOUS:%Y-%m}"),
    ]
    problems, seen = [], 0
    for label in ROLES:
        client.force_login(user_of(org, leaders, label))
        for name, url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            seen += 1
            if os.environ.get("SWEEP_DUMP"):
                path = f"/tmp/sweep/{label}{url}".replace("?", "_")
                os.makedirs(path, exist_ok=True)
                with open(f"{path}/page.txt", "w") as out:
                    out.write(visible_text(response.content.decode()))
            assert response.headers.get("Content-Language", "zh-hans") == "zh-hans", url
            problems += [f"{label} {name} {url}: {f}" for f in findings(response.content.decode())]
    assert seen > 150, seen
    assert problems == [], "\n" + "\n".join(sorted(set(problems)))
