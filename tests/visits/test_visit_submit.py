"""Visit submission: idempotency, flags, all-or-nothing, constant queries, scoping, photos."""

import io
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from assessment.services import inspection_record, month_close
from tests.factories import BrandFactory, RetailerFactory
from visits.models import Complaint, InformationItem, ShelfObservation, Visit, VisitPhoto
from visits.services.plans import plans_generate

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
LAT, LNG = Decimal("31.950000"), Decimal("118.850000")
# 0.0019° of latitude ≈ 211 m; 0.0017° ≈ 189 m.
FAR, NEAR = Decimal("0.0019"), Decimal("0.0017")


@pytest.fixture
def shop(org):
    return RetailerFactory(territory=org.a.territory, latitude=LAT, longitude=LNG, abc_class="A")


@pytest.fixture
def api(org):
    client = APIClient()
    client.force_authenticate(org.a.cm)
    return client


def payload(shop, *, at=None, minutes=10, lat=LAT, lng=LNG, **extra):
    at = at or datetime.now(TZ).replace(microsecond=0) - timedelta(hours=1)
    body = {
        "client_id": str(uuid.uuid4()),
        "retailer": shop.pk,
        "checked_in_at": at.isoformat(),
        "checked_out_at": (at + timedelta(minutes=minutes)).isoformat(),
        "latitude": str(lat) if lat is not None else None,
        "longitude": str(lng) if lng is not None else None,
        "location_status": "ok" if lat is not None else "denied",
    }
    body.update(extra)
    return body


def test_submit_records_everything(api, org, shop):
    brands = [BrandFactory(), BrandFactory()]
    body = payload(
        shop,
        shelf=[
            {
                "brand": brands[0].pk,
                "on_shelf": True,
                "retail_price": "23.50",
                "stock_level": "normal",
            },
            {"brand": brands[1].pk, "on_shelf": False},
        ],
        information=[{"kind": "price", "content": "中华（硬）零售价低于指导价"}],
        complaint="送货晚了两天",
        notes="店主希望增加新品",
    )
    response = api.post(reverse("visit-list"), body, format="json")
    assert response.status_code == 201, response.content
    visit = Visit.objects.get()
    assert (visit.manager, visit.retailer, visit.territory) == (org.a.cm, shop, org.a.territory)
    assert visit.distance_m == 0 and not visit.is_flagged
    lines = {o.brand_id: o for o in ShelfObservation.objects.all()}
    assert lines[brands[0].pk].on_shelf and lines[brands[0].pk].retail_price == Decimal("23.50")
    assert lines[brands[1].pk].on_shelf is False
    assert lines[brands[0].pk].observed_at == visit.checked_in_at
    info = InformationItem.objects.get()
    assert (info.kind, info.reported_by, info.visit, info.validity) == (
        "price",
        org.a.cm,
        visit,
        "pending",
    )
    complaint = Complaint.objects.get()
    assert complaint.respond_by - complaint.opened_at == timedelta(hours=24)
    assert complaint.resolve_by - complaint.opened_at == timedelta(hours=72)
    assert response.json()["shelf"][0]["brand"] in {b.pk for b in brands}


def test_same_client_id_gives_one_visit(api, shop):
    body = payload(shop, shelf=[{"brand": BrandFactory().pk, "on_shelf": True}])
    first = api.post(reverse("visit-list"), body, format="json")
    again = api.post(reverse("visit-list"), body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Visit.objects.count() == 1 and ShelfObservation.objects.count() == 1


def test_same_client_id_with_other_content_is_a_conflict_and_the_first_stands(api, shop):
    brand = BrandFactory()
    body = payload(shop, shelf=[{"brand": brand.pk, "on_shelf": True}], notes="货架整齐")
    first = api.post(reverse("visit-list"), body, format="json")
    # The same content sent differently (key order, price formatting) is the same visit.
    same = {**body, "shelf": [{"on_shelf": True, "brand": brand.pk}]}
    assert api.post(reverse("visit-list"), same, format="json").status_code == 200
    changed = {**body, "shelf": [{"brand": brand.pk, "on_shelf": False}]}
    conflict = api.post(reverse("visit-list"), changed, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["id"] == first.json()["id"]
    assert conflict.json()["shelf"][0]["on_shelf"] is True
    assert Visit.objects.count() == 1
    assert ShelfObservation.objects.get().on_shelf is True


def test_planned_visit_is_linked_to_its_plan(api, org, shop):
    today = datetime.now(TZ).date()
    plans_generate(month=today, today=today)
    response = api.post(reverse("visit-list"), payload(shop), format="json")
    visit = Visit.objects.get(pk=response.json()["id"])
    assert visit.plan is not None and visit.plan.retailer == shop
    assert visit.plan.window_start <= visit.check_in_date <= visit.plan.window_end


@pytest.mark.parametrize(("offset", "far"), [(FAR, True), (NEAR, False)])
def test_far_flag_at_200_metres(api, shop, offset, far):
    response = api.post(reverse("visit-list"), payload(shop, lat=LAT + offset), format="json")
    data = response.json()
    assert data["flag_far"] is far
    assert (data["distance_m"] > 200) is far


@pytest.mark.parametrize(("minutes", "short"), [(2, True), (3, False)])
def test_short_flag_under_three_minutes(api, shop, minutes, short):
    data = api.post(reverse("visit-list"), payload(shop, minutes=minutes), format="json").json()
    assert data["flag_short"] is short


def test_refused_location_is_flagged_not_blocked(api, shop):
    response = api.post(reverse("visit-list"), payload(shop, lat=None, lng=None), format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["flag_no_location"], data["distance_m"], data["location_status"]) == (
        True,
        None,
        "denied",
    )


@pytest.mark.parametrize(
    ("gap", "rapid"), [(timedelta(seconds=119), True), (timedelta(minutes=2), False)]
)
def test_rapid_check_ins_at_different_retailers(api, org, shop, gap, rapid):
    other = RetailerFactory(territory=org.a.territory, latitude=LAT, longitude=LNG)
    at = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=2)
    api.post(reverse("visit-list"), payload(shop, at=at), format="json")
    api.post(reverse("visit-list"), payload(other, at=at + gap), format="json")
    assert [v.flag_rapid for v in Visit.objects.order_by("checked_in_at")] == [rapid, rapid]


def test_rapid_check_ins_arriving_out_of_order(api, org, shop):
    """An offline visit sent later but made earlier flags the other one too."""
    other = RetailerFactory(territory=org.a.territory, latitude=LAT, longitude=LNG)
    at = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=2)
    api.post(reverse("visit-list"), payload(other, at=at + timedelta(seconds=60)), format="json")
    api.post(reverse("visit-list"), payload(shop, at=at), format="json")
    assert Visit.objects.filter(flag_rapid=True).count() == 2


def test_same_retailer_twice_is_not_rapid(api, shop):
    at = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=2)
    api.post(reverse("visit-list"), payload(shop, at=at), format="json")
    api.post(reverse("visit-list"), payload(shop, at=at + timedelta(seconds=30)), format="json")
    assert Visit.objects.filter(flag_rapid=True).count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"minutes": -5}, "checked_out_at"),
        ({"at": datetime.now(TZ) + timedelta(hours=1)}, "checked_in_at"),
        ({"at": datetime.now(TZ) - timedelta(days=40)}, "checked_in_at"),
    ],
)
def test_bad_times_are_refused(api, shop, change, field):
    response = api.post(reverse("visit-list"), payload(shop, **change), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Visit.objects.count() == 0


def test_bad_shelf_lines_write_nothing(api, shop):
    brand = BrandFactory()
    twice = payload(
        shop,
        shelf=[{"brand": brand.pk, "on_shelf": True}, {"brand": brand.pk, "on_shelf": False}],
        information=[{"kind": "price", "content": "x"}],
    )
    response = api.post(reverse("visit-list"), twice, format="json")
    assert response.status_code == 400 and "shelf" in response.json()
    unknown = payload(shop, shelf=[{"brand": 999999, "on_shelf": True}], complaint="x")
    response = api.post(reverse("visit-list"), unknown, format="json")
    assert response.status_code == 400
    assert "999999" in response.content.decode()
    assert (Visit.objects.count(), InformationItem.objects.count(), Complaint.objects.count()) == (
        0,
        0,
        0,
    )


def test_query_count_does_not_depend_on_shelf_lines(api, shop):
    brands = [BrandFactory() for _ in range(25)]

    def submit(count):
        body = payload(shop, shelf=[{"brand": b.pk, "on_shelf": True} for b in brands[:count]])
        with CaptureQueriesContext(connection) as queries:
            assert api.post(reverse("visit-list"), body, format="json").status_code == 201
        return len(queries)

    assert submit(2) == submit(25)
    assert submit(25) <= 9  # force_authenticate: no session; savepoint pair included


def test_a_visit_post_costs_six_queries_whatever_its_lines(org, shop):
    """The phone's POST with a logged-in session, as it really comes: the session and its
    user (2, read by the middleware for every request), then the view's own work: the rules,
    the retailer (with its plan and any rapid neighbour), the brands, and one INSERT each for
    the visit, its shelf lines and its information; the transaction's savepoint pair is
    left out. A retry is found by the unique client id, not by a query first."""
    brands = [BrandFactory() for _ in range(15)]
    client = APIClient()
    client.force_login(org.a.cm)
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=3)

    def submit(lines, items, minutes_later):
        body = payload(
            shop,
            at=start + timedelta(minutes=minutes_later),
            shelf=[{"brand": b.pk, "on_shelf": True, "retail_price": "9.5"} for b in lines],
            information=[{"kind": "price", "content": f"信息{i}"} for i in range(items)],
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("visit-list"), body, format="json")
        assert response.status_code == 201, response.content
        statements = [q["sql"] for q in queries.captured_queries]
        own = [sql for sql in statements if "SAVEPOINT" not in sql]
        assert "django_session" in own[0] and "accounts_user" in own[1]
        return response.json(), own[2:]

    small, small_queries = submit(brands[:1], 1, 0)
    large, large_queries = submit(brands, 3, 30)
    assert len(small_queries) == len(large_queries) == 6, large_queries
    assert [s.split()[0] for s in large_queries] == ["SELECT"] * 3 + ["INSERT"] * 3
    # Answered from memory, as if read back.
    assert [line["brand_name"] for line in large["shelf"]] == [b.name for b in brands]
    assert large["retailer_name"] == shop.shop_name and large["flagged"] is False
    assert ShelfObservation.objects.filter(visit_id=large["id"]).count() == 15
    assert InformationItem.objects.filter(visit_id=large["id"]).count() == 3
    # The answer equals the stored visit read back (a retry answers from the database).
    again = client.post(
        reverse("visit-list"),
        {**payload(shop), "client_id": large["client_id"]},
        format="json",
    )
    assert again.status_code == 409
    stored = again.json()
    assert sorted(stored["shelf"], key=lambda line: line["brand"]) == sorted(
        large["shelf"], key=lambda line: line["brand"]
    )
    assert {k: v for k, v in stored.items() if k != "shelf"} == {
        k: v for k, v in large.items() if k != "shelf"
    }


def test_scoping(api, org, shop):
    elsewhere = RetailerFactory(territory=org.b.territory)
    response = api.post(reverse("visit-list"), payload(elsewhere), format="json")
    assert response.status_code == 404
    supervisor = APIClient()
    supervisor.force_authenticate(org.a.dept_supervisor)
    assert supervisor.post(reverse("visit-list"), payload(shop), format="json").status_code == 403
    visit_id = api.post(reverse("visit-list"), payload(shop), format="json").json()["id"]
    outsider = APIClient()
    outsider.force_authenticate(org.a.cm2)
    assert outsider.get(reverse("visit-detail", args=[visit_id])).status_code == 404
    assert supervisor.get(reverse("visit-detail", args=[visit_id])).status_code == 200
    stranger = APIClient()
    stranger.force_authenticate(org.b.center_supervisor)
    assert stranger.get(reverse("visit-detail", args=[visit_id])).status_code == 404


def image_file(size=(64, 48), fmt="PNG", name="shelf.png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_photos_idempotent_images_only_and_size_limited(api, org, shop, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    visit = api.post(reverse("visit-list"), payload(shop), format="json").json()
    url = f"/api/v1/visits/{visit['client_id']}/photos/"
    photo_id = str(uuid.uuid4())
    first = api.post(url, {"client_id": photo_id, "image": image_file()}, format="multipart")
    again = api.post(url, {"client_id": photo_id, "image": image_file()}, format="multipart")
    assert (first.status_code, again.status_code) == (201, 200)
    assert VisitPhoto.objects.count() == 1
    text = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    bad = api.post(url, {"client_id": str(uuid.uuid4()), "image": text}, format="multipart")
    assert bad.status_code == 400
    from visits.models import VisitRules

    VisitRules.objects.update(photo_max_kb=1)
    big = image_file(size=(200, 200), fmt="BMP", name="big.bmp")  # 120 KB: the service refuses
    response = api.post(url, {"client_id": str(uuid.uuid4()), "image": big}, format="multipart")
    assert response.status_code == 400 and "1 KB" in response.content.decode()
    other = APIClient()
    other.force_authenticate(org.a.cm2)
    assert (
        other.post(url, {"client_id": str(uuid.uuid4()), "image": image_file()}).status_code == 404
    )
    assert VisitPhoto.objects.count() == 1


def test_supervisor_marks_a_visit_invalid(client, org, shop, api):
    visit_id = api.post(reverse("visit-list"), payload(shop, minutes=1), format="json").json()["id"]
    client.force_login(org.a.dept_supervisor)
    url = reverse("visits:review", args=[visit_id])
    client.post(url, {"valid": "0", "note": ""})
    assert Visit.objects.get().status == "valid"  # a reason is required
    client.post(url, {"valid": "0", "note": "两分钟内签退，疑似未到店"})
    visit = Visit.objects.get()
    assert (visit.status, visit.reviewed_by, visit.review_note) == (
        "invalid",
        org.a.dept_supervisor,
        "两分钟内签退，疑似未到店",
    )
    client.force_login(org.a.cm)
    assert client.post(url, {"valid": "1"}).status_code == 404
    client.force_login(org.b.dept_supervisor)
    assert client.post(url, {"valid": "1"}).status_code == 404
    assert Visit.objects.get().status == "invalid"


def test_a_review_note_over_500_characters_is_refused(client, org, shop, api):
    """The column holds 500: PostgreSQL refused a longer note with a 500 before."""
    visit_id = api.post(reverse("visit-list"), payload(shop), format="json").json()["id"]
    supervisor = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    supervisor.force_authenticate(org.a.dept_supervisor)
    url = reverse("visit-review", args=[visit_id])
    response = supervisor.post(url, {"valid": False, "note": "长" * 501}, format="json")
    assert response.status_code == 400
    assert response.json() == {"note": ["Ensure this field has no more than 500 characters."]}
    client.force_login(org.a.dept_supervisor)
    page = client.post(
        reverse("visits:review", args=[visit_id]), {"valid": "0", "note": "长" * 501}
    )
    assert page.status_code == 302
    visit = Visit.objects.get()
    assert (visit.status, visit.review_note) == ("valid", "")
    ok = supervisor.post(url, {"valid": False, "note": "长" * 500}, format="json")
    assert (ok.status_code, ok.json()["status"]) == (200, "invalid")


def test_flagged_list_for_supervisors(client, org, shop, api):
    api.post(reverse("visit-list"), payload(shop, minutes=1), format="json")
    api.post(
        reverse("visit-list"),
        payload(shop, minutes=30, at=datetime.now(TZ) - timedelta(hours=5)),
        format="json",
    )
    client.force_login(org.a.center_supervisor)
    response = client.get(reverse("visits:list"), {"flagged": "true"})
    assert response.context["page"].paginator.count == 1
    client.force_login(org.b.center_supervisor)
    assert client.get(reverse("visits:list")).context["page"].paginator.count == 0


def test_shelf_shortcut_is_stored_and_defaults_to_none(api, shop, english):
    brand = BrandFactory()
    plain = api.post(reverse("visit-list"), payload(shop), format="json")
    assert (plain.status_code, plain.json()["shelf_shortcut"]) == (201, "none")
    body = payload(
        shop,
        at=datetime.now(TZ) - timedelta(hours=3),
        shelf=[{"brand": brand.pk, "on_shelf": True}],
        shelf_shortcut="all_on_shelf",
    )
    used = api.post(reverse("visit-list"), body, format="json")
    assert (used.status_code, used.json()["shelf_shortcut"]) == (201, "all_on_shelf")
    stored = dict(Visit.objects.values_list("client_id", "shelf_shortcut"))
    assert stored == {
        uuid.UUID(plain.json()["client_id"]): "none",
        uuid.UUID(body["client_id"]): "all_on_shelf",
    }
    # The same visit sent again with another shortcut is other content: the first stands.
    again = api.post(reverse("visit-list"), {**body, "shelf_shortcut": "last_time"}, format="json")
    assert again.status_code == 409 and again.json()["shelf_shortcut"] == "all_on_shelf"


def test_an_unknown_shelf_shortcut_is_refused_with_its_field(api, shop, english):
    body = payload(shop, shelf_shortcut="guessed")
    response = api.post(reverse("visit-list"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["shelf_shortcut"]
    assert Visit.objects.count() == 0


def test_the_shortcut_reads_in_words_on_the_review_pages(client, org, shop, api, english):
    body = payload(shop, minutes=1, shelf_shortcut="last_time")  # short: flagged
    visit_id = api.post(reverse("visit-list"), body, format="json").json()["id"]
    api.post(reverse("visit-list"), payload(shop, at=datetime.now(TZ) - timedelta(hours=4)))
    client.force_login(org.a.dept_supervisor)
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    detail = client.get(reverse("visits:detail", args=[visit_id]), **en).content.decode()
    assert "Filled in with the shortcut “as last time”" in detail
    queue = client.get(reverse("visits:list"), {"reviewed": ""}, **en).content.decode()
    assert queue.count("shelf: as last time") == 1
    other = Visit.objects.exclude(pk=visit_id).get()
    assert (
        "Filled in with the shortcut"
        not in client.get(reverse("visits:detail", args=[other.pk]), **en).content.decode()
    )
    # An inspection citing the visit says so on the manager's score page.
    for visit in (Visit.objects.get(pk=visit_id), other):
        inspection_record(
            inspector=org.a.dept_supervisor,
            manager_id=org.a.cm.pk,
            inspected_on=timezone.localdate(),
            item_code="new_shelf",
            points=Decimal("1"),
            reason="上柜检查不实",
            visit=visit,
        )
    month_close(month=timezone.localdate())
    client.force_login(org.a.cm)
    score = client.get(reverse("assessment:my_score"), **en).content.decode()
    assert score.count("(shelf: as last time)") == 1
    client.force_login(org.a.dept_supervisor)
    listed = client.get(reverse("assessment:inspections"), **en).content.decode()
    assert listed.count("shelf: as last time") == 1
