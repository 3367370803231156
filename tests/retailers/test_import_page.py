"""The upload page: admins only (others get 404), error table, counts, size limit, samples."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from retailers import import_views
from retailers.models import Brand

from .conftest import SAMPLES

pytestmark = pytest.mark.django_db


def upload(name, content=None):
    data = content if content is not None else (SAMPLES / name).read_bytes()
    return SimpleUploadedFile(name, data)


def post(client, kind, file, **extra):
    return client.post(
        reverse("retailers:import"),
        {"kind": kind, "file": file, **extra},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_anonymous_goes_to_login(client, org):
    response = client.get(reverse("retailers:import"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["manager", "assessor", "hr"])
def test_everyone_but_admins_gets_404(client, org, who):
    user = {"manager": org.a.cm, "assessor": org.assessor, "hr": org.hr}[who]
    client.force_login(user)
    assert client.get(reverse("retailers:import")).status_code == 404
    assert post(client, "brands", upload("brands.csv")).status_code == 404
    assert client.get(reverse("retailers:import_sample", args=["brands.csv"])).status_code == 404
    assert Brand.objects.count() == 0


def test_admin_sees_the_form(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("retailers:import"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert "csrfmiddlewaretoken" in body
    assert reverse("retailers:import_sample", args=["orders.xlsx"]) in body


def test_admin_imports_a_file_and_sees_the_counts(client, org):
    client.force_login(org.admin)
    response = post(client, "brands", upload("brands.csv"))

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.rows, report.created, report.updated, report.unchanged) == (6, 6, 0, 0)
    assert "6 rows: 6 created, 0 updated, 0 unchanged." in response.content.decode()
    assert Brand.objects.count() == 6


def test_error_table_and_nothing_imported(client, org):
    client.force_login(org.admin)
    content = (
        "规格编码,规格名称,生产厂家,价类,批发价（元/条）\n6901,甲,厂,六类,1\n6902,乙,厂,一类,1\n"
    )
    response = post(client, "brands", upload("bad.csv", content.encode("gb18030")))

    body = response.content.decode()
    assert response.status_code == 200
    assert "1 error found in 2 rows; nothing was imported." in body
    assert '<table class="table table-sm table-striped align-middle mb-2 import-errors">' in body
    row = body.split("<tbody>")[1].split("</tbody>")[0]
    assert "<td>2</td>" in row and "<td>价类</td>" in row and "<code>六类</code>" in row
    assert Brand.objects.count() == 0


def test_dry_run_from_the_page_writes_nothing(client, org):
    client.force_login(org.admin)
    response = post(client, "brands", upload("brands.csv"), dry_run="on")

    assert response.context["report"].created == 6
    assert "Check only, nothing was written." in response.content.decode()
    assert Brand.objects.count() == 0


def test_superuser_may_import(client, org):
    org.hr.is_superuser = True
    org.hr.save()
    client.force_login(org.hr)
    assert post(client, "brands", upload("brands.csv")).context["report"].created == 6


def test_size_limit_and_file_type(client, org, monkeypatch):
    monkeypatch.setattr(import_views, "DEFAULT_MAX_UPLOAD_BYTES", import_views.MB)
    client.force_login(org.admin)

    big = post(client, "brands", upload("big.csv", b"x" * (import_views.MB + 1)))
    assert big.context["report"] is None
    assert big.context["form"].errors["file"] == ["The file is larger than 1 MB."]

    wrong = post(client, "brands", upload("notes.pdf", b"%PDF"))
    assert wrong.context["form"].errors["file"] == ["Upload a .csv or .xlsx file."]
    assert Brand.objects.count() == 0


def test_sample_download(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("retailers:import_sample", args=["brands.csv"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (SAMPLES / "brands.csv").read_bytes()
    assert client.get(reverse("retailers:import_sample", args=["secret.csv"])).status_code == 404


def test_retailer_upload_takes_the_datum_and_the_uncredited_choice(client, org):
    from datetime import date

    from retailers.models import Retailer
    from tests.factories import OrderLineFactory

    header = "许可证号,店铺名称,负责人,经营地址,市场类型,业态,所处环境,片区编码,纬度,经度\n"
    first = header + "320100000001,甲,张三,一路1号,C,Z,居民区,T-A1,31.95,118.85\n"
    client.force_login(org.admin)
    refused = post(client, "retailers", upload("r.csv", first.encode()))
    assert refused.context["report"].error_count == 1  # no datum
    created = post(
        client,
        "retailers",
        upload("r.csv", first.encode()),
        datum="wgs84",
        effective_date="2026-11-01",
    )
    assert created.context["report"].ok
    OrderLineFactory(retailer=Retailer.objects.get(), order_date=date(2026, 10, 20))
    moved = first.replace("T-A1", "T-B1").encode()
    extra = {"datum": "wgs84", "effective_date": "2026-12-01"}
    assert not post(client, "retailers", upload("r.csv", moved), **extra).context["report"].ok
    body = client.get(reverse("retailers:import"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="allow_uncredited"' in body and 'name="datum"' in body
    allowed = post(client, "retailers", upload("r.csv", moved), allow_uncredited="on", **extra)
    assert allowed.context["report"].ok
    assert Retailer.objects.get().territory.code == "T-B1"


def test_new_kinds_are_listed_with_their_samples(client, org):
    client.force_login(org.admin)
    body = client.get(reverse("retailers:import"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="retailer_statuses"' in body and 'value="violations"' in body
    for name in ("retailer_statuses.csv", "violations.csv"):
        assert reverse("retailers:import_sample", args=[name]) in body
        assert client.get(reverse("retailers:import_sample", args=[name])).status_code == 200
