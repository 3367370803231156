"""Demo organisation for ``seed_demo``: the org tree, territories and a user of every role.

Later features add their own ``<app>/demo.py`` with a ``seed(ctx)`` function; the command
runs them in INSTALLED_APPS order, so each can use what the earlier ones put in ``ctx``.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from . import services
from .models import OrgKind, Role, User

SIZES = {
    # centers, departments per center, territories per department
    "small": (2, 2, 3),
    "city": (5, 4, 10),
}

CENTER_NAMES = ["城区营销部", "江北营销部", "东山县营销部", "西林县营销部", "南湖区营销部"]
# The fictional city of 东江: the company sits at its centre, centers around it.
CITY_CENTRE = (31.95, 118.85)
CENTER_OFFSETS = [(0.0, 0.0), (0.12, -0.05), (-0.25, 0.35), (0.05, -0.45), (-0.15, -0.08)]
CITY = "东江市"
DEPARTMENT_ORDINALS = ["一", "二", "三", "四", "五", "六"]


def seed(ctx):
    n_centers, n_departments, n_territories = SIZES[ctx.size]
    fake, rng = ctx.faker, ctx.rng
    company = services.org_unit_create(
        name="东江市烟草公司", code="3299", kind=OrgKind.COMPANY, address=_address(ctx)
    )
    ctx.company = company
    ctx.centers, ctx.departments, ctx.territories, ctx.managers = [], [], [], []
    street_names = _unique_streets(fake, n_centers * n_departments * n_territories)

    def person(employee_no, role, unit, hire_years=(2, 15)):
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

    person("900001", Role.ADMIN, company)
    person("800001", Role.ASSESSMENT_CENTER, company)
    person("800002", Role.ASSESSMENT_CENTER, company)
    person("700001", Role.HR, company)
    person("700002", Role.HR, company)

    cm_no = 100001
    for c in range(n_centers):
        center = services.org_unit_create(
            name=CENTER_NAMES[c],
            code=f"3299-{c + 1:02d}",
            kind=OrgKind.MARKETING_CENTER,
            parent=company,
            address=_address(ctx),
        )
        ctx.centers.append(center)
        person(f"60{c + 1:02d}01", Role.MARKETING_CENTER_SUPERVISOR, center)
        for d in range(n_departments):
            short = CENTER_NAMES[c].removesuffix("营销部")
            department = services.org_unit_create(
                name=f"{short}第{DEPARTMENT_ORDINALS[d]}客户服务部",
                code=f"{center.code}-{d + 1:02d}",
                kind=OrgKind.SERVICE_DEPARTMENT,
                parent=center,
                address=_address(ctx),
            )
            ctx.departments.append(department)
            person(f"5{c + 1:02d}{d + 1:02d}1", Role.SERVICE_DEPT_SUPERVISOR, department)
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
                    latitude=_coordinate(CITY_CENTRE[0] + CENTER_OFFSETS[c][0], d, rng),
                    longitude=_coordinate(CITY_CENTRE[1] + CENTER_OFFSETS[c][1], d, rng),
                )
                ctx.territories.append(territory)
                ctx.managers.append(manager)

    # One password hash for every demo user: hashing is deliberately slow.
    User.objects.filter(org_unit__path__startswith=company.path).update(
        password=make_password(ctx.password)
    )


def _unique_streets(fake, count):
    names, seen = [], set()
    while len(names) < count:
        name = fake.street_name()
        if name not in seen:
            seen.add(name)
            names.append(name)
    names.reverse()
    return names


def _address(ctx):
    return f"{CITY}{ctx.faker.street_name()}{ctx.rng.randint(1, 399)}号"


def _coordinate(centre, department_index, rng):
    """A point a few kilometres from the center's seat, quantised to 1e-6 degree."""
    value = centre + 0.03 * (department_index - 1.5) + rng.uniform(-0.02, 0.02)
    return Decimal(f"{value:.6f}")
