"""Demo organisation for ``seed_demo``: the org tree, territories and a user of every role.

Later features add their own ``<app>/demo.py`` with a ``seed(ctx)`` function; the command
runs them in INSTALLED_APPS order, so each can use what the earlier ones put in ``ctx``.
"""

from datetime import timedelta

from django.contrib.auth.hashers import make_password

from . import services
from .models import OrgKind, Role, User

SIZES = {
    # centers, departments per center, territories per department
    "small": (2, 2, 3),
    "city": (5, 4, 10),
}

CENTER_NAMES = ["城区营销部", "江北营销部", "东山县营销部", "西林县营销部", "南湖区营销部"]
DEPARTMENT_ORDINALS = ["一", "二", "三", "四", "五", "六"]


def seed(ctx):
    n_centers, n_departments, n_territories = SIZES[ctx.size]
    fake, rng = ctx.faker, ctx.rng
    company = services.org_unit_create(name="东江市烟草公司", code="3299", kind=OrgKind.COMPANY)
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
