"""Demo organisation for ``seed_demo``: the org tree, territories and a user of every role.

Later features add their own ``<app>/demo.py`` with a ``seed(ctx)`` function; the command
runs them in INSTALLED_APPS order, so each can use what the earlier ones put in ``ctx``.

Employee numbers (工号), six digits; ``n`` is a city's number in a province demo, ``CC`` a
marketing center's number across the province (01, 02, …), ``D`` a department's number in
its center, ``DD`` the same on two digits:

- ``9n0001`` admin (``900001`` at the root), ``8n0001``/``8n0002`` assessment center,
  ``7n0001``/``7n0002`` HR (``n`` is ``0`` in a single-city demo);
- ``60CC01`` marketing center supervisor, ``5CCDD1`` service department supervisor,
  ``100001`` … customer managers;
- leaders (领导), made last: ``400001`` at the root (the province, or the single city
  company), ``4n0001`` at city ``n`` of a province, ``41CC01`` at a marketing center,
  ``42CCD1`` at a service department.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from faker import Faker

from . import services
from .models import OrgKind, Role, User

SIZES = {
    # cities, centers per city, departments per center, territories per department
    "small": (1, 2, 2, 3),
    "city": (1, 5, 4, 10),
    "province": (3, 2, 2, 3),
}

CENTER_NAMES = ["城区营销部", "江北营销部", "东山县营销部", "西林县营销部", "南湖区营销部"]
# The fictional city of 东江: the company sits at its centre, centers around it.
CITY_CENTRE = (31.95, 118.85)
CENTER_OFFSETS = [(0.0, 0.0), (0.12, -0.05), (-0.25, 0.35), (0.05, -0.45), (-0.15, -0.08)]
CITY = "东江市"
DEPARTMENT_ORDINALS = ["一", "二", "三", "四", "五", "六"]
# ``--size province``: the fictional province of 江淮 with three city companies.
PROVINCE = ("32", "江淮省烟草公司")
PROVINCE_CITIES = [
    ("3201", "东江市", (31.95, 118.85)),
    ("3202", "西林市", (32.40, 119.40)),
    ("3203", "南湖市", (31.30, 120.10)),
]


def seed(ctx):
    n_cities, n_centers, n_departments, n_territories = SIZES[ctx.size]
    fake, rng = ctx.faker, ctx.rng
    ctx.companies, ctx.centers, ctx.departments, ctx.territories, ctx.managers = [], [], [], [], []
    ctx.city_of_center = {}  # center id → city name, for addresses
    street_names = None  # drawn after the first company, as the demo always did

    def person(employee_no, role, unit, hire_years=(2, 15), *, fake=fake, rng=rng):
        hired = ctx.today - timedelta(days=rng.randint(hire_years[0] * 365, hire_years[1] * 365))
        user = services.user_create(
            employee_no=employee_no,
            name=fake.name(),
            role=role,
            org_unit=unit,
            phone=fake.phone_number(),
            hire_date=hired,
        )
        ctx.logins.setdefault(role, []).append(user)
        return user

    if n_cities == 1:
        province = None
        cities = [("3299", CITY, CITY_CENTRE)]
    else:
        province = services.org_unit_create(
            name=PROVINCE[1], code=PROVINCE[0], kind=OrgKind.PROVINCE, address="江淮省省城路1号"
        )
        person("900001", Role.ADMIN, province)
        cities = PROVINCE_CITIES[:n_cities]
    ctx.province = province

    cm_no = 100001
    for index, (code, city, centre) in enumerate(cities, start=1):
        company = services.org_unit_create(
            name=f"{city}烟草公司",
            code=code,
            kind=OrgKind.COMPANY,
            parent=province,
            address=_address(ctx, city),
        )
        ctx.companies.append(company)
        if street_names is None:
            street_names = _unique_streets(
                fake, n_cities * n_centers * n_departments * n_territories
            )
        # A single city keeps the short numbers of the README; a province numbers per city.
        prefix = "" if province is None else str(index)
        if province is None:
            person("900001", Role.ADMIN, company)
        else:
            person(f"9{index}0001", Role.ADMIN, company)
        person(f"8{prefix or '0'}0001", Role.ASSESSMENT_CENTER, company)
        person(f"8{prefix or '0'}0002", Role.ASSESSMENT_CENTER, company)
        person(f"7{prefix or '0'}0001", Role.HR, company)
        person(f"7{prefix or '0'}0002", Role.HR, company)

        for c in range(n_centers):
            number = len(ctx.centers) + 1  # numbered across the province
            center = services.org_unit_create(
                name=CENTER_NAMES[c] if province is None else f"{city[:2]}{CENTER_NAMES[c]}",
                code=f"{code}-{c + 1:02d}",
                kind=OrgKind.MARKETING_CENTER,
                parent=company,
                address=_address(ctx, city),
            )
            ctx.centers.append(center)
            ctx.city_of_center[center.pk] = city
            person(f"60{number:02d}01", Role.MARKETING_CENTER_SUPERVISOR, center)
            for d in range(n_departments):
                short = CENTER_NAMES[c].removesuffix("营销部")
                department = services.org_unit_create(
                    name=f"{short}第{DEPARTMENT_ORDINALS[d]}客户服务部",
                    code=f"{center.code}-{d + 1:02d}",
                    kind=OrgKind.SERVICE_DEPARTMENT,
                    parent=center,
                    address=_address(ctx, city),
                )
                ctx.departments.append(department)
                person(f"5{number:02d}{d + 1:02d}1", Role.SERVICE_DEPT_SUPERVISOR, department)
                for t in range(n_territories):
                    # About one manager in six is still on probation (hired < 12 months ago).
                    years = (0, 1) if rng.random() < 1 / 6 else (1, 12)
                    manager = person(str(cm_no), Role.CUSTOMER_MANAGER, department, years)
                    cm_no += 1
                    territory = services.territory_create(
                        code=f"{department.code}-{t + 1:02d}",
                        name=f"{street_names.pop()}片区",
                        department=department,
                        manager=manager,
                        latitude=_coordinate(centre[0] + CENTER_OFFSETS[c][0], d, rng),
                        longitude=_coordinate(centre[1] + CENTER_OFFSETS[c][1], d, rng),
                    )
                    ctx.territories.append(territory)
                    ctx.managers.append(manager)
    ctx.company = ctx.companies[0]
    _leaders(ctx, person)

    # One password hash for every demo user: hashing is deliberately slow.
    root = province or ctx.company
    User.objects.filter(org_unit__path__startswith=root.path).update(
        password=make_password(ctx.password)
    )


def _leaders(ctx, person):
    """One leader (领导) per org unit: province, city companies, centers, departments.

    They come after every other user and draw their names, phones and hire dates from their
    own seeded streams, so the users and retailers made with the shared ones stay the same.
    """
    fake = Faker("zh_CN")
    fake.seed_instance(f"leaders-{ctx.seed}")
    rng = random.Random(f"leaders-{ctx.seed}")

    def leader(employee_no, unit):
        return person(employee_no, Role.LEADER, unit, (3, 25), fake=fake, rng=rng)

    if ctx.province is not None:
        leader("400001", ctx.province)
    for index, company in enumerate(ctx.companies, start=1):
        leader("400001" if ctx.province is None else f"4{index}0001", company)
    for number, center in enumerate(ctx.centers, start=1):
        leader(f"41{number:02d}01", center)
        departments = [d for d in ctx.departments if d.parent_id == center.pk]
        for d, department in enumerate(departments, start=1):
            leader(f"42{number:02d}{d}1", department)


def _unique_streets(fake, count):
    names, seen = [], set()
    while len(names) < count:
        name = fake.street_name()
        if name not in seen:
            seen.add(name)
            names.append(name)
    names.reverse()
    return names


def _address(ctx, city=CITY):
    return f"{city}{ctx.faker.street_name()}{ctx.rng.randint(1, 399)}号"


def _coordinate(centre, department_index, rng):
    """A point a few kilometres from the center's seat, quantised to 1e-6 degree."""
    value = centre + 0.03 * (department_index - 1.5) + rng.uniform(-0.02, 0.02)
    return Decimal(f"{value:.6f}")
