"""factory_boy factories. They create rows through the services, as the product does."""

import factory

from accounts import services
from accounts.models import OrgKind, OrgUnit, Role, Territory, User


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"单位{n}")
    code = factory.Sequence(lambda n: f"U{n:05d}")
    kind = OrgKind.COMPANY
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.org_unit_create(**kwargs)


class CompanyFactory(OrgUnitFactory):
    name = factory.Sequence(lambda n: f"第{n}市烟草公司")


class CenterFactory(OrgUnitFactory):
    name = factory.Sequence(lambda n: f"第{n}营销部")
    kind = OrgKind.MARKETING_CENTER
    parent = factory.SubFactory(CompanyFactory)


class DepartmentFactory(OrgUnitFactory):
    name = factory.Sequence(lambda n: f"第{n}客户服务部")
    kind = OrgKind.SERVICE_DEPARTMENT
    parent = factory.SubFactory(CenterFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    employee_no = factory.Sequence(lambda n: f"{200000 + n}")
    name = factory.Faker("name", locale="zh_CN")
    role = Role.CUSTOMER_MANAGER
    org_unit = factory.SubFactory(DepartmentFactory)
    password = "pass-word-123"
    phone = ""
    hire_date = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.user_create(**kwargs)


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"片区{n}")
    department = factory.SubFactory(DepartmentFactory)
    manager = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.territory_create(**kwargs)
